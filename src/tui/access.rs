//! Which actions only read and which write, as types: [`Action::access`]
//! puts every action on one side by an exhaustive match, so a new action
//! does not compile until it is classified, and a replay's dispatcher,
//! which holds only [`ReadAction`]s, cannot run a writing one.
//!
//! Writing means changing the conversation or sending a request. Copying
//! an image out (`save-image`) or opening it changes neither: reading.

use super::action::Action;

/// Declares [`ReadAction`], [`WriteAction`] and the conversions from the
/// two lists; the match in [`Action::access`] is exhaustive, and an action
/// named on both sides is an unreachable pattern (denied).
macro_rules! access {
    (read: [$($r:ident),* $(,)?], write: [$($w:ident),* $(,)?] $(,)?) => {
        /// An action that changes nothing in the conversation and sends nothing.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum ReadAction {
            $($r,)*
        }

        /// An action that changes the conversation or sends a request.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum WriteAction {
            $($w,)*
        }

        impl Action {
            /// Which side `self` is on.
            pub(crate) fn access(self) -> Access {
                match self {
                    $(Action::$r => Access::Read(ReadAction::$r),)*
                    $(Action::$w => Access::Write(WriteAction::$w),)*
                }
            }
        }

        impl From<ReadAction> for Action {
            fn from(r: ReadAction) -> Action {
                match r {
                    $(ReadAction::$r => Action::$r,)*
                }
            }
        }

        impl From<WriteAction> for Action {
            fn from(w: WriteAction) -> Action {
                match w {
                    $(WriteAction::$w => Action::$w,)*
                }
            }
        }
    };
}

/// An action, by what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read(ReadAction),
    Write(WriteAction),
}

access! {
    read: [
        MoveDown, MoveUp, PrevSibling, NextSibling, First, Last, MoveLeft, MoveRight,
        PageUp, PageDown, CycleFocus, Help, Info, ErrorDetail, ViewImage, ToggleTree,
        Quit, Confirm, Dismiss, Search, SearchNext, SearchPrev, OpenImage, SaveImage,
        CopyPath, TreeNarrower, TreeWider, Fold, Gallery, Compare, Complete, Step,
        StepBack, PlayPause, Faster, Slower, NewConversation,
    ],
    write: [
        Compose, Send, Newline, Edit, Regenerate, Rerun, Refine, Variants, Attach, Detach,
        NewRoot, SizePicker, ModelPicker, Star, Delete, Cancel, Retry, RetryLowerTier,
        StoreResult, Label,
    ],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Msg;
    use crate::tui::fixtures::replaying;
    use crate::tui::keymap::{Context, Keymap};
    use crate::tui::update::replaying::HANDED_TO_THE_APP;
    use crate::tui::update::update;

    #[test]
    fn every_action_comes_back_from_its_side() {
        for &a in Action::ALL {
            let back = match a.access() {
                Access::Read(r) => Action::from(r),
                Access::Write(w) => Action::from(w),
            };
            assert_eq!(back, a);
        }
    }

    #[test]
    fn the_replay_keys_only_read_or_hand_over() {
        let keys = Keymap::default();
        for b in keys
            .bindings()
            .iter()
            .filter(|b| b.context == Context::Replay)
        {
            let ok = match b.action.access() {
                Access::Read(_) => true,
                Access::Write(w) => HANDED_TO_THE_APP.contains(&w),
            };
            assert!(ok, "{:?} is bound in a replay but writes", b.action);
        }
    }

    #[test]
    fn a_replay_refuses_every_writing_action_and_changes_nothing() {
        for &a in Action::ALL {
            if let Access::Write(w) = a.access()
                && !HANDED_TO_THE_APP.contains(&w)
            {
                let mut app = replaying();
                let before = format!("{:?}", app.conv);
                assert_eq!(update(&mut app, Msg::Action(a)), vec![], "{a:?}");
                assert_eq!(format!("{:?}", app.conv), before, "{a:?}");
                let status = app.status.map(|s| s.text).unwrap_or_default();
                assert!(
                    status.contains("a replay is read-only") && status.contains("pixloom CONV"),
                    "{a:?}: {status}"
                );
            }
        }
    }
}
