//! Runs [`Effect`]s: the one module of the TUI that spawns tasks.
//!
//! - `StartTurn`: plans the request from the tree as it is now, runs it on
//!   a task and sends `Event::TurnFinished` back, addressed to its node. A
//!   handle per node lets `CancelTurn` abort it. A task that panics becomes
//!   a failed turn, never a turn pending forever.
//!   As soon as a picture arrives, `Event::ResultReceived` records its link
//!   and request id in the tree (and the file) before it is stored.
//!   Its request goes out only once the save holding its pending node
//!   has finished ([`saver`]): a crash never leaves a request the file
//!   does not know.
//! - `Save`: one snapshot per batch, handed to [`saver::Saver`], which
//!   writes off the loop, one save at a time, the latest snapshot winning;
//!   `Event::Saved` / `Event::SaveFailed` say how it went (`update` then
//!   tries the paid pictures held in memory again).
//! - `DropImages`: rides on this batch's save (saving if the batch has
//!   not): the image files a delete left unused are removed once that
//!   save succeeded (`convfile::orphans`).
//! - `StoreResult`: `engine::keep_received` on a task; `Event::StoreFinished`.
//! - `DecodeThumbnail`: decodes and scales on the blocking pool, two at a
//!   time (a 4K PNG takes ~100 ms and tens of MB), and sends the thumbnail
//!   back with the blob and size it was made for, with the `ThumbSpec`
//!   the effects own.
//! - `EncodePicture`: encodes a sixel or iTerm2 picture on the blocking
//!   pool (sharing the decoders' two permits), `Event::PictureEncoded`.
//! - `ImportAttachment`: a file on the blocking pool, a URL on a task.
//! - `SaveImage`: see [`save_copy`]; `OpenImage`, `CopyPath`, `ListDir`: see [`tools`].
//!
//! Built with [`Effects::read_only`] (for `pixloom replay`) there is no
//! folder and no engine: `Save` does nothing and no turn can start.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::convfile::ConvFolder;
use crate::engine::{self, Engine, TurnReport};
use crate::images::{self, ImageStore, VerifiedImage};
use pixloom_core::tree::{Blob, NodeId, Received};

use super::action::{Event, Msg};
use super::graphics::ThumbSpec;
use super::state::App;
use super::thumbs::ThumbWant;
use super::update::{Effect, NO_KEY};

/// Thumbnails decoded at once.
const DECODERS: usize = 2;

/// Aborts the task when dropped, so aborting the outer task of a turn also
/// stops the request inside it.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod drop_tests;
#[cfg(test)]
mod rerun_tests;
pub(crate) mod save_copy;
pub(crate) mod saver;
mod system;

/// Owns what effects need: the engine, the folder, the way back.
pub struct Effects {
    engine: Option<Engine>,
    folder: Option<Arc<ConvFolder>>,
    /// Writes the tree off the loop (none in a replay).
    saver: Option<saver::Saver>,
    store: ImageStore,
    /// Where OSC 52 (clipboard) sequences go: the terminal, between frames.
    terminal_out: Box<dyn std::io::Write + Send>,
    tx: UnboundedSender<Msg>,
    turns: HashMap<NodeId, JoinHandle<()>>,
    decoders: Arc<Semaphore>,
    /// What thumbnails are made for: set once the terminal was asked
    /// ([`Effects::set_thumb_spec`]), remade after a font zoom
    /// ([`Effects::cells_resized`]); half-blocks in 24-bit colour until then.
    thumb_spec: ThumbSpec,
}

impl Effects {
    pub fn new(engine: Option<Engine>, folder: ConvFolder, tx: UnboundedSender<Msg>) -> Self {
        let folder = Arc::new(folder);
        let mut effects = Effects::read_only(folder.store.clone(), tx);
        effects.engine = engine;
        effects.saver = Some(saver::Saver::new(folder.clone(), effects.tx.clone()));
        effects.folder = Some(folder);
        effects
    }

    /// [`Effects::new`] writing the tree to `disk` (a test's gate).
    #[cfg(test)]
    fn with_disk(
        engine: Option<Engine>,
        store: ImageStore,
        disk: Arc<dyn saver::Disk>,
        tx: UnboundedSender<Msg>,
    ) -> Self {
        let mut effects = Effects::read_only(store, tx);
        effects.engine = engine;
        effects.saver = Some(saver::Saver::new(disk, effects.tx.clone()));
        effects
    }

    /// No folder, no engine: images are read from `store`, nothing is
    /// written to the conversation (`pixloom replay`).
    pub fn read_only(store: ImageStore, tx: UnboundedSender<Msg>) -> Self {
        Effects {
            engine: None,
            folder: None,
            saver: None,
            store,
            terminal_out: Box::new(std::io::sink()),
            tx,
            turns: HashMap::new(),
            decoders: Arc::new(Semaphore::new(DECODERS)),
            thumb_spec: ThumbSpec::default(),
        }
    }

    /// Where OSC 52 sequences go: the terminal writer, in order with the
    /// frames (until then, nowhere: no terminal is set up).
    pub(crate) fn set_terminal_out(&mut self, out: Box<dyn std::io::Write + Send>) {
        self.terminal_out = out;
    }

    /// What thumbnails are made for from now on (after detection).
    pub(crate) fn set_thumb_spec(&mut self, spec: ThumbSpec) {
        self.thumb_spec = spec;
    }

    /// After a resize: the cell is now `shape` pixels (a font zoom changes
    /// it with the window's cells). Returns whether thumbnails must be
    /// made again (the shape changed).
    pub(crate) fn cells_resized(&mut self, shape: (u16, u16)) -> bool {
        match self.thumb_spec.with_cell(shape) {
            Some(next) => {
                self.thumb_spec = next;
                true
            }
            None => false,
        }
    }

    pub fn folder(&self) -> Option<&ConvFolder> {
        self.folder.as_deref()
    }

    /// Runs a batch of effects against the state they were made from.
    /// Returns true when the app must quit.
    pub fn run(&mut self, effects: Vec<Effect>, app: &App) -> bool {
        let mut quit = false;
        // The state is the batch's final one: one snapshot covers every
        // change, and the unused images ride on it.
        let drops: Vec<_> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::DropImages(orphans) => Some(orphans.clone()),
                _ => None,
            })
            .collect();
        if (!drops.is_empty() || effects.contains(&Effect::Save))
            && let Some(saver) = &mut self.saver
        {
            saver.save(&app.conv, drops);
        }
        for effect in effects {
            match effect {
                Effect::StartTurn(id) => self.start_turn(id, app),
                Effect::CancelTurn(id) => {
                    if let Some(h) = self.turns.remove(&id) {
                        h.abort();
                    }
                }
                // Queued above.
                Effect::Save | Effect::DropImages(_) => {}
                Effect::DecodeThumbnail(want) => self.decode(want),
                Effect::EncodePicture(job) => self.encode_picture(job),
                Effect::ImportAttachment { source, pasted } => self.import(source, pasted),
                Effect::OpenImage(blob) => {
                    self.when_verified(blob, |image, _, tx| system::open(image.path, tx));
                }
                Effect::SaveImage {
                    blob,
                    dest,
                    name,
                    recipe,
                } => {
                    self.when_verified(blob, move |image, _, tx| {
                        let copy = save_copy::CopyRequest {
                            dest: &dest,
                            name: &name,
                            recipe: &recipe,
                        };
                        let note = save_copy::save_verified(image, copy, &expand_home(&dest));
                        let _ = tx.send(Msg::Event(Event::Notice(note)));
                    });
                }
                Effect::CopyPath(blob) => {
                    // Inline (the terminal is ours): verified already when
                    // its thumbnail was shown, so no hashing here.
                    let note = match self.store.verified_path(&blob) {
                        Ok(path) => system::copy_path(&path, &mut self.terminal_out),
                        Err(e) => Err(e.to_string()),
                    };
                    self.send(Event::Notice(note));
                }
                Effect::ListDir { input } => system::list_dir(input, self.tx.clone()),
                Effect::CheckRerun { from, references } => {
                    // Inline: a look at each file, no hashing.
                    let missing = crate::convfile::missing_reference(&self.store, &references);
                    self.send(Event::RerunChecked { from, missing });
                }
                Effect::StoreResult {
                    node,
                    received,
                    bytes,
                } => self.store_result(node, received, bytes),
                Effect::Quit => quit = true,
            }
        }
        self.turns.retain(|_, h| !h.is_finished());
        quit
    }

    /// Waits for the last save asked for (quitting).
    pub(crate) async fn flush(&self) {
        if let Some(saver) = &self.saver {
            saver.flush().await;
        }
    }

    /// Blocks until the last save asked for is finished: for a harness
    /// that runs batches itself and then reads the file (the loop awaits
    /// [`Effects::flush`] instead).
    pub fn wait_for_saves(&self) {
        if let Some(saver) = &self.saver {
            saver.flush_blocking();
        }
    }

    /// Aborts every request (on quit; the tree already says interrupted).
    pub fn shutdown(&mut self) {
        for (_, h) in self.turns.drain() {
            h.abort();
        }
    }

    /// One try at storing `node`'s paid picture. A try runs even while
    /// another does (that one may have started before space was freed):
    /// both write the same content-named file atomically, and `update`
    /// takes the first that lands.
    fn store_result(&mut self, node: NodeId, mut received: Received, bytes: Option<bytes::Bytes>) {
        // Read-only (replay): nothing is written.
        if self.saver.is_none() {
            return;
        }
        let store = self.store.clone();
        let engine = self.engine.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let kept = engine::keep_received(
                engine.as_ref().map(Engine::client),
                &store,
                &mut received,
                bytes,
                time::OffsetDateTime::now_utc(),
            )
            .await;
            let _ = tx.send(Msg::Event(Event::StoreFinished {
                node,
                received: Box::new(received),
                kept,
            }));
        });
    }

    fn send(&self, e: Event) {
        // The loop has gone only while quitting: nothing left to tell.
        let _ = self.tx.send(Msg::Event(e));
    }

    fn failed(&self, node: NodeId, message: String) {
        self.send(Event::TurnFinished(Box::new(TurnReport::failed(
            node, message,
        ))));
    }

    fn start_turn(&mut self, id: NodeId, app: &App) {
        let Some(engine) = self.engine.clone() else {
            self.failed(id, NO_KEY.to_owned());
            return;
        };
        let req = match engine.plan(&app.conv, id) {
            Ok(req) => req,
            Err(e) => {
                self.failed(id, e.to_string());
                return;
            }
        };
        // The save holding the pending node: asked for before this
        // (`update` returns `Save` first; `run` queues it first).
        let saved = self.saver.as_ref().map(|s| s.finished(s.last()));
        let store = self.store.clone();
        let tx = self.tx.clone();
        let noted = self.tx.clone();
        let handle = tokio::spawn(async move {
            if let Some(saved) = saved {
                saved.await;
            }
            let mut inner = AbortOnDrop(tokio::spawn(async move {
                let note = move |node, received: &Received, request_id: Option<&str>| {
                    let _ = noted.send(Msg::Event(Event::ResultReceived {
                        node,
                        received: Box::new(received.clone()),
                        request_id: request_id.map(str::to_owned),
                    }));
                };
                engine.run_noting(store, req, &note).await
            }));
            let report = match (&mut inner.0).await {
                Ok(report) => report,
                Err(e) if e.is_cancelled() => return,
                Err(e) => TurnReport::failed(id, format!("internal error while sending: {e}")),
            };
            let _ = tx.send(Msg::Event(Event::TurnFinished(Box::new(report))));
        });
        if let Some(old) = self.turns.insert(id, handle) {
            old.abort();
        }
    }

    /// Runs `then` on the blocking pool once the blob's file is verified
    /// (its bytes hash to its name): a viewer, a copy, the clipboard only
    /// ever get a file that is the image the tree names. A file that does
    /// not verify is a notice naming it.
    fn when_verified(
        &self,
        blob: Blob,
        then: impl FnOnce(VerifiedImage, Blob, UnboundedSender<Msg>) + Send + 'static,
    ) {
        let store = self.store.clone();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || match store.open_verified(&blob) {
            Ok(image) => then(image, blob, tx),
            Err(e) => {
                let _ = tx.send(Msg::Event(Event::Notice(Err(e.to_string()))));
            }
        });
    }

    fn decode(&self, want: ThumbWant) {
        let store = self.store.clone();
        let tx = self.tx.clone();
        let decoders = Arc::clone(&self.decoders);
        let spec = self.thumb_spec.clone();
        tokio::spawn(async move {
            let _permit = decoders.acquire_owned().await;
            let (cols, rows) = (want.cols, want.rows);
            let blob = want.blob.clone();
            let thumb = tokio::task::spawn_blocking(move || {
                super::thumbs::load(&store, &blob, cols, rows, &spec)
            })
            .await
            .unwrap_or_else(|e| Err(format!("decoder crashed: {e}")));
            let _ = tx.send(Msg::Event(Event::ThumbnailReady {
                file_name: want.blob.file_name(),
                cols,
                rows,
                thumb: thumb.map(Arc::new),
            }));
        });
    }

    /// Sixel quantising and encoding: a blocking task, never the loop.
    fn encode_picture(&self, job: super::graphics::encoded::EncodeJob) {
        let tx = self.tx.clone();
        let decoders = Arc::clone(&self.decoders);
        tokio::spawn(async move {
            let _permit = decoders.acquire_owned().await;
            let key = job.key;
            let text = tokio::task::spawn_blocking(move || super::graphics::encoded::encode(&job))
                .await
                .unwrap_or_else(|e| Err(format!("encoder crashed: {e}")));
            let _ = tx.send(Msg::Event(Event::PictureEncoded { key, text }));
        });
    }

    fn import(&self, source: String, pasted: Option<String>) {
        let store = self.store.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            // `~/x` is the shell's job on the command line, the app's here.
            let result = images::import_reference(&source, expand_home, &store)
                .await
                .map(Box::new)
                .map_err(|e| e.to_string());
            let _ = tx.send(Msg::Event(Event::AttachmentReady {
                source,
                result,
                pasted,
            }));
        });
    }
}

impl Drop for Effects {
    /// Aborts the requests and waits for the last save: once dropped, the
    /// file holds the last state and the folder's lock is released.
    fn drop(&mut self) {
        self.shutdown();
        self.wait_for_saves();
    }
}

/// `~/x` → `$HOME/x`; anything else as given.
fn expand_home(source: &str) -> PathBuf {
    match (source.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(source),
    }
}
