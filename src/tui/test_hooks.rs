//! Failing on purpose, for the terminal-restore tests (the real-terminal
//! suite in tests/integration). Only a build with the `test-hooks` feature
//! reads [`DEBUG_PANIC_VAR`] or can fail: the test kit turns the feature on
//! for `cargo test`, so a release binary carries none of it.

/// `PIXLOOM_DEBUG_PANIC=after-first-frame` makes the app panic on purpose
/// right after its first frame, so the tests can check that a panic
/// restores the terminal. Read once at start; any other value does nothing.
#[cfg(feature = "test-hooks")]
pub const DEBUG_PANIC_VAR: &str = "PIXLOOM_DEBUG_PANIC";
/// The one value of [`DEBUG_PANIC_VAR`] that panics.
#[cfg(feature = "test-hooks")]
pub const DEBUG_PANIC_VALUE: &str = "after-first-frame";
/// The value of [`DEBUG_PANIC_VAR`] that makes an allocation fail instead
/// (an abort, no panic hook): the terminal must still be restored.
#[cfg(feature = "test-hooks")]
pub const DEBUG_OOM_VALUE: &str = "out-of-memory-after-first-frame";

/// How the app fails on purpose.
#[cfg(feature = "test-hooks")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DebugFailure {
    Panic,
    /// An allocation of 64 TiB: it fails and the process aborts.
    OutOfMemory,
}

/// Without the feature there is no way to fail on purpose.
#[cfg(not(feature = "test-hooks"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DebugFailure {}

impl DebugFailure {
    /// What [`DEBUG_PANIC_VAR`] asks for.
    #[cfg(feature = "test-hooks")]
    pub(crate) fn from_env() -> Option<DebugFailure> {
        match std::env::var(DEBUG_PANIC_VAR).ok()?.as_str() {
            DEBUG_PANIC_VALUE => Some(DebugFailure::Panic),
            DEBUG_OOM_VALUE => Some(DebugFailure::OutOfMemory),
            _ => None,
        }
    }

    #[cfg(not(feature = "test-hooks"))]
    pub(crate) fn from_env() -> Option<DebugFailure> {
        None
    }

    /// Fails as asked, once the first frame is on screen.
    pub(crate) fn strike(failure: Option<DebugFailure>) {
        #[cfg(feature = "test-hooks")]
        match failure {
            Some(DebugFailure::Panic) => panic!(
                "{DEBUG_PANIC_VAR}={DEBUG_PANIC_VALUE}: a deliberate panic after the first frame"
            ),
            Some(DebugFailure::OutOfMemory) => {
                let huge: Vec<u8> = Vec::with_capacity(1 << 46);
                std::hint::black_box(huge);
            }
            None => {}
        }
        #[cfg(not(feature = "test-hooks"))]
        let _ = failure;
    }
}
