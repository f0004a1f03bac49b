//! The terminal app: one Elm-style loop.
//!
//! ```text
//!  keys (input thread) ─┐                       ┌─> Effects::run ─> tasks
//!  signals ─────────────┼─> channel ─> update ──┤        │ (turns, thumbnails,
//!  finished turns, ─────┘   (Msg)     (pure)    │        │  imports, save)
//!  thumbnails, imports <────────────────────────┼────────┘
//!                                               └─> ViewState::draw(&App) once per batch
//!                                                     └─> Drawn: placements to the
//!                                                         presenter, wants and scroll
//!                                                         room to update::drawn
//! ```
//!
//! Module map: [`action`] (Action, Event, Msg), [`access`] (read and
//! write actions, by type), [`keymap`] (the key table;
//! help and `docs/keys.md` come from it), [`state`] (App, Overlay,
//! Composer), [`update`] (pure; returns [`update::Effect`]s), [`effects`]
//! (the only module that spawns; it owns the graphics spec), [`view`]
//! (draws from `&App` and its own `ViewState`, returns [`view::Drawn`]),
//! [`thumbs`] (half-block thumbnails and their cache), [`terminal`]
//! (set-up, restore, input, signals), [`redraw`] (which messages repaint
//! everything), [`cells`] (cell widths every terminal agrees on),
//! [`replay`] (the replay's driver), [`playback`] (its state) and
//! [`output`] (the terminal writer: the loop never blocks on output).
//!
//! Invariants: `update` does no I/O; the view writes nothing but its own
//! `ViewState` and what it returns (no globals, no cells); only `effects`
//! spawns; everything the screen shows from the network or a file passes
//! through `sanitize`; the app draws only after a message, and ticks only
//! while a spinner turns, so an idle screen writes nothing.

pub(crate) mod access;
pub(crate) mod action;
pub mod cells;
pub(crate) mod complete;
pub(crate) mod config;
pub(crate) mod diff;
pub(crate) mod dropped;
pub(crate) mod effects;
pub(crate) mod gallery_slots;
pub mod graphics;
pub(crate) mod input_line;
pub(crate) mod keymap;
pub(crate) mod output;
pub(crate) mod playback;
pub(crate) mod redraw;
pub mod replay;
pub(crate) mod scroll;
pub(crate) mod search;
pub(crate) mod start;
pub mod state;
pub(crate) mod target;
pub mod terminal;
pub mod test_hooks;
pub mod thumbs;
pub mod update;
pub mod view;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod loop_tests;
#[cfg(test)]
mod nav_bytes_tests;

use std::io;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr as _};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::convfile::ConvFolder;
use crate::engine::Engine;
use pixloom_core::tree::{Conversation, NodeId, RequestParams};
use test_hooks::DebugFailure;

pub use action::{Action, Event, Msg};
pub use effects::Effects;
pub use graphics::{GraphicsBackend, GraphicsChoice};
pub use state::{App, Clock};
pub use thumbs::ThumbWant;
pub use view::{Drawn, ViewState};

/// What the CLI hands the app.
pub struct TuiArgs {
    /// The open (locked) conversation folder.
    pub folder: ConvFolder,
    /// The tree as loaded (`Loaded::conv`).
    pub conv: Conversation,
    /// Turns the loader marked interrupted (`Loaded::interrupted`).
    pub interrupted: Vec<NodeId>,
    /// Image files the tree names but the folder lacks (`Loaded::missing_images`).
    pub missing_images: Vec<String>,
    /// `None` when no key is configured: the app opens, explains how to set
    /// one, and refuses to send.
    pub engine: Option<Engine>,
    /// Size, model and endpoint new turns start with: the flags over the
    /// conversation's saved choice over the config (`core::settings`).
    pub defaults: RequestParams,
    /// Running against the in-process fake gateway.
    pub demo: bool,
    /// `auto` detects at start (after raw mode, before the key reader).
    pub graphics: GraphicsChoice,
    /// The spend limits, and what the ledger says was spent today (its
    /// day with it) before the app opened.
    pub budgets: crate::budget::Budgets,
    pub spent_today: crate::budget::DaySpend,
    /// A replay handed over this path to re-run (`P` there): the app
    /// opens on the re-run question for it.
    pub rerun: Option<playback::RerunPath>,
}

impl TuiArgs {
    /// The state the app starts in, and what the effects need.
    pub fn into_parts(self, clock: Clock) -> (App, ConvFolder, Option<Engine>) {
        let refused_settings = self.conv.settings.refused.clone();
        let mut app = App::new(self.conv, self.defaults, clock);
        app.can_send = self.engine.is_some();
        app.demo = self.demo;
        app.budgets = self.budgets;
        app.today = self.spent_today;
        app.graphics = match self.graphics {
            GraphicsChoice::Force(b) => b,
            GraphicsChoice::Auto => GraphicsBackend::Blocks,
        };
        let unstored = app.conv.unstored();
        if let Some(&first) = unstored.first() {
            // Paid pictures not on disk come first: their links expire.
            let store = app
                .keymap
                .hint(keymap::Context::Browse, Action::StoreResult);
            let ids: Vec<String> = unstored.iter().map(ToString::to_string).collect();
            app.error(format!(
                "paid picture(s) not stored yet: {} — press {store} to fetch and store them while their links work",
                ids.join(", ")
            ));
            let _ = app.conv.select(first);
        } else if !self.missing_images.is_empty() {
            app.error(format!(
                "{} image file(s) are missing or unusable (links, special files and damaged files are not read): {}",
                self.missing_images.len(),
                self.missing_images.join(", ")
            ));
        } else if !refused_settings.is_empty() {
            app.error(format!(
                "not used from this conversation's file: {} — new turns take the command line's or the config's settings; pick again with {} / {}",
                refused_settings.join("; "),
                app.keymap.hint(keymap::Context::Browse, Action::SizePicker),
                app.keymap.hint(keymap::Context::Browse, Action::ModelPicker),
            ));
        } else if let Some(&first) = self.interrupted.first() {
            let retry = app.keymap.hint(keymap::Context::Browse, Action::Retry);
            let ids: Vec<String> = self.interrupted.iter().map(ToString::to_string).collect();
            app.info(format!(
                "interrupted when pixloom stopped: {} — select one and press {retry} to retry",
                ids.join(", ")
            ));
            let _ = app.conv.select(first);
        }
        if let Some(path) = self.rerun {
            ask_rerun(&mut app, path);
        }
        (app, self.folder, self.engine)
    }
}

/// Opens the re-run question for `path` as `P` on its first turn would,
/// with the branch the replay showed below it.
fn ask_rerun(app: &mut App, path: playback::RerunPath) {
    let on_path = app
        .conv
        .select(path.leaf)
        .and_then(|()| app.conv.select(path.from));
    if on_path.is_err() {
        return app.error(format!(
            "{} is no longer in this conversation (changed since the replay read it): nothing to re-run",
            path.from
        ));
    }
    // Asking is pure: it opens the question or says why not.
    let asked = update::update(app, Msg::Action(Action::Rerun));
    debug_assert!(asked.is_empty(), "asking sends nothing: {asked:?}");
}

/// Runs the app in the terminal until the user quits (or a signal).
pub async fn run(args: TuiArgs) -> Result<()> {
    run_with_keys(args, keymap::Keymap::default()).await
}

/// [`run`] with the keymap in force (the config file's `[keys]` merged
/// over the defaults).
pub(crate) async fn run_with_keys(args: TuiArgs, keys: keymap::Keymap) -> Result<()> {
    let choice = args.graphics;
    let (mut app, folder, engine) = args.into_parts(Clock::now());
    app.keymap = keys;
    let (tx, rx) = unbounded_channel();
    let effects = Effects::new(engine, folder, tx.clone());
    in_terminal(&mut app, effects, tx, rx, choice).await
}

/// The terminal part of a run, shared by the app and the replay: set up,
/// probe graphics (before the key reader starts: the probe reads the
/// terminal's replies), loop, and restore.
pub(crate) async fn in_terminal(
    app: &mut App,
    mut effects: Effects,
    tx: UnboundedSender<Msg>,
    mut rx: UnboundedReceiver<Msg>,
    choice: GraphicsChoice,
) -> Result<()> {
    let mut guard = terminal::TerminalGuard::enter().wrap_err("could not set up the terminal")?;
    let (detected, spec, presenter) = terminal::detect_graphics(&mut guard, choice);
    app.graphics = detected.backend;
    app.cell_shape = spec.cell_shape;
    if let Some(hint) = detected.hint {
        tracing::info!("graphics hint: {hint}");
        let dir = crate::logging::state_dir();
        if graphics::hint::first_time(hint, dir.as_deref()) {
            app.hint(hint);
        }
    }
    effects.set_thumb_spec(spec);
    let input =
        terminal::InputThread::spawn(tx.clone()).wrap_err("could not start reading keys")?;
    let signals = terminal::spawn_signals(tx.clone()).wrap_err("could not listen for signals")?;
    let writer = output::Writer::stdout();
    writer.on_drained(Some(Box::new(move || {
        let _ = tx.send(Msg::Event(Event::OutputDrained));
    })));
    effects.set_terminal_out(Box::new(output::Output::new(writer)));
    let mut screen = TermScreen {
        terminal: &mut guard.terminal,
        presenter,
        pictures: output::Output::new(writer),
        writer,
        kernel_cell: graphics::detect::kernel_cell_size(),
        panic_after_frame: DebugFailure::from_env(),
    };
    let result = drive(app, &mut effects, &mut rx, &mut screen, Clock::now).await;
    writer.on_drained(None);
    effects.shutdown();
    signals.abort();
    drop(input);
    drop(guard);
    result
}

/// Something the loop draws on: the real terminal, or a test backend (a
/// screen that plays the user in a test wraps one).
pub trait Screen {
    /// Draws one frame of `app` as the view remembers it (`view`, kept
    /// by the loop); returns what the frame drew.
    fn frame(&mut self, app: &App, view: &mut ViewState) -> io::Result<Drawn>;

    /// The terminal may have lost what it showed (see [`redraw`]): the
    /// next frame draws every cell and picture again. Returns the cell
    /// size when it changed (a font zoom), so thumbnails are made again.
    fn lost(&mut self) -> io::Result<Option<(u16, u16)>> {
        Ok(None)
    }

    /// Whether the last frame's bytes are still on their way to the
    /// terminal: the loop then draws nothing until the screen sends
    /// `Event::OutputDrained` (see [`output`]).
    fn busy(&mut self) -> bool {
        false
    }
}

/// The real terminal: draws, then prints the pixel thumbnails that changed;
/// both through the terminal writer ([`output`]), which never blocks.
pub(crate) struct TermScreen<'a> {
    pub terminal: &'a mut terminal::AppTerminal,
    pub(crate) presenter: graphics::print::Presenter,
    /// The presenter's handle on the writer (flushed after the frame's).
    pub(crate) pictures: output::Output,
    pub(crate) writer: &'static std::sync::Arc<output::Writer>,
    /// Fail on purpose once the frame is drawn (see [`test_hooks`]).
    pub(crate) panic_after_frame: Option<DebugFailure>,
    /// The cell size `TIOCGWINSZ` gave last (a change is a font zoom).
    pub(crate) kernel_cell: Option<(u16, u16)>,
}

impl Screen for TermScreen<'_> {
    fn frame(&mut self, app: &App, view: &mut ViewState) -> io::Result<Drawn> {
        let pixels = app.graphics.is_pixels();
        let mut drawn = Drawn::default();
        let mut placed = Vec::new();
        let route = self.presenter.route();
        let presenter = &mut self.presenter;
        let pictures = &mut self.pictures;
        let frame = self.terminal.draw(|f| {
            (drawn, placed) = compose(f, app, view, route);
            // Placeholders: a picture is sent BEFORE the text that shows
            // it (this closure runs before ratatui writes the frame).
            // Seen in kitty 0.41 inside tmux: text that arrived first
            // stayed blank until something else changed on screen.
            if pixels && route == graphics::Route::Placeholders {
                let area = f.area();
                if let Err(e) = presenter.present(&std::mem::take(&mut placed), area, pictures) {
                    tracing::warn!("sending pictures failed: {e}");
                }
            }
        })?;
        if pixels && route == graphics::Route::Printed {
            let area = frame.area;
            if let Err(e) = self.presenter.present(&placed, area, &mut self.pictures) {
                tracing::warn!("printing thumbnails failed: {e}");
            }
        }
        DebugFailure::strike(self.panic_after_frame);
        Ok(drawn)
    }

    fn lost(&mut self) -> io::Result<Option<(u16, u16)>> {
        // Clearing also makes ratatui forget its last frame, so the draw
        // writes every cell; the hole of a picture is blank until printed.
        self.presenter.invalidate();
        self.terminal.clear()?;
        // The kernel's idea of the cell, compared with its own earlier
        // one (the first may have come from the terminal's answer).
        let now = graphics::detect::kernel_cell_size();
        Ok(match now {
            Some(cell) if Some(cell) != self.kernel_cell => {
                self.kernel_cell = Some(cell);
                Some(cell)
            }
            _ => None,
        })
    }

    fn busy(&mut self) -> bool {
        self.writer.busy_or_wake()
    }
}

/// One frame of `app` into `f`: the view, the cell widths every terminal
/// agrees on, and (pixel backends) the pictures ready to print, which the
/// presenter prints after the cells the way `route` takes them.
pub(crate) fn compose(
    f: &mut ratatui::Frame,
    app: &App,
    view: &mut ViewState,
    route: graphics::Route,
) -> (Drawn, Vec<graphics::Placed>) {
    let mut drawn = view.draw(f, app);
    cells::agree_on_widths(f.buffer_mut());
    let mut placed = Vec::new();
    if app.graphics.is_pixels() {
        (placed, drawn.encode_jobs) = graphics::encoded::to_print(
            std::mem::take(&mut drawn.placed),
            f.buffer_mut(),
            app.graphics,
            route,
            &app.encoded,
        );
    }
    (drawn, placed)
}

impl<B: ratatui::backend::Backend> Screen for ratatui::Terminal<B> {
    fn frame(&mut self, app: &App, view: &mut ViewState) -> io::Result<Drawn> {
        let mut drawn = Drawn::default();
        self.draw(|f| {
            drawn = view.draw(f, app);
            cells::agree_on_widths(f.buffer_mut());
        })?;
        Ok(drawn)
    }

    fn lost(&mut self) -> io::Result<Option<(u16, u16)>> {
        self.clear()?;
        Ok(None)
    }
}

/// The loop: waits for a message, drains every other one waiting, runs
/// their effects, draws once — unless the screen is still sending the last
/// frame ([`Screen::busy`]): then it draws once it hears the bytes went
/// out, the latest state as one frame (a repaint owed meanwhile kept).
/// Ticks every 100 ms only while animating. Returns when an effect says
/// quit (once the last save is written) or the channel closes.
pub async fn drive(
    app: &mut App,
    effects: &mut Effects,
    rx: &mut UnboundedReceiver<Msg>,
    screen: &mut impl Screen,
    clock: impl Fn() -> Clock,
) -> Result<()> {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // What the view remembers between frames: the loop keeps it, the
    // view alone writes it.
    let mut view = ViewState::default();
    let drawn = screen.frame(app, &mut view)?;
    let fx = update::drawn(app, &drawn);
    effects.run(fx, app);
    // A frame owed since the terminal writer was last busy, and how much
    // of the screen it must draw.
    let mut owed: Option<redraw::Repaint> = None;
    loop {
        let first = tokio::select! {
            m = rx.recv() => match m {
                Some(m) => m,
                None => return Ok(()),
            },
            _ = tick.tick(), if app.animating() => Msg::Event(Event::Tick),
            // With a day limit, midnight redraws the bar's `today` total.
            _ = tokio::time::sleep(crate::budget::until_next_day(app.clock.wall)),
                if app.budgets.day.is_some() => Msg::Event(Event::Tick),
        };
        app.clock = clock();
        let mut repaint = redraw::after(&first);
        let mut fx = update::update(app, first);
        while let Ok(m) = rx.try_recv() {
            repaint = repaint.max(redraw::after(&m));
            fx.extend(update::update(app, m));
        }
        if effects.run(fx, app) {
            // The last save (the interrupted turns) is on disk first.
            effects.flush().await;
            return Ok(());
        }
        let repaint = owed.map_or(repaint, |o| o.max(repaint));
        if screen.busy() {
            tracing::debug!("the terminal is still taking the last frame: drawing later");
            owed = Some(repaint);
            continue;
        }
        owed = None;
        if repaint == redraw::Repaint::Everything
            && let Some(cell) = screen.lost()?
            && effects.cells_resized(cell)
        {
            // A font zoom: pictures span other cells, made again.
            app.cell_shape = cell;
            app.thumbs.forget_all();
        }
        let drawn = screen.frame(app, &mut view)?;
        let fx = update::drawn(app, &drawn);
        effects.run(fx, app);
    }
}

#[cfg(test)]
mod handed_rerun_tests {
    use super::fixtures::{branched, n};
    use super::playback::RerunPath;
    use super::state::Overlay;
    use super::*;

    #[test]
    fn a_handed_path_opens_the_question_on_its_branch() {
        let mut app = branched();
        app.can_send = true;
        // n6 n7 is not the branch the file remembers (n1 n2 n4 n5).
        ask_rerun(
            &mut app,
            RerunPath {
                from: n(6),
                leaf: n(7),
            },
        );
        assert!(
            matches!(&app.overlay, Overlay::ConfirmRerun(q) if q.from == n(6)),
            "{:?}",
            app.overlay
        );
        assert_eq!(app.conv.selected, Some(n(6)));
        assert_eq!(app.conv.leaf_below(n(6)).ok(), Some(n(7)));
    }

    #[test]
    fn a_turn_gone_from_the_file_is_said_and_nothing_is_asked() {
        let mut app = branched();
        app.can_send = true;
        ask_rerun(
            &mut app,
            RerunPath {
                from: n(40),
                leaf: n(41),
            },
        );
        assert!(matches!(app.overlay, Overlay::None));
        let status = app.status.map(|s| s.text).unwrap_or_default();
        assert!(status.contains("n40 is no longer"), "{status}");
    }
}
