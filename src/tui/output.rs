//! The terminal writer: what the app shows goes out on a thread of its
//! own, so a slow terminal never holds the loop.
//!
//! Over a slow link (SSH, a busy tmux client) a 75 KB sixel takes seconds
//! to leave, and a `write(2)` to a full pty blocks until it has. Every
//! byte the app shows — ratatui's frames, the presenter's pictures, an
//! OSC 52 copy — is written into an [`Output`] handle, which keeps it
//! until `flush` and then hands it whole to the one [`Writer`] of the
//! process; its thread drains them to the terminal in the order they were
//! flushed.
//!
//! The loop asks [`Writer::busy_or_wake`] before it draws: while bytes are
//! still in flight it handles messages and effects as usual but draws
//! nothing, and the writer wakes it once everything went out (the loop's
//! `Event::OutputDrained`); it then draws the latest state once. So at
//! most one frame waits here, and none is ever dropped half-written:
//! the terminal always ends up showing what ratatui believes it does.
//!
//! A write that fails (the terminal is gone: `EIO` after a hang-up) marks
//! the writer dead: what is queued and what comes later is dropped, and
//! [`Writer::drain`] returns at once. Leaving the app's terminal mode
//! ([`super::terminal`]) queues the leaving sequences behind everything
//! else and waits for them, bounded (see [`LEAVE_WAIT`]).
//!
//! Before the loop, the graphics probe writes to the terminal directly
//! (it reads the replies itself, and nothing is queued yet).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long leaving the terminal waits for what is queued (and the
/// leaving sequences themselves) to go out. This is what bounds quit on a
/// terminal that takes no bytes at all (a stalled link, a frozen tmux
/// client): the process then exits with its write still pending. A dead
/// terminal fails the write at once, so it does not wait.
pub(crate) const LEAVE_WAIT: Duration = Duration::from_secs(3);

/// Called by the writer's thread when it has written everything after a
/// [`Writer::busy_or_wake`] found it busy.
type Wake = Box<dyn Fn() + Send>;

#[derive(Default)]
struct State {
    /// Flushed bytes the thread has not taken yet.
    queue: Vec<u8>,
    /// The thread is writing bytes it took.
    writing: bool,
    /// A write failed: the terminal is gone, nothing more is written.
    dead: bool,
    /// The loop skipped a frame and waits to hear that all went out.
    wake_wanted: bool,
    wake: Option<Wake>,
    /// Bytes written to the terminal so far.
    written: u64,
}

impl State {
    fn busy(&self) -> bool {
        !self.dead && (self.writing || !self.queue.is_empty())
    }
}

/// The one writer of a terminal: a queue and the thread draining it.
pub(crate) struct Writer {
    state: Mutex<State>,
    changed: Condvar,
    /// The process is going down ([`Writer::stop_for_fatal`]): nothing
    /// more is written. Atomics, not the lock: read on a path that may
    /// neither lock nor allocate.
    fatal: AtomicBool,
    /// The thread is inside a write to the terminal.
    in_write: AtomicBool,
}

static STDOUT: OnceLock<Arc<Writer>> = OnceLock::new();

impl Writer {
    /// A writer draining to `sink` on a thread of its own. The thread lives
    /// as long as the process (the app has one: [`Writer::stdout`]).
    pub(crate) fn spawn(sink: impl Write + Send + 'static) -> io::Result<Arc<Writer>> {
        let writer = Arc::new(Writer {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            fatal: AtomicBool::new(false),
            in_write: AtomicBool::new(false),
        });
        let drains = Arc::clone(&writer);
        std::thread::Builder::new()
            .name("pixloom-output".into())
            .spawn(move || drains.run(sink))?;
        Ok(writer)
    }

    /// The process's writer to its standard output, started on first use.
    pub(crate) fn stdout() -> &'static Arc<Writer> {
        STDOUT.get_or_init(|| {
            Writer::spawn(io::stdout()).unwrap_or_else(|e| {
                // No thread to be had: a writer whose queue nobody drains
                // would hide every frame, so say so loudly.
                panic!("could not start the terminal writer: {e}")
            })
        })
    }

    /// The process's writer, if it was ever started.
    pub(crate) fn stdout_if_started() -> Option<&'static Arc<Writer>> {
        STDOUT.get()
    }

    /// Locks the state; a panic elsewhere while it was held (none of the
    /// code below panics) does not stop the terminal from being restored.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn run(&self, mut sink: impl Write) {
        loop {
            let chunk = {
                let mut s = self.lock();
                while s.queue.is_empty() {
                    s = self
                        .changed
                        .wait(s)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
                s.writing = true;
                std::mem::take(&mut s.queue)
            };
            // Marked before `fatal` is read (both SeqCst): either this
            // write sees it and stops, or `stop_for_fatal` sees the write
            // and waits for it.
            self.in_write.store(true, Ordering::SeqCst);
            let result = if self.fatal.load(Ordering::SeqCst) {
                Err(io::Error::other("the process is going down"))
            } else {
                sink.write_all(&chunk).and_then(|()| sink.flush())
            };
            self.in_write.store(false, Ordering::SeqCst);
            let mut s = self.lock();
            match result {
                Ok(()) => s.written += chunk.len() as u64,
                Err(e) => {
                    if !s.dead {
                        tracing::warn!("the terminal takes no more output: {e}");
                    }
                    s.dead = true;
                    s.queue.clear();
                }
            }
            if s.queue.is_empty() {
                s.writing = false;
                self.changed.notify_all();
                if std::mem::take(&mut s.wake_wanted)
                    && let Some(wake) = &s.wake
                {
                    tracing::debug!("the terminal took everything: waking the loop");
                    wake();
                }
            }
        }
    }

    /// Queues `bytes` behind everything flushed before (dropped when the
    /// terminal is gone).
    fn push(&self, bytes: &[u8]) {
        let mut s = self.lock();
        if !s.dead {
            s.queue.extend_from_slice(bytes);
            self.changed.notify_all();
        }
    }

    /// Whether bytes are still in flight; if so, `wake` is called once
    /// they all went out (set by [`Writer::on_drained`]).
    pub(crate) fn busy_or_wake(&self) -> bool {
        let mut s = self.lock();
        let busy = s.busy();
        if busy {
            s.wake_wanted = true;
        }
        busy
    }

    /// What to call when the bytes a busy answer waited for went out
    /// (the loop's `Event::OutputDrained`); `None` stops calling.
    pub(crate) fn on_drained(&self, wake: Option<Wake>) {
        let mut s = self.lock();
        s.wake = wake;
        s.wake_wanted = false;
    }

    /// Waits until everything queued went out (or the terminal is gone),
    /// at most `bound`; returns whether it did.
    pub(crate) fn drain(&self, bound: Duration) -> bool {
        let s = self.lock();
        let (s, _) = self
            .changed
            .wait_timeout_while(s, bound, |s| s.busy())
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        !s.busy()
    }

    /// Queues `bytes` and waits, at most `bound`, until they went out.
    pub(crate) fn finish(&self, bytes: &[u8], bound: Duration) -> bool {
        self.push(bytes);
        self.drain(bound)
    }

    /// Stops writing for good and waits, at most `bound`, for a write
    /// under way to end, so what the caller writes next to the terminal
    /// directly comes after it (an allocation failure's restore: seen,
    /// a frame's hidden cursor landing after the restore's shown one).
    /// Neither locks nor allocates.
    pub(crate) fn stop_for_fatal(&self, bound: Duration) {
        self.fatal.store(true, Ordering::SeqCst);
        let start = Instant::now();
        while self.in_write.load(Ordering::SeqCst) && start.elapsed() < bound {
            std::thread::yield_now();
        }
    }

    /// Bytes written to the terminal so far.
    #[cfg(test)]
    pub(crate) fn written(&self) -> u64 {
        self.lock().written
    }
}

/// A handle writing into a [`Writer`]: bytes are kept until `flush`, then
/// queued whole, so a frame never goes out in pieces mixed with another
/// handle's.
pub(crate) struct Output {
    writer: Arc<Writer>,
    pending: Vec<u8>,
}

impl Output {
    pub(crate) fn new(writer: &Arc<Writer>) -> Output {
        Output {
            writer: Arc::clone(writer),
            pending: Vec::new(),
        }
    }

    /// A handle on the process's standard output ([`Writer::stdout`]).
    pub(crate) fn stdout() -> Output {
        Output::new(Writer::stdout())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.writer.push(&self.pending);
            self.pending.clear();
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests;
