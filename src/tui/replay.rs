//! `pixloom replay CONV`: a saved conversation played back turn by turn.
//!
//! Offline and read-only: the folder is read with
//! [`convfile::read_only`](crate::convfile::read_only) (no lock, nothing
//! written), there is no engine, and the replay's dispatcher
//! (`update/replaying.rs`) runs only read actions (`access::ReadAction`),
//! whatever a key is bound to. The app is the ordinary one with
//! [`App::replay`] set: the transcript shows the path up to the selected
//! turn (the rest is still to come), `space` steps down the remembered
//! branch, `h`/`l` switch to a sibling (the remaining path follows the
//! children remembered below it), and `p` plays one step every
//! [`Replay::step_secs`] on the loop's tick. This file is the driver; the
//! playback state is `playback.rs`.
//!
//! `P` ends the replay with a [`RerunPath`] ([`Ended::Rerun`]): the CLI
//! then opens the folder for writing as `pixloom CONV` does and the app
//! opens on the re-run question; when the folder cannot be opened (held
//! by another pixloom, read-only, gone) the replay comes back where it
//! was, saying why ([`ReplayArgs::back`]).

use std::path::PathBuf;

use color_eyre::eyre::Result;
use tokio::sync::mpsc::unbounded_channel;

use crate::convfile;
use pixloom_core::tree::{Conversation, RequestParams};

use super::Effects;
use super::graphics::GraphicsChoice;
use super::keymap::Keymap;
pub use super::playback::RerunPath;
pub use super::playback::position;
use super::playback::{DEFAULT_SPEED, Replay, SPEEDS};
use super::state::{App, Clock};

/// The app in replay mode over `conv`, at its first turn (the branch below
/// it is the one last visited when the conversation was saved).
pub fn app(conv: Conversation, clock: Clock, speed_secs: Option<f64>, play: bool) -> App {
    let defaults = conv
        .nodes
        .values()
        .find_map(|n| n.turn.as_ref().map(|t| t.request.clone()))
        .unwrap_or_else(|| RequestParams {
            endpoint: pixloom_core::tree::Endpoint::Chat,
            model: pixloom_core::model::DEFAULT_MODEL.to_owned(),
            size: pixloom_core::size::SizeSpec::Auto,
        });
    let start = conv
        .selected
        .and_then(|s| conv.path_to(s).ok())
        .and_then(|p| p.first().copied())
        .or_else(|| conv.roots.first().copied());
    let mut app = App::new(conv, defaults, clock);
    app.can_send = false;
    let mut replay = Replay::new(clock.mono);
    if let Some(secs) = speed_secs {
        // The nearest speed on the ladder.
        let off = |i: usize| (f64::from(SPEEDS[i]) / 10.0 - secs).abs();
        replay.speed = (0..SPEEDS.len())
            .min_by(|&a, &b| off(a).total_cmp(&off(b)))
            .unwrap_or(DEFAULT_SPEED);
    }
    replay.playing = play;
    app.replay = Some(replay);
    if let Some(first) = start {
        let _ = app.conv.select(first);
    }
    app.title = format!("replay · {}", app.conv.title);
    app
}

/// What the CLI hands the replay.
pub struct ReplayArgs {
    /// The conversation folder (`NAME.pixloom`).
    pub dir: PathBuf,
    /// Seconds per turn when playing (nearest of [`SPEEDS`]).
    pub(crate) speed_secs: Option<f64>,
    /// Start playing at once.
    pub(crate) play: bool,
    pub graphics: GraphicsChoice,
    /// The keymap in force (the config file's `[keys]` over the defaults).
    pub(crate) keys: Keymap,
    /// A key is configured: `P` may hand a re-run to the app.
    pub(crate) can_rerun: bool,
    /// Back from a re-run that could not start: the path to show again
    /// and why it could not.
    pub(crate) back: Option<(RerunPath, String)>,
}

/// How a replay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Quit,
    /// The user asked to re-run this path (`P`).
    Rerun(RerunPath),
}

/// Runs the replay in the terminal until the user quits or asks to re-run.
pub async fn run(args: ReplayArgs) -> Result<Ended> {
    // The error names the folder itself (last): not said twice.
    let (conv, store) = convfile::read_only(&args.dir)?;
    let mut app = app(conv, Clock::now(), args.speed_secs, args.play);
    app.keymap = args.keys;
    if let Some(replay) = app.replay.as_mut() {
        replay.can_rerun = args.can_rerun;
    }
    if let Some((path, why)) = args.back {
        // As the user left it; the turn may be gone if the file changed.
        if app.conv.select(path.leaf).is_ok() {
            let _ = app.conv.select(path.from);
        }
        app.error(why);
    }
    let (tx, rx) = unbounded_channel();
    let effects = Effects::read_only(store, tx.clone());
    super::in_terminal(&mut app, effects, tx, rx, args.graphics).await?;
    Ok(match app.replay.and_then(|r| r.rerun) {
        Some(path) => Ended::Rerun(path),
        None => Ended::Quit,
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::tui::fixtures::{T0, branched_conv, n};

    fn clock() -> Clock {
        Clock {
            mono: Instant::now(),
            wall: T0,
        }
    }

    #[test]
    fn starts_at_the_first_turn_of_the_saved_branch() {
        let a = app(branched_conv(), clock(), None, false);
        assert_eq!(a.conv.selected, Some(n(1)));
        assert_eq!(position(&a.conv), Some((1, 4)), "n1 n2 n4 n5");
        assert_eq!(a.shown_path(), [n(1)], "the future is not shown");
        assert!(!a.can_send);
        assert!(!a.animating());
    }

    #[test]
    fn speed_flag_picks_the_nearest_step() {
        let a = app(branched_conv(), clock(), Some(0.9), true);
        let r = a.replay.as_ref().unwrap();
        assert!((r.step_secs() - 1.0).abs() < f64::EPSILON);
        assert!(r.playing && a.animating());
        let c = clock();
        let r = Replay {
            playing: true,
            ..Replay::new(c.mono)
        };
        assert!(!r.due(c.mono + Duration::from_millis(1999)));
        assert!(r.due(c.mono + Duration::from_secs(2)));
    }
}
