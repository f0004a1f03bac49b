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

use pixloom_core::size::SizeSpec;

use crate::sanitize;
#[cfg(test)]
use pixloom_core::tree::{NodeId, Status};

use super::access::Access;
use super::action::{Action, Event, Msg};
use super::keymap::{Context, Key};
use super::state::{
    App, Focus, InputBox, InputKind, Overlay, SizeCursor, StatusKind, model_choices,
};

mod compose;
mod dispatch;
mod effect;
mod frame;
mod play;
pub(crate) mod replaying;
pub(super) mod rerun;
mod tools;
mod turns;
pub use effect::{Effect, NO_KEY};
pub(crate) use frame::drawn;
pub(crate) use turns::turns_below;

pub(crate) use compose::attachment_name;
use compose::compose;
use turns::{
    cancel_now, delete, finished, received, saved, store_finished, store_results, variants_chosen,
};

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    if matches!(msg, Msg::Action(_) | Msg::Event(Event::Key(_))) {
        rerun::forget_stopped(app);
    }
    let mut fx = match msg {
        Msg::Action(a) => act(app, a),
        Msg::Event(e) => event(app, e),
    };
    fx.extend(rerun::resume(app));
    tools::reveal_selection(app);
    compose::retarget(app);
    fx
}

fn event(app: &mut App, e: Event) -> Vec<Effect> {
    if matches!(e, Event::Key(_))
        && app
            .status
            .as_ref()
            .is_some_and(|s| s.kind == StatusKind::Hint)
    {
        app.status = None;
    }
    match e {
        Event::Key(k) => key(app, k),
        Event::Paste(s) => paste(app, &s),
        Event::Resize(..) | Event::OutputDrained => Vec::new(),
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
        Event::PictureEncoded { key, text } => frame::picture_encoded(app, key, text),
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
        Event::RerunChecked { from, missing } => rerun::checked(app, from, missing),
        Event::SaveFailed(e) => {
            app.save_failed = true;
            let store = app.keymap.hint(Context::Browse, Action::StoreResult);
            app.error(format!(
                "saving failed: {} — the changes are kept in memory; press {store} to save again",
                sanitize::line(&e)
            ));
            Vec::new()
        }
        Event::Saved => saved(app),
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
                return variants_chosen(app, user, n);
            }
            if key.code == KeyCode::Char('g') {
                // The lists of a grid: the size in use across both models,
                // to edit.
                let typed = format!(
                    "{} {}",
                    app.composer.params.size,
                    pixloom_core::model::KNOWN_MODELS.join(",")
                );
                app.overlay = Overlay::Input(InputBox::new(InputKind::Grid(*user), &typed));
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
        // it (a paste was dropped silently before). A replay cannot send.
        Overlay::None if app.focus == Focus::Composer || app.can_send => {
            if app.focus != Focus::Composer {
                compose(app);
            }
            return compose::paste_into_composer(app, &s);
        }
        _ => {}
    }
    Vec::new()
}

/// The app's dispatcher. A replay has its own (`replaying.rs`), which
/// only ever runs read actions.
fn act(app: &mut App, a: Action) -> Vec<Effect> {
    if app.replay.is_some() {
        return replaying::act(app, a);
    }
    if let Some(fx) = overlay_first(app, a) {
        return fx;
    }
    match a.access() {
        Access::Read(r) => dispatch::read(app, r),
        Access::Write(w) => dispatch::write(app, w),
    }
}

/// What an open overlay makes of `a`: `Some` when it took it; else the
/// overlay may have closed and `a` goes on to do what it says.
fn overlay_first(app: &mut App, a: Action) -> Option<Vec<Effect>> {
    if let Overlay::Gallery { .. } = app.overlay {
        return Some(tools::gallery_key(app, a));
    }
    if matches!(app.overlay, Overlay::Compare { .. })
        && matches!(a, Action::MoveDown | Action::MoveUp)
    {
        tools::compare_step(app, a == Action::MoveDown);
        return Some(Vec::new());
    }
    if let Overlay::Input(_) = app.overlay {
        match a {
            Action::Dismiss => {
                tools::cancel_input(app);
                return Some(Vec::new());
            }
            Action::Complete => return Some(tools::complete(app)),
            _ => {}
        }
    }
    if app.overlay != Overlay::None {
        match a {
            Action::Confirm => return Some(confirm_overlay(app)),
            Action::Dismiss => {
                app.overlay = Overlay::None;
                return Some(Vec::new());
            }
            Action::MoveUp | Action::MoveDown | Action::MoveLeft | Action::MoveRight => {
                let models = model_choices(&app.composer.params).len();
                move_cursor(app, a, models);
                return Some(Vec::new());
            }
            Action::PageUp | Action::PageDown => {
                move_cursor(app, a, 0);
                return Some(Vec::new());
            }
            Action::Help if matches!(app.overlay, Overlay::Help { .. }) => {
                app.overlay = Overlay::None;
                return Some(Vec::new());
            }
            Action::Quit if app.overlay == Overlay::ConfirmQuit => return Some(quit_now(app)),
            // Storing from the quit question: then the question is asked
            // again only if something is still left.
            Action::StoreResult if app.overlay == Overlay::ConfirmQuit => {
                app.overlay = Overlay::None;
                return Some(store_results(app));
            }
            // Anything else closes the overlay and then does what it says
            // (R in the error view retries the node it shows).
            _ => app.overlay = Overlay::None,
        }
    }
    None
}

fn quit_now(app: &mut App) -> Vec<Effect> {
    if app.replay.is_some() {
        return replaying::leave(app);
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
        Overlay::ConfirmRerun(q) if dr != 0 => q.move_row(dr > 0),
        Overlay::ConfirmRerun(q) if dc != 0 => q.cycle(dc > 0),
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
        Overlay::Variants { user, count } => return variants_chosen(app, user, count),
        Overlay::ConfirmSpend {
            user,
            requests,
            said,
        } => return turns::start_cells(app, user, requests, said, turns::Ask::No),
        Overlay::Input(b) => return tools::confirm_input(app, b),
        Overlay::Gallery { .. } => {}
        Overlay::ConfirmDelete(id) => return delete(app, id),
        Overlay::ConfirmCancel(id) => return cancel_now(app, id),
        Overlay::ConfirmRerun(q) => return rerun::check(app, q),
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
mod nav_cases;
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
#[cfg(test)]
mod turn_cases;
