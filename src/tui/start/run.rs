//! The start screen's loop: list, draw, read keys until the user opens
//! a conversation, creates one, or quits. Terminal set-up and restore are
//! the app's own ([`crate::tui::terminal`]); the terminal is left before
//! the app takes it again.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use color_eyre::eyre::{Result, WrapErr as _};
use ratatui::Terminal;
use ratatui::backend::Backend;
use time::OffsetDateTime;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::listing::{self, Entry, EntryState};
use super::{Start, Step, update, view};
use crate::convfile::{self, ConvFolder, Loaded};
use crate::images::ImageStore;
use crate::tui::action::{Event, Msg};
use crate::tui::graphics::{GraphicsBackend, ThumbSpec, detect};
use crate::tui::keymap::Keymap;
use crate::tui::{terminal, thumbs};

/// How the start screen ended.
#[derive(Debug)]
pub(crate) enum Chosen {
    /// A conversation, open and locked, for the app.
    Open {
        folder: ConvFolder,
        loaded: Box<Loaded>,
    },
    Quit,
}

/// Runs the start screen in the terminal for the current folder `here`
/// and the remembered folders `recent`.
pub(crate) async fn choose(here: PathBuf, recent: Vec<PathBuf>, keymap: Keymap) -> Result<Chosen> {
    let listed = here.clone();
    let entries = tokio::task::spawn_blocking(move || listing::gather(&listed, &recent))
        .await
        .wrap_err("could not list the conversations")?;
    let mut start = Start::new(here, entries, keymap, OffsetDateTime::now_utc());
    let (tx, mut rx) = unbounded_channel();
    let mut guard = terminal::TerminalGuard::enter().wrap_err("could not set up the terminal")?;
    let input =
        terminal::InputThread::spawn(tx.clone()).wrap_err("could not start reading keys")?;
    let signals = terminal::spawn_signals(tx.clone()).wrap_err("could not listen for signals")?;
    let stop = Arc::new(AtomicBool::new(false));
    load_thumbnails(&start.entries, tx, Arc::clone(&stop));
    let chosen = drive(&mut start, &mut rx, &mut guard.terminal).await;
    stop.store(true, Ordering::SeqCst);
    signals.abort();
    drop(input);
    drop(guard);
    chosen
}

/// The loop, on any backend (tests use a `TestBackend`): draws, applies
/// every waiting message, and opens or creates what a [`Step`] asks for;
/// a failure is shown and the screen stays.
pub(crate) async fn drive<B: Backend>(
    s: &mut Start,
    rx: &mut UnboundedReceiver<Msg>,
    terminal: &mut Terminal<B>,
) -> Result<Chosen> {
    loop {
        terminal
            .draw(|f| view::draw(f, s))
            .map_err(|e| color_eyre::eyre::eyre!("could not draw: {e}"))?;
        let Some(first) = rx.recv().await else {
            return Ok(Chosen::Quit);
        };
        s.now = OffsetDateTime::now_utc();
        let mut step = update(s, first);
        while step == Step::Stay
            && let Ok(m) = rx.try_recv()
        {
            step = update(s, m);
        }
        match step {
            Step::Stay => {}
            Step::Quit => return Ok(Chosen::Quit),
            Step::Open(dir) => match ConvFolder::open(&dir) {
                Ok((folder, loaded)) => {
                    return Ok(Chosen::Open {
                        folder,
                        loaded: Box::new(loaded),
                    });
                }
                Err(e) => s.failed(e.to_string()),
            },
            Step::Create(dir) => {
                let made = ConvFolder::create(&dir, convfile::folder_title(&dir), s.now);
                match made {
                    Ok((folder, conv)) => {
                        return Ok(Chosen::Open {
                            folder,
                            loaded: Box::new(Loaded::fresh(conv)),
                        });
                    }
                    Err(e) => s.failed(e.to_string()),
                }
            }
        }
    }
}

/// Scales each listed conversation's latest picture off the UI task, in
/// list order, as half-blocks; each arrives as a message. Stops when
/// `stop` is set (the screen closed).
fn load_thumbnails(entries: &[Entry], tx: UnboundedSender<Msg>, stop: Arc<AtomicBool>) {
    let wanted: Vec<(PathBuf, pixloom_core::tree::Blob)> = entries
        .iter()
        .filter_map(|e| match &e.state {
            EntryState::Ready(s) => s.latest.clone().map(|b| (e.images_dir(), b)),
            _ => None,
        })
        .collect();
    let env = |k: &str| std::env::var(k).ok();
    let spec = ThumbSpec {
        backend: GraphicsBackend::Blocks,
        truecolor: detect::truecolor(&env, &detect::Replies::default()),
        cache_dir: thumbs::default_cache_dir(&env),
        ..ThumbSpec::default()
    };
    tokio::task::spawn_blocking(move || {
        for (images, blob) in wanted {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let (cols, rows) = view::thumb_size(&blob);
            let thumb = thumbs::load(&ImageStore::at(images), &blob, cols, rows, &spec);
            let ready = Event::ThumbnailReady {
                file_name: blob.file_name(),
                cols,
                rows,
                thumb: thumb.map(Arc::new),
            };
            if tx.send(Msg::Event(ready)).is_err() {
                return;
            }
        }
    });
}
