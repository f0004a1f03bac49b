//! A replay's playback state: where it is, whether it plays, how fast.
//! Pure data; the driver (`replay.rs`) builds the app with it, `update`
//! (`update/play.rs`) steps it, the view draws it. It imports nothing of
//! the app, so `state.rs` holds it without an import circle.

use std::time::{Duration, Instant};

use pixloom_core::tree::{Conversation, NodeId};

/// Seconds per step, in tenths, from fastest to slowest.
pub(crate) const SPEEDS: [u32; 9] = [5, 10, 15, 20, 30, 50, 80, 130, 200];
/// The default: two seconds a turn.
pub(crate) const DEFAULT_SPEED: usize = 3;

/// Playback state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub(crate) playing: bool,
    /// Index into [`SPEEDS`].
    pub(crate) speed: usize,
    /// When the last step was taken (by the user or the timer).
    pub(crate) last_step: Instant,
    /// A key is configured, so a re-run can be handed to the app.
    pub(crate) can_rerun: bool,
    /// Set when the user asked to re-run: the replay ends and its driver
    /// opens the folder for writing (see `replay.rs`).
    pub(crate) rerun: Option<RerunPath>,
}

/// The path a replay hands to the app to re-run: from this turn down to
/// this leaf, the branch the replay was showing (the file may remember
/// another below `from`, if the user switched branches in the replay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RerunPath {
    pub from: NodeId,
    pub leaf: NodeId,
}

impl Replay {
    pub fn new(now: Instant) -> Self {
        Replay {
            playing: false,
            speed: DEFAULT_SPEED,
            last_step: now,
            can_rerun: false,
            rerun: None,
        }
    }

    /// Seconds per step, e.g. `2.0`.
    pub(crate) fn step_secs(&self) -> f64 {
        f64::from(SPEEDS[self.speed.min(SPEEDS.len() - 1)]) / 10.0
    }

    pub(crate) fn step_every(&self) -> Duration {
        Duration::from_millis(u64::from(SPEEDS[self.speed.min(SPEEDS.len() - 1)]) * 100)
    }

    /// Whether the timer should step at `now`.
    pub(crate) fn due(&self, now: Instant) -> bool {
        self.playing && now.saturating_duration_since(self.last_step) >= self.step_every()
    }
}

/// Step `at` of `of` on the selected branch (1-based), for the title.
pub fn position(conv: &Conversation) -> Option<(usize, usize)> {
    let sel = conv.selected?;
    let at = conv.path_to(sel).ok()?.len();
    let leaf = conv.leaf_below(sel).ok()?;
    Some((at, conv.path_to(leaf).ok()?.len()))
}
