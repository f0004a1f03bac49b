//! The real terminal: set-up, restore, input and signals.
//!
//! The terminal is ALWAYS restored: by [`TerminalGuard`]'s drop (quit and
//! error), by the panic hook (a panic on the UI thread restores before the
//! previous hook — color-eyre's — prints), and SIGTERM / SIGHUP / SIGINT
//! become an event that quits cleanly; an allocation failure (an abort:
//! no hook, no drop) by the binary's allocator through
//! [`restore_after_fatal`]. A panic on another thread (a
//! request task) is logged, not printed over the screen; the task's turn
//! is failed by the effects module.
//!
//! Input is read on a dedicated thread (ratatui's crossterm re-export has
//! no `event-stream` feature) that forwards to the loop's channel. It
//! starts after set-up and after [`detect_graphics`], whose probe reads the
//! terminal's replies first.

use std::io::{self, Write as _, stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::thread::ThreadId;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent, KeyEventKind,
};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{execute, queue};
use tokio::sync::mpsc::UnboundedSender;

use super::action::{Event, Msg};
use super::output::{self, Output};

/// Whether the terminal is in the app's mode (raw, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The tty modes before the app changed them, for [`restore_after_fatal`]
/// (crossterm keeps its own copy behind a lock it may be holding).
static MODES_BEFORE: OnceLock<rustix::termios::Termios> = OnceLock::new();
/// The thread that draws: only its panics restore the terminal.
static UI_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);
static HOOK: Once = Once::new();

/// Leaves the app's terminal mode if it is in it; safe to call twice.
///
/// The leaving sequences go out after everything the terminal writer
/// ([`super::output`]) still holds, so a frame or picture in flight is
/// never cut by them; the wait is bounded by [`output::LEAVE_WAIT`] (a
/// terminal that takes nothing is given up on: quit never hangs on it).
/// Raw mode ends after the wait, so the queued bytes leave as written.
pub(crate) fn restore() -> io::Result<()> {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut leaving = Vec::new();
        queue!(
            leaving,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            ratatui::crossterm::cursor::Show
        )?;
        let written = match output::Writer::stdout_if_started() {
            Some(writer) => {
                if !writer.finish(&leaving, output::LEAVE_WAIT) {
                    tracing::warn!(
                        "the terminal took no output for {:?}: leaving without it",
                        output::LEAVE_WAIT
                    );
                }
                Ok(())
            }
            None => stdout().write_all(&leaving).and_then(|()| stdout().flush()),
        };
        disable_raw_mode()?;
        written?;
    }
    Ok(())
}

/// Restores the terminal on a path where nothing may allocate or lock: an
/// allocation failure, which aborts the process without running a panic
/// hook or any drop. Writes the leaving sequences and sets the saved tty
/// modes back with plain system calls; safe to call twice.
pub fn restore_after_fatal() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        // After any frame the writer is putting out, and before none.
        if let Some(writer) = output::Writer::stdout_if_started() {
            writer.stop_for_fatal(output::LEAVE_WAIT);
        }
        // Bracketed paste off, the main screen, the cursor shown.
        let _ = rustix::io::write(rustix::stdio::stdout(), b"\x1b[?2004l\x1b[?1049l\x1b[?25h");
        if let Some(modes) = MODES_BEFORE.get() {
            let _ = rustix::termios::tcsetattr(
                rustix::stdio::stdin(),
                rustix::termios::OptionalActions::Now,
                modes,
            );
        }
    }
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_ui = UI_THREAD.lock().ok().and_then(|t| *t) == Some(std::thread::current().id());
            if ACTIVE.load(Ordering::SeqCst) && !on_ui {
                tracing::error!("panic in a background task: {info}");
                return;
            }
            let _ = restore();
            previous(info);
        }));
    });
}

/// The terminal the app draws on: ratatui over the terminal writer.
pub(crate) type AppTerminal = Terminal<CrosstermBackend<Output>>;

/// The terminal in the app's mode; restores it when dropped.
pub(crate) struct TerminalGuard {
    pub terminal: AppTerminal,
}

impl TerminalGuard {
    /// Raw mode, alternate screen, bracketed paste, hidden cursor; written
    /// directly (nothing is queued yet, and the graphics probe comes next,
    /// also direct). Frames go through the terminal writer.
    pub(crate) fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        if let Ok(mut t) = UI_THREAD.lock() {
            *t = Some(std::thread::current().id());
        }
        if let Ok(modes) = rustix::termios::tcgetattr(rustix::stdio::stdin()) {
            let _ = MODES_BEFORE.set(modes);
        }
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        // The cursor is hidden here, not by ratatui, whose `Terminal` would
        // show it again when dropped, after the leaving sequences.
        let set_up = execute!(
            stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste,
            ratatui::crossterm::cursor::Hide
        )
        .and_then(|()| Terminal::new(CrosstermBackend::new(Output::stdout())));
        match set_up {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                let _ = restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = restore();
    }
}

/// Detects the terminal's graphics once: after raw mode, before the input
/// thread (the probe reads the replies itself), then clears the screen in
/// case a terminal echoed a query. Returns what thumbnails are made for
/// (the effects own it) and the presenter that prints them.
pub(crate) fn detect_graphics(
    guard: &mut TerminalGuard,
    choice: super::graphics::GraphicsChoice,
) -> (
    super::graphics::detect::Detected,
    super::graphics::ThumbSpec,
    super::graphics::print::Presenter,
) {
    use super::graphics::{self, ThumbSpec, detect};
    let env = |k: &str| std::env::var(k).ok();
    let detected = detect::detect(choice, &env);
    if let Err(e) = guard.terminal.clear() {
        tracing::warn!("could not clear the screen: {e}");
    }
    let spec = ThumbSpec {
        backend: detected.backend,
        truecolor: detected.truecolor,
        cell_px: graphics::geometry::picture_cell(detected.backend, detected.cell_px),
        cell_shape: detected.cell_px.unwrap_or(graphics::DEFAULT_CELL),
        cache_dir: super::thumbs::default_cache_dir(&env),
        route: detected.route,
        backdrop: detected.background,
    };
    let presenter = graphics::print::Presenter::new(&detected);
    (detected, spec, presenter)
}

/// The input thread; stops within 100 ms of being dropped.
pub(crate) struct InputThread {
    stop: Arc<AtomicBool>,
    /// Disconnected when the thread has ended (its sender dropped).
    ended: std::sync::mpsc::Receiver<()>,
}

/// How long dropping an [`InputThread`] waits for it to stop reading: its
/// poll wakes every 100 ms; a terminal that is gone may keep it longer.
const READER_STOP_WAIT: Duration = Duration::from_millis(500);

impl InputThread {
    pub(crate) fn spawn(tx: UnboundedSender<Msg>) -> io::Result<InputThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = Arc::clone(&stop);
        let (ended_tx, ended) = std::sync::mpsc::channel::<()>();
        // Detached: see `Drop`.
        std::thread::Builder::new()
            .name("pixloom-input".into())
            .spawn(move || {
                let _ended = ended_tx;
                while !stop2.load(Ordering::SeqCst) {
                    // Polling (not a blocking read) so the thread can stop; an
                    // idle poll writes nothing.
                    match event::poll(Duration::from_millis(100)) {
                        Ok(false) => continue,
                        Ok(true) => {}
                        Err(_) => break,
                    }
                    // Stopped while waiting: the key is left for the next
                    // reader (the app after the start screen), not lost.
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let msg = match event::read() {
                        Ok(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => Event::Key(k),
                        Ok(TermEvent::Paste(s)) => Event::Paste(s),
                        Ok(TermEvent::Resize(w, h)) => Event::Resize(w, h),
                        Ok(_) => continue,
                        Err(_) => break,
                    };
                    if tx.send(Msg::Event(msg)).is_err() {
                        break;
                    }
                }
            })?;
        Ok(InputThread { stop, ended })
    }
}

impl Drop for InputThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Waited for, so that when the next screen starts (the app after
        // the start screen or a replay) nothing reads the terminal but
        // its graphics probe. Seen in xterm: the old reader, still in its
        // poll, took the probe's replies, so the app fell back to
        // half-blocks and XTVERSION's reply arrived as keys ("e" opened
        // an edit, "rm(379)" was typed in the composer).
        // Bounded, not joined: when the terminal is gone (SSH dropped,
        // tmux killed), crossterm's read can spin inside itself and never
        // return, and joining would keep pixloom alive forever after
        // SIGHUP. Such a thread ends with the process.
        let _ = self.ended.recv_timeout(READER_STOP_WAIT);
    }
}

/// SIGTERM, SIGHUP and SIGINT become `Event::Terminate`.
pub(crate) fn spawn_signals(tx: UnboundedSender<Msg>) -> io::Result<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = hup.recv() => "SIGHUP",
            _ = int.recv() => "SIGINT",
        };
        let _ = tx.send(Msg::Event(Event::Terminate(name)));
    }))
}
