//! A replay's dispatcher. A replay only reads: actions are split by type
//! ([`Access`]) and this dispatcher runs only [`ReadAction`]s, so nothing
//! here can reach the code that writes or sends. A writing action (bound
//! in `[keys.replay]` by a config file, or a dialog's key such as `R` in
//! the error view) is refused with the way to change the conversation.
//!
//! One writing action leaves instead: re-run (`P`, [`HANDED_TO_THE_APP`]).
//! The replay checks that it can be planned and that a key is set, then
//! ends, naming the path; its driver opens the folder for writing the way
//! `pixloom CONV` does (lock, key, ledger) and the app opens on the re-run
//! question. Nothing here writes: the replay only says where to go.

use pixloom_core::settings::TurnSettings;

use super::super::access::{Access, ReadAction, WriteAction};
use super::super::action::Action;
use super::super::playback::RerunPath;
use super::super::state::{App, Overlay};
use super::effect::{Effect, NO_KEY};
use super::{dispatch, overlay_first};

/// The writing actions a replay hands to the app (it ends, and the app
/// opens on them) instead of refusing.
pub(crate) const HANDED_TO_THE_APP: [WriteAction; 1] = [WriteAction::Rerun];

pub(super) fn act(app: &mut App, a: Action) -> Vec<Effect> {
    let r = match a.access() {
        Access::Read(r) => r,
        // Re-run is the one action handed over.
        Access::Write(w) if HANDED_TO_THE_APP.contains(&w) => return rerun(app),
        Access::Write(_) => {
            app.overlay = Overlay::None;
            app.error(
                "a replay is read-only: open the conversation with `pixloom CONV` to change it",
            );
            return Vec::new();
        }
    };
    if let Some(fx) = overlay_first(app, r.into()) {
        return fx;
    }
    match r {
        ReadAction::Quit => leave(app),
        r => dispatch::read(app, r),
    }
}

/// `P`: leaves the replay to re-run from the selected turn, once the
/// re-run can be planned and sent; else says why and stays.
fn rerun(app: &mut App) -> Vec<Effect> {
    app.overlay = Overlay::None;
    let can_rerun = app.replay.as_ref().is_some_and(|r| r.can_rerun);
    if !can_rerun {
        app.error(format!("re-running sends requests: {NO_KEY}"));
        return Vec::new();
    }
    let Some(from) = app.conv.selected else {
        app.error("select a turn to re-run from");
        return Vec::new();
    };
    let as_it_was = TurnSettings::default();
    let planned = app
        .conv
        .plan_rerun(from, None, &as_it_was, &app.composer.params)
        .map_err(|e| e.to_string())
        .and_then(|_| app.conv.leaf_below(from).map_err(|e| e.to_string()));
    match planned {
        Ok(leaf) => {
            if let Some(replay) = app.replay.as_mut() {
                replay.rerun = Some(RerunPath { from, leaf });
            }
            leave(app)
        }
        Err(e) => {
            app.error(e);
            Vec::new()
        }
    }
}

/// Leaving a replay: nothing to save, nothing to ask.
pub(super) fn leave(app: &mut App) -> Vec<Effect> {
    app.quitting = true;
    vec![Effect::Quit]
}

#[cfg(test)]
mod tests {
    use super::super::super::action::Msg;
    use super::super::super::fixtures::{n, replaying};
    use super::super::update;
    use super::*;

    fn with_key() -> App {
        let mut app = replaying();
        app.replay.as_mut().expect("a replay").can_rerun = true;
        app
    }

    fn press(app: &mut App, a: Action) -> Vec<Effect> {
        update(app, Msg::Action(a))
    }

    #[test]
    fn p_ends_the_replay_naming_the_branch_it_showed() {
        let mut app = with_key();
        let before = format!("{:?}", app.conv.nodes);
        assert_eq!(press(&mut app, Action::Rerun), vec![Effect::Quit]);
        assert!(app.quitting);
        let handed = app.replay.as_ref().and_then(|r| r.rerun);
        assert_eq!(
            handed,
            Some(RerunPath {
                from: n(1),
                leaf: n(5)
            }),
            "n1 down the saved branch n2 n4 n5"
        );
        assert_eq!(format!("{:?}", app.conv.nodes), before, "nothing written");
    }

    #[test]
    fn after_switching_branch_in_the_replay_that_branch_is_handed() {
        let mut app = with_key();
        press(&mut app, Action::NextSibling);
        assert_eq!(app.conv.selected, Some(n(6)));
        press(&mut app, Action::Rerun);
        let handed = app.replay.as_ref().and_then(|r| r.rerun);
        assert_eq!(
            handed,
            Some(RerunPath {
                from: n(6),
                leaf: n(7)
            })
        );
    }

    #[test]
    fn without_a_key_it_says_how_to_set_one_and_stays() {
        let mut app = replaying();
        assert_eq!(press(&mut app, Action::Rerun), vec![]);
        assert!(!app.quitting);
        assert_eq!(app.replay.as_ref().and_then(|r| r.rerun), None);
        let status = app.status.map(|s| s.text).unwrap_or_default();
        assert!(
            status.contains("re-running sends requests") && status.contains("PIXLOOM_API_KEY"),
            "{status}"
        );
    }

    #[test]
    fn a_path_that_cannot_be_planned_stays_with_the_reason() {
        let mut app = with_key();
        app.conv.selected = None;
        assert_eq!(press(&mut app, Action::Rerun), vec![]);
        assert!(!app.quitting);
        let status = app.status.map(|s| s.text).unwrap_or_default();
        assert!(status.contains("select a turn"), "{status}");
    }
}
