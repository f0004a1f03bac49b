//! `update`: a message changes the state and returns the effects to run.
//! Synchronous and free of I/O, so it is tested as data: state + message →
//! state + effects (`update_tests.rs`).
//!
//! Rules kept here:
//! - every change to the tree returns [`Effect::Save`], before any
//!   [`Effect::StartTurn`] (a crash leaves `interrupted` turns, not lost ones);
//! - a finished turn lands on its own node wherever the selection is;
//! - an action that cannot apply says why in the status line, never panics.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use bytes::Bytes;
use pixloom_core::size::SizeSpec;

use crate::sanitize;
use pixloom_core::tree::{Blob, NodeId, Received, Status};

use super::action::{Action, Event, Msg};
use super::keymap::{Context, Key};
use super::state::{App, Focus, InputBox, InputKind, Overlay, SizeCursor, model_choices};
use super::thumbs::ThumbWant;

mod compose;
mod frame;
mod play;
mod tools;
mod turns;
pub use frame::{drawn, wanted_thumbnails};
pub use turns::turns_below;

pub use compose::attachment_name;
use compose::{compose, detach, edit, refine, toggle_new_root};
use turns::{
    cancel, cancel_now, delete, finished, received, regenerate, retry, send, start_pending,
    store_finished, store_results,
};

/// Work for the effects module: the only way `update` touches the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Plan and send the pending turn `NodeId`.
    StartTurn(NodeId),
    /// Abort its request (the tree already says `cancelled`).
    CancelTurn(NodeId),
    /// Write the conversation file.
    Save,
    /// Decode and scale a thumbnail off the UI task.
    DecodeThumbnail(ThumbWant),
    /// Quantise and encode a sixel picture off the UI task.
    EncodeSixel(super::graphics::sixel::SixelJob),
    /// Import a reference image from a path or URL; `pasted` is the
    /// paste it came from (put in as text if it is not an image).
    ImportAttachment {
        source: String,
        pasted: Option<String>,
    },
    /// Open the image with the system viewer (`xdg-open` / `open`),
    /// detached; `Event::Notice` says how it went.
    OpenImage(Blob),
    /// Copy the image to `dest` (a file, or a folder to put it in under
    /// `name`), `recipe` inside a PNG; never over an existing file.
    SaveImage {
        blob: Blob,
        dest: String,
        name: String,
        recipe: crate::images::Recipe,
    },
    /// After the save of this batch succeeded (the tree no longer points at
    /// them), remove these image files, each only if still unused.
    DropImages(crate::convfile::orphans::Orphans),
    /// Put the image's absolute path on the clipboard with OSC 52, written
    /// to the terminal between frames.
    CopyPath(Blob),
    /// List the directory `input` names, for Tab completion.
    ListDir {
        input: String,
    },
    /// Store an `unstored` turn's paid picture: from `bytes` when held in
    /// memory, else its spare copy or its link (`engine::keep_received`);
    /// `Event::StoreFinished` says how it went.
    StoreResult {
        node: NodeId,
        received: Received,
        bytes: Option<Bytes>,
    },
    Quit,
}

/// Shown when sending without a key.
pub const NO_KEY: &str = "no API key: set PIXLOOM_API_KEY (or api_key in the config file) and restart, or try `pixloom --demo`";

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let fx = match msg {
        Msg::Action(a) => act(app, a),
        Msg::Event(e) => event(app, e),
    };
    tools::reveal_selection(app);
    compose::retarget(app);
    fx
}

fn event(app: &mut App, e: Event) -> Vec<Effect> {
    match e {
        Event::Key(k) => key(app, k),
        Event::Paste(s) => paste(app, &s),
        Event::Resize(..) => Vec::new(),
        Event::Tick => play::tick(app),
        Event::TurnFinished(report) => finished(app, &report),
        Event::ThumbnailReady {
            file_name,
            cols,
            rows,
            thumb,
        } => {
            app.thumbs.insert(file_name, cols, rows, thumb);
            Vec::new()
        }
        Event::SixelReady { key, sixel } => frame::sixel_ready(app, key, sixel),
        Event::AttachmentReady {
            source,
            result,
            pasted,
        } => {
            match result {
                Ok(image) => {
                    let name = attachment_name(&image);
                    app.composer.attachments.push(*image);
                    let remove = app.keymap.hint(Context::Composer, Action::Detach);
                    app.info(format!(
                        "attached {name} ({remove} removes it): {}",
                        sanitize::line(&source)
                    ));
                }
                Err(e) => compose::attach_failed(app, &source, &e, pasted),
            }
            Vec::new()
        }
        Event::ResultReceived {
            node,
            received: r,
            request_id,
        } => received(app, node, *r, request_id),
        Event::StoreFinished {
            node,
            received: r,
            kept,
        } => store_finished(app, node, *r, kept),
        Event::SaveFailed(e) => {
            app.save_failed = true;
            let store = app.keymap.hint(Context::Browse, Action::StoreResult);
            app.error(format!(
                "saving failed: {} — the changes are kept in memory; press {store} to save again",
                sanitize::line(&e)
            ));
            Vec::new()
        }
        Event::Saved => {
            app.save_failed = false;
            app.info("saved");
            Vec::new()
        }
        Event::Terminate(_) => quit_now(app),
        Event::Notice(Ok(text)) => {
            app.info(sanitize::line(&text).into_owned());
            Vec::new()
        }
        Event::Notice(Err(text)) => {
            app.error(sanitize::line(&text).into_owned());
            Vec::new()
        }
        Event::Completions { input, result } => {
            tools::completions(app, &input, result);
            Vec::new()
        }
    }
}

fn key(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    let Some(key) = Key::from_event(&k) else {
        return Vec::new();
    };
    let ctx = app.key_context();
    if let Some(a) = app.keymap.lookup(ctx, key) {
        return act(app, a);
    }
    match &mut app.overlay {
        // `?` in an empty composer asks for help (as in Codex CLI): a user
        // who just sent a prompt is here and may not know Esc.
        Overlay::None
            if ctx == Context::Composer
                && key == Key::normalized(KeyCode::Char('?'), KeyModifiers::NONE)
                && app.composer.text.is_empty() =>
        {
            return act(app, Action::Help);
        }
        Overlay::None if ctx == Context::Composer => {
            app.composer.text.input(k);
        }
        Overlay::Input(b) => {
            let changed = b.edit(key);
            if changed {
                b.completions.clear();
                tools::search_as_typed(app);
            }
        }
        Overlay::Variants { user, .. } => {
            if let KeyCode::Char(c @ '1'..='8') = key.code {
                let (user, n) = (*user, c as usize - '0' as usize);
                app.overlay = Overlay::None;
                return start_pending(app, user, n);
            }
        }
        _ => {}
    }
    Vec::new()
}

fn paste(app: &mut App, s: &str) -> Vec<Effect> {
    let s = crate::tui::dropped::line_breaks(s);
    match &mut app.overlay {
        Overlay::Input(b) => {
            b.insert_str(sanitize::line(&s).trim());
            tools::search_as_typed(app);
        }
        // A paste while browsing is meant for the composer: it opens with
        // it (a paste was dropped silently before). Replay never writes.
        Overlay::None if app.focus == Focus::Composer || (app.can_send && app.replay.is_none()) => {
            if app.focus != Focus::Composer {
                compose(app);
            }
            return compose::paste_into_composer(app, &s);
        }
        _ => {}
    }
    Vec::new()
}

/// What a replay may not do: anything that changes the conversation or
/// would send a request.
fn writes(a: Action) -> bool {
    matches!(
        a,
        Action::Compose
            | Action::Send
            | Action::Newline
            | Action::Edit
            | Action::Regenerate
            | Action::Refine
            | Action::Variants
            | Action::Attach
            | Action::Detach
            | Action::NewRoot
            | Action::SizePicker
            | Action::ModelPicker
            | Action::Star
            | Action::Delete
            | Action::Cancel
            | Action::Retry
            | Action::RetryLowerTier
            | Action::StoreResult
            | Action::Label
    )
}

fn act(app: &mut App, a: Action) -> Vec<Effect> {
    if app.replay.is_some() && writes(a) {
        app.overlay = Overlay::None;
        app.error("a replay is read-only: open the conversation with `pixloom CONV` to change it");
        return Vec::new();
    }
    if let Overlay::Gallery { .. } = app.overlay {
        return tools::gallery_key(app, a);
    }
    if let Overlay::Input(_) = app.overlay {
        match a {
            Action::Dismiss => {
                tools::cancel_input(app);
                return Vec::new();
            }
            Action::Complete => return tools::complete(app),
            _ => {}
        }
    }
    if app.overlay != Overlay::None {
        match a {
            Action::Confirm => return confirm_overlay(app),
            Action::Dismiss => {
                app.overlay = Overlay::None;
                return Vec::new();
            }
            Action::MoveUp | Action::MoveDown | Action::MoveLeft | Action::MoveRight => {
                let models = model_choices(&app.composer.params).len();
                move_cursor(app, a, models);
                return Vec::new();
            }
            Action::PageUp | Action::PageDown => {
                move_cursor(app, a, 0);
                return Vec::new();
            }
            Action::Help if matches!(app.overlay, Overlay::Help { .. }) => {
                app.overlay = Overlay::None;
                return Vec::new();
            }
            Action::Quit if app.overlay == Overlay::ConfirmQuit => return quit_now(app),
            // Storing from the quit question: then the question is asked
            // again only if something is still left.
            Action::StoreResult if app.overlay == Overlay::ConfirmQuit => {
                app.overlay = Overlay::None;
                return store_results(app);
            }
            // Anything else closes the overlay and then does what it says
            // (R in the error view retries the node it shows).
            _ => app.overlay = Overlay::None,
        }
    }
    match a {
        Action::MoveDown => ignore(app.conv.select_child()),
        Action::MoveUp => ignore(app.conv.select_parent()),
        Action::PrevSibling | Action::MoveLeft => ignore(app.conv.select_sibling(-1)),
        Action::NextSibling | Action::MoveRight => ignore(app.conv.select_sibling(1)),
        Action::First => {
            if let Some(&root) = app.conv.selected_path().first().or(app.conv.roots.first()) {
                ignore(app.conv.select(root));
            }
        }
        Action::Last => {
            if let Some(from) = app.conv.selected.or(app.conv.roots.first().copied())
                && let Ok(leaf) = app.conv.leaf_below(from)
            {
                ignore(app.conv.select(leaf));
            }
        }
        Action::CycleFocus => {
            app.focus = match app.focus {
                Focus::Tree => Focus::Transcript,
                Focus::Transcript => Focus::Composer,
                Focus::Composer if app.show_tree => Focus::Tree,
                Focus::Composer => Focus::Transcript,
            };
        }
        Action::Compose => compose(app),
        Action::Send => return send(app),
        Action::Newline => app.composer.text.insert_newline(),
        Action::Edit => edit(app),
        Action::Regenerate => return regenerate(app),
        Action::Refine => refine(app),
        Action::Variants => match app.user_turn_of_selection() {
            Some(user) => app.overlay = Overlay::Variants { user, count: 3 },
            None => app.error("variants need a prompt: select a user turn or one of its images"),
        },
        Action::Attach => app.overlay = Overlay::Input(InputBox::new(InputKind::Attach, "")),
        Action::Detach => detach(app),
        Action::NewRoot => toggle_new_root(app),
        Action::SizePicker => {
            app.overlay = Overlay::SizePicker {
                cursor: SizeCursor::of(app.composer.params.size),
            };
        }
        Action::ModelPicker => {
            let p = &app.composer.params;
            let cursor = model_choices(p)
                .iter()
                .position(|(m, e)| *m == p.model && *e == p.endpoint)
                .unwrap_or(0);
            app.overlay = Overlay::ModelPicker { cursor };
        }
        Action::Star => {
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
        Action::Delete => {
            if let Some(id) = app.conv.selected {
                app.overlay = Overlay::ConfirmDelete(id);
            }
        }
        Action::Cancel => return cancel(app),
        Action::Retry => return retry(app, false),
        Action::RetryLowerTier => return retry(app, true),
        Action::StoreResult => return store_results(app),
        Action::Help => app.overlay = Overlay::Help { scroll: 0 },
        Action::Info => {
            if let Some(id) = app.conv.selected {
                app.overlay = Overlay::NodeInfo { id, scroll: 0 };
            }
        }
        Action::ErrorDetail => match app.selected_node() {
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
        Action::ViewImage => match app.selected_node() {
            Some(n) if n.images().next().is_some() => app.overlay = Overlay::ImageView(n.id),
            _ => app.error("no image on this turn"),
        },
        Action::ToggleTree => {
            app.show_tree = !app.show_tree;
            if !app.show_tree && app.focus == Focus::Tree {
                app.focus = Focus::Transcript;
            }
        }
        Action::Search
        | Action::SearchNext
        | Action::SearchPrev
        | Action::OpenImage
        | Action::SaveImage
        | Action::CopyPath
        | Action::Label
        | Action::TreeNarrower
        | Action::TreeWider
        | Action::Fold
        | Action::Gallery
        | Action::Compare
        | Action::Complete => return tools::act(app, a),
        Action::Step | Action::StepBack | Action::PlayPause | Action::Faster | Action::Slower => {
            play::act(app, a)
        }
        // The start screen's own (tui/start.rs); nothing in the app.
        Action::NewConversation => {}
        Action::Quit => {
            if app.replay.is_some() {
                app.quitting = true;
                return vec![Effect::Quit];
            }
            // Asks while quitting would lose something: running requests,
            // a paid picture only in memory, changes a save could not write.
            if app.quit_losses().is_empty() {
                return quit_now(app);
            }
            app.overlay = Overlay::ConfirmQuit;
        }
        // Pages scroll dialogs only (above).
        Action::Confirm | Action::PageUp | Action::PageDown => {}
        Action::Dismiss => {
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

/// Navigation that cannot move (at an end) simply stays.
fn ignore<T, E>(_: Result<T, E>) {}

fn quit_now(app: &mut App) -> Vec<Effect> {
    if app.replay.is_some() {
        app.quitting = true;
        return vec![Effect::Quit];
    }
    // Requests still running are abandoned: the file says so, and they can
    // be retried next time.
    app.conv.interrupt_pending();
    app.in_flight.clear();
    app.quitting = true;
    vec![Effect::Save, Effect::Quit]
}

fn move_cursor(app: &mut App, a: Action, models: usize) {
    let room = app.scroll_room;
    let overlay = &mut app.overlay;
    let (dr, dc): (isize, isize) = match a {
        Action::MoveUp => (-1, 0),
        Action::MoveDown => (1, 0),
        Action::MoveLeft => (0, -1),
        Action::MoveRight => (0, 1),
        _ => (0, 0),
    };
    let step =
        |v: usize, d: isize, len: usize| v.saturating_add_signed(d).min(len.saturating_sub(1));
    match overlay {
        Overlay::SizePicker { cursor } => {
            cursor.row = step(cursor.row, dr, SizeCursor::ROWS);
            cursor.col = step(cursor.col, dc, 3);
        }
        Overlay::ModelPicker { cursor } => *cursor = step(*cursor, dr + dc, models),
        Overlay::Variants { count, .. } => {
            *count = step(*count, -dr + dc, pixloom_core::tree::MAX_VARIANTS + 1).max(1);
        }
        // Within what the view last drew: only it knows the screen's height.
        Overlay::Help { scroll }
        | Overlay::NodeInfo { scroll, .. }
        | Overlay::ErrorDetail { scroll, .. } => *scroll = room.step(*scroll, a),
        _ => {}
    }
}

fn confirm_overlay(app: &mut App) -> Vec<Effect> {
    let overlay = std::mem::take(&mut app.overlay);
    match overlay {
        // A pick is the conversation's from now on: saved with it, so
        // reopening it starts with the same (core::settings).
        Overlay::SizePicker { cursor } => {
            app.composer.params.size = cursor.size();
            app.conv.settings.pick_size(cursor.size());
            let note = match (
                cursor.size(),
                pixloom_core::model::takes_size(&app.composer.params.model),
            ) {
                (SizeSpec::Exact(s), true) => format!("size {s} ({} {})", s.ratio, s.tier.label()),
                (SizeSpec::Exact(s), false) => {
                    format!("size {s} (this model gets it in the prompt)")
                }
                (SizeSpec::Auto, _) => "size auto: the model decides".to_owned(),
            };
            app.info(note);
            return vec![Effect::Save];
        }
        Overlay::ModelPicker { cursor } => {
            let choices = model_choices(&app.composer.params);
            if let Some((model, endpoint)) =
                choices.get(cursor.min(choices.len().saturating_sub(1)))
            {
                app.composer.params.model.clone_from(model);
                app.composer.params.endpoint = *endpoint;
                app.conv.settings.pick_model(model, *endpoint);
                app.info(format!("model {model} via {endpoint}"));
                return vec![Effect::Save];
            }
        }
        Overlay::Variants { user, count } => return start_pending(app, user, count),
        Overlay::Input(b) => return tools::confirm_input(app, b),
        Overlay::Gallery { .. } => {}
        Overlay::ConfirmDelete(id) => return delete(app, id),
        Overlay::ConfirmCancel(id) => return cancel_now(app, id),
        Overlay::ConfirmQuit => return quit_now(app),
        // Read-only overlays just close.
        Overlay::None
        | Overlay::Help { .. }
        | Overlay::ErrorDetail { .. }
        | Overlay::ImageView(_)
        | Overlay::NodeInfo { .. }
        | Overlay::Compare { .. } => {}
    }
    Vec::new()
}

#[cfg(test)]
mod composer_tests;
#[cfg(test)]
mod more_tests;
#[cfg(test)]
mod paid_tests;
#[cfg(test)]
mod save_tests;
#[cfg(test)]
mod target_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tool_tests;
