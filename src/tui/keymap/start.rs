//! The start screen's keys (a bare `pixloom`), kept beside the main table
//! and merged into it: help, `docs/keys.md` and `[keys.start]` in the
//! config file treat them like any other context's.

use super::Context;
use crate::tui::action::Action;

/// The start screen's default bindings; its name input uses
/// [`Context::Input`]'s keys.
pub(crate) const BINDINGS: &[(Context, &str, Action)] = &[
    (Context::Start, "enter", Action::Confirm),
    (Context::Start, "n", Action::NewConversation),
    (Context::Start, "j", Action::MoveDown),
    (Context::Start, "down", Action::MoveDown),
    (Context::Start, "k", Action::MoveUp),
    (Context::Start, "up", Action::MoveUp),
    (Context::Start, "g", Action::First),
    (Context::Start, "home", Action::First),
    (Context::Start, "G", Action::Last),
    (Context::Start, "end", Action::Last),
    (Context::Start, "q", Action::Quit),
    (Context::Start, "esc", Action::Quit),
];

/// What an action does on the start screen, where it differs from its
/// own words.
pub(super) fn describe(ctx: Context, action: Action) -> Option<&'static str> {
    if ctx != Context::Start {
        return None;
    }
    Some(match action {
        Action::Confirm => "open the conversation",
        Action::MoveDown => "next conversation",
        Action::MoveUp => "previous conversation",
        Action::First => "first conversation",
        Action::Last => "last conversation",
        Action::Quit => "quit without opening one",
        _ => return None,
    })
}
