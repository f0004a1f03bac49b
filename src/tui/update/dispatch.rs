//! What each action does once overlays have had their say: [`read`] for
//! the actions that change nothing and send nothing, [`write`] for the
//! rest. Split by type ([`Access`](super::super::access::Access)): a
//! replay's dispatcher (`replaying.rs`) only ever holds a [`ReadAction`].

use super::super::access::{ReadAction, WriteAction};
use super::super::action::Action;
use super::super::state::{Focus, InputBox, InputKind, Overlay, SizeCursor, model_choices};
use super::compose::{compose, detach, edit, refine, toggle_new_root};
use super::effect::{Effect, ignore};
use super::turns::{cancel, regenerate, retry, send, store_results};
use super::{play, quit_now, tools};
use crate::tui::state::App;
use pixloom_core::tree::Status;

/// An action that only reads: moving, looking, searching, leaving.
pub(super) fn read(app: &mut App, r: ReadAction) -> Vec<Effect> {
    match r {
        ReadAction::MoveDown => ignore(app.conv.select_child()),
        ReadAction::MoveUp => ignore(app.conv.select_parent()),
        ReadAction::PrevSibling | ReadAction::MoveLeft => ignore(app.conv.select_sibling(-1)),
        ReadAction::NextSibling | ReadAction::MoveRight => ignore(app.conv.select_sibling(1)),
        ReadAction::First => {
            if let Some(&root) = app.conv.selected_path().first().or(app.conv.roots.first()) {
                ignore(app.conv.select(root));
            }
        }
        ReadAction::Last => {
            if let Some(from) = app.conv.selected.or(app.conv.roots.first().copied())
                && let Ok(leaf) = app.conv.leaf_below(from)
            {
                ignore(app.conv.select(leaf));
            }
        }
        ReadAction::CycleFocus => {
            app.focus = match app.focus {
                Focus::Tree => Focus::Transcript,
                Focus::Transcript => Focus::Composer,
                Focus::Composer if app.show_tree => Focus::Tree,
                Focus::Composer => Focus::Transcript,
            };
        }
        ReadAction::Help => app.overlay = Overlay::Help { scroll: 0 },
        ReadAction::Info => {
            if let Some(id) = app.conv.selected {
                app.overlay = Overlay::NodeInfo { id, scroll: 0 };
            }
        }
        ReadAction::ErrorDetail => match app.selected_node() {
            Some(n)
                if n.status()
                    .is_some_and(|s| s != Status::Done && s != Status::Pending) =>
            {
                app.overlay = Overlay::ErrorDetail {
                    id: n.id,
                    scroll: 0,
                };
            }
            Some(n) => {
                let id = n.id;
                app.info(format!("{id} has no error"));
            }
            None => {}
        },
        ReadAction::ViewImage => match app.selected_node() {
            Some(n) if n.images().next().is_some() => app.overlay = Overlay::ImageView(n.id),
            _ => app.error("no image on this turn"),
        },
        ReadAction::ToggleTree => {
            app.show_tree = !app.show_tree;
            if !app.show_tree && app.focus == Focus::Tree {
                app.focus = Focus::Transcript;
            }
        }
        ReadAction::Search
        | ReadAction::SearchNext
        | ReadAction::SearchPrev
        | ReadAction::OpenImage
        | ReadAction::SaveImage
        | ReadAction::CopyPath
        | ReadAction::TreeNarrower
        | ReadAction::TreeWider
        | ReadAction::Fold
        | ReadAction::Gallery
        | ReadAction::Compare
        | ReadAction::Complete => return tools::act(app, r.into()),
        ReadAction::Step
        | ReadAction::StepBack
        | ReadAction::PlayPause
        | ReadAction::Faster
        | ReadAction::Slower => play::act(app, r.into()),
        // The start screen's own (tui/start.rs); nothing in the app.
        ReadAction::NewConversation => {}
        ReadAction::Quit => {
            // Asks while quitting would lose something: running requests,
            // a paid picture only in memory, changes a save could not write.
            if app.quit_losses().is_empty() {
                return quit_now(app);
            }
            app.overlay = Overlay::ConfirmQuit;
        }
        // Pages scroll dialogs only (above).
        ReadAction::Confirm | ReadAction::PageUp | ReadAction::PageDown => {}
        ReadAction::Dismiss => {
            if app.focus == Focus::Composer {
                app.focus = if app.show_tree {
                    Focus::Tree
                } else {
                    Focus::Transcript
                };
            } else {
                app.status = None;
            }
        }
    }
    Vec::new()
}

/// An action that changes the conversation or sends a request.
pub(super) fn write(app: &mut App, w: WriteAction) -> Vec<Effect> {
    match w {
        WriteAction::Compose => compose(app),
        WriteAction::Send => return send(app),
        WriteAction::Newline => app.composer.text.insert_newline(),
        WriteAction::Edit => edit(app),
        WriteAction::Regenerate => return regenerate(app),
        WriteAction::Rerun => super::rerun::ask(app),
        WriteAction::Refine => refine(app),
        WriteAction::Variants => match app.user_turn_of_selection() {
            Some(user) => app.overlay = Overlay::Variants { user, count: 3 },
            None => app.error("variants need a prompt: select a user turn or one of its images"),
        },
        WriteAction::Attach => app.overlay = Overlay::Input(InputBox::new(InputKind::Attach, "")),
        WriteAction::Detach => detach(app),
        WriteAction::NewRoot => toggle_new_root(app),
        WriteAction::SizePicker => {
            app.overlay = Overlay::SizePicker {
                cursor: SizeCursor::of(app.composer.params.size),
            };
        }
        WriteAction::ModelPicker => {
            let p = &app.composer.params;
            let cursor = model_choices(p)
                .iter()
                .position(|(m, e)| *m == p.model && *e == p.endpoint)
                .unwrap_or(0);
            app.overlay = Overlay::ModelPicker { cursor };
        }
        WriteAction::Star => {
            if let Some(id) = app.conv.selected
                && let Ok(on) = app.conv.toggle_star(id)
            {
                app.info(if on {
                    format!("starred {id}")
                } else {
                    format!("unstarred {id}")
                });
                return vec![Effect::Save];
            }
        }
        WriteAction::Delete => {
            if let Some(id) = app.conv.selected {
                app.overlay = Overlay::ConfirmDelete(id);
            }
        }
        WriteAction::Cancel => return cancel(app),
        WriteAction::Retry => return retry(app, false),
        WriteAction::RetryLowerTier => return retry(app, true),
        WriteAction::StoreResult => return store_results(app),
        WriteAction::Label => return tools::act(app, Action::Label),
    }
    Vec::new()
}
