//! A replay's dispatcher. A replay only reads: actions are split by type
//! ([`Access`]) and this dispatcher runs only [`ReadAction`]s, so nothing
//! here can reach the code that writes or sends. A writing action (bound
//! in `[keys.replay]` by a config file, or a dialog's key such as `R` in
//! the error view) is refused with the way to change the conversation.

use super::super::access::{Access, ReadAction};
use super::super::action::Action;
use super::super::state::{App, Overlay};
use super::effect::Effect;
use super::{dispatch, overlay_first};

pub(super) fn act(app: &mut App, a: Action) -> Vec<Effect> {
    let r = match a.access() {
        Access::Read(r) => r,
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

/// Leaving a replay: nothing to save, nothing to ask.
pub(super) fn leave(app: &mut App) -> Vec<Effect> {
    app.quitting = true;
    vec![Effect::Quit]
}
