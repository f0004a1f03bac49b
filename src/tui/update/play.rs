//! Replay: stepping by hand and on the timer, play / pause, speed.

use super::super::action::Action;
use super::super::playback::{SPEEDS, position};
use super::super::state::App;
use super::effect::{Effect, ignore};

pub(super) fn act(app: &mut App, a: Action) {
    let now = app.clock.mono;
    let Some(replay) = app.replay.as_mut() else {
        match a {
            // Bound elsewhere by a config file: plain navigation.
            Action::Step => ignore(app.conv.select_child()),
            Action::StepBack => ignore(app.conv.select_parent()),
            _ => app.info("play, pause and speed are for `pixloom replay`"),
        }
        return;
    };
    match a {
        Action::Step | Action::StepBack => {
            replay.last_step = now;
            let moved = if a == Action::Step {
                app.conv.select_child()
            } else {
                app.conv.select_parent()
            };
            if moved == Ok(false) && a == Action::Step {
                app.info("the end of this branch: h/l pick another, g starts again");
            }
        }
        Action::PlayPause => {
            replay.playing = !replay.playing;
            replay.last_step = now;
            let playing = replay.playing;
            let secs = replay.step_secs();
            let at_end = position(&app.conv).is_some_and(|(at, of)| at == of);
            if playing && at_end {
                // Play from the start when there is nothing left to play.
                if let Some(&root) = app.conv.selected_path().first() {
                    ignore(app.conv.select(root));
                }
            }
            app.info(if playing {
                format!("playing, {secs:.1} s per turn")
            } else {
                "paused".to_owned()
            });
        }
        Action::Faster | Action::Slower => {
            replay.speed = if a == Action::Faster {
                replay.speed.saturating_sub(1)
            } else {
                (replay.speed + 1).min(SPEEDS.len() - 1)
            };
            let secs = replay.step_secs();
            app.info(format!("{secs:.1} s per turn"));
        }
        _ => {}
    }
}

/// The loop's tick: a playing replay steps when its time has come, and
/// stops at the end of the branch.
pub(super) fn tick(app: &mut App) -> Vec<Effect> {
    let now = app.clock.mono;
    let Some(replay) = app.replay.as_mut() else {
        return Vec::new();
    };
    if !replay.due(now) {
        return Vec::new();
    }
    replay.last_step = now;
    if app.conv.select_child() != Ok(true) {
        if let Some(r) = app.replay.as_mut() {
            r.playing = false;
        }
        app.info("the end of this branch: h/l pick another, p plays again");
    }
    Vec::new()
}
