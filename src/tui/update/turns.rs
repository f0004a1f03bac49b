//! What actions do to turns: sending, variants, regenerating, retrying,
//! cancelling, deleting, and a finished turn coming back.

use crate::engine::{Kept, TurnReport, TurnResult};
use crate::sanitize;
use pixloom_core::grid::GridSpec;
use pixloom_core::model::PRICE_PER_CALL_MICRO_USD;
use pixloom_core::size::SizeSpec;
use pixloom_core::tree::{
    MAX_VARIANTS, NodeId, Part, Received, RequestParams, Role, Status, TreeError,
};

use super::super::action::Action;
use super::super::keymap::Context;
use super::super::state::{App, ComposeTarget, Overlay, dollars, seconds};
use super::effect::{Effect, NO_KEY, ignore};

pub(super) fn send(app: &mut App) -> Vec<Effect> {
    if !app.can_send {
        app.error(NO_KEY);
        return Vec::new();
    }
    let prompt = app.composer.prompt();
    let mut parts = Vec::new();
    if !prompt.trim().is_empty() {
        parts.push(Part::Text { text: prompt });
    }
    parts.extend(
        app.composer
            .attachments
            .iter()
            .cloned()
            .map(|image| Part::Image { image }),
    );
    if parts.is_empty() {
        app.error("write a prompt first (or attach an image with alt-a)");
        return Vec::new();
    }
    // Before the prompt becomes a turn: a refusal keeps it in the composer.
    let asked = app.composer.params.clone();
    if cannot_make_any(app, &[asked]) || over_budget(app, 1) {
        return Vec::new();
    }
    let now = app.clock.wall;
    match app.composer.target.add_user(&mut app.conv, parts, now) {
        Ok(user) => {
            app.composer.clear();
            let fx = start_pending(app, user, 1);
            // The next prompt continues from what was just sent.
            app.composer.target = ComposeTarget::following(&app.conv);
            fx
        }
        Err(e) => {
            app.error(e.to_string());
            Vec::new()
        }
    }
}

/// `n` variants picked in the variants question: refused over a limit,
/// asked about (with the price) above `confirm_above`, else started.
pub(super) fn variants_chosen(app: &mut App, user: NodeId, n: usize) -> Vec<Effect> {
    pending(app, user, n, Ask::AboveLimit)
}

/// Whether many requests at once are asked about first.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Ask {
    /// Above `confirm_above`, with the price (variants, a grid).
    AboveLimit,
    /// Already asked (the spend question answered yes), or one request.
    No,
}

/// Whether a request asks its model for a size it cannot make (it would
/// be billed for a picture it cannot give); if so, says why.
fn cannot_make_any(app: &mut App, requests: &[RequestParams]) -> bool {
    match requests
        .iter()
        .find_map(|r| pixloom_core::model::cannot_make(&r.model, r.size))
    {
        Some(why) => {
            app.error(format!("not sent, nothing billed: {why}"));
            true
        }
        None => false,
    }
}

/// Whether `n` more calls would pass a spend limit; if so, says which
/// setting to raise.
pub(super) fn over_budget(app: &mut App, n: usize) -> bool {
    match app.budgets.check(n as u64, app.spent()) {
        Ok(()) => false,
        Err(e) => {
            app.error(e);
            true
        }
    }
}

/// `n` pending assistant turns under `user`, with the composer's settings.
pub(super) fn start_pending(app: &mut App, user: NodeId, n: usize) -> Vec<Effect> {
    pending(app, user, n, Ask::No)
}

fn pending(app: &mut App, user: NodeId, n: usize, ask: Ask) -> Vec<Effect> {
    let params: RequestParams = app.composer.params.clone();
    if n == 0 || n > MAX_VARIANTS {
        app.error(TreeError::BadVariantCount { max: MAX_VARIANTS }.to_string());
        return Vec::new();
    }
    let what = if n == 1 {
        "request".to_owned()
    } else {
        format!("{n} variants")
    };
    let said = format!(
        "sent {what} at {} with {}",
        params.size,
        sanitize::line(&params.model)
    );
    start_cells(app, user, vec![params; n], said, ask)
}

/// A grid under `user`: one pending turn per (size, model) cell of
/// `spec`, over the composer's settings, the price said.
pub(super) fn start_grid(app: &mut App, user: NodeId, spec: &GridSpec) -> Vec<Effect> {
    let cells = match spec.cells(&app.composer.params, 1) {
        Ok(cells) => cells,
        Err(e) => {
            app.error(e.to_string());
            return Vec::new();
        }
    };
    let calls = cells.len() as u64;
    let said = format!(
        "sent a grid of {calls} ({}) · {}",
        spec.shape(),
        dollars(calls * PRICE_PER_CALL_MICRO_USD)
    );
    start_cells(app, user, cells, said, Ask::AboveLimit)
}

/// Pending turns under `user`, one per request, started at once: refused
/// over a spend limit, first asked about (with the price) above
/// `confirm_above` when `ask` says so.
pub(super) fn start_cells(
    app: &mut App,
    user: NodeId,
    requests: Vec<RequestParams>,
    said: String,
    ask: Ask,
) -> Vec<Effect> {
    if !app.can_send {
        app.error(NO_KEY);
        return Vec::new();
    }
    if cannot_make_any(app, &requests) {
        return Vec::new();
    }
    if over_budget(app, requests.len()) {
        return Vec::new();
    }
    if ask == Ask::AboveLimit && app.budgets.asks_first(requests.len() as u64) {
        app.overlay = Overlay::ConfirmSpend {
            user,
            requests,
            said,
        };
        return Vec::new();
    }
    match app.conv.add_pending_each(user, &requests, app.clock.wall) {
        Ok(ids) => {
            let mut fx = vec![Effect::Save];
            for id in &ids {
                app.in_flight.insert(*id, app.clock.mono);
                fx.push(Effect::StartTurn(*id));
            }
            app.info(said);
            fx
        }
        Err(e) => {
            app.error(e.to_string());
            Vec::new()
        }
    }
}

pub(super) fn regenerate(app: &mut App) -> Vec<Effect> {
    let Some(n) = app.selected_node() else {
        app.error("select a turn to regenerate");
        return Vec::new();
    };
    match n.role {
        Role::User => start_pending(app, n.id, 1),
        Role::Assistant if app.can_send => {
            let id = n.id;
            match app.conv.regenerate(id, None, app.clock.wall) {
                Ok(new) => {
                    app.in_flight.insert(new, app.clock.mono);
                    app.info(format!("regenerating {id} as {new}"));
                    vec![Effect::Save, Effect::StartTurn(new)]
                }
                Err(e) => {
                    app.error(e.to_string());
                    Vec::new()
                }
            }
        }
        Role::Assistant => {
            app.error(NO_KEY);
            Vec::new()
        }
        Role::System => {
            app.error("the system turn cannot be regenerated");
            Vec::new()
        }
    }
}

/// Esc on a running request asks first: the gateway may already be
/// working on it, and a cancelled call may still be billed.
pub(super) fn cancel(app: &mut App) -> Vec<Effect> {
    match app.conv.selected {
        Some(id) if app.in_flight.contains_key(&id) => app.overlay = Overlay::ConfirmCancel(id),
        // A re-run's running step wherever the selection is.
        _ => {
            if !super::rerun::cancel(app) {
                app.status = None;
            }
        }
    }
    Vec::new()
}

/// The user said yes: the request is aborted and the turn says cancelled.
pub(super) fn cancel_now(app: &mut App, id: NodeId) -> Vec<Effect> {
    if app.in_flight.remove(&id).is_none() {
        // It finished while the question was open: nothing to cancel,
        // but a re-run holding its next step for this answer ends.
        if super::rerun::cancel_held(app, id) {
            return Vec::new();
        }
        app.info(format!("{id} had already finished: nothing was cancelled"));
        return Vec::new();
    }
    ignore(app.conv.cancel(id));
    let retry = app.keymap.hint(Context::Browse, Action::Retry);
    app.info(format!(
        "cancelled {id} (it may still be billed); {retry} sends it again"
    ));
    super::rerun::cancelled(app, id);
    vec![Effect::CancelTurn(id), Effect::Save]
}

pub(super) fn retry(app: &mut App, lower_tier: bool) -> Vec<Effect> {
    if !app.can_send {
        app.error(NO_KEY);
        return Vec::new();
    }
    let Some(n) = app.selected_node() else {
        return Vec::new();
    };
    let id = n.id;
    let Some(turn) = n.turn.as_ref() else {
        app.error("retry works on an image turn: select one");
        return Vec::new();
    };
    let params = if lower_tier {
        match turn
            .request
            .size
            .exact()
            .and_then(pixloom_core::size::Size::tier_down)
        {
            Some(lower) => Some(RequestParams {
                size: SizeSpec::Exact(lower),
                ..turn.request.clone()
            }),
            None => {
                app.error(format!(
                    "{id} has no smaller size to retry at (it is {})",
                    turn.request.size
                ));
                return Vec::new();
            }
        }
    } else {
        None
    };
    let asked = params.clone().unwrap_or_else(|| turn.request.clone());
    if cannot_make_any(app, &[asked]) {
        return Vec::new();
    }
    match app.conv.retry(id, params) {
        Ok(()) => {
            app.in_flight.insert(id, app.clock.mono);
            app.info(format!("retrying {id}"));
            vec![Effect::Save, Effect::StartTurn(id)]
        }
        Err(TreeError::NotRetryable(_, Status::Unstored)) => {
            let store = app.keymap.hint(Context::Browse, Action::StoreResult);
            app.error(format!(
                "{id}'s picture was paid for and arrived: press {store} to store it (sending again would bill again)"
            ));
            Vec::new()
        }
        Err(e) => {
            let regen = app.keymap.hint(Context::Browse, Action::Regenerate);
            app.error(format!("{e} — press {regen} for a new image instead"));
            Vec::new()
        }
    }
}

/// `the turn below it` / `the 5 turns below it`.
pub(crate) fn turns_below(n: usize) -> String {
    if n == 1 {
        "the turn below it".to_owned()
    } else {
        format!("the {n} turns below it")
    }
}

pub(super) fn delete(app: &mut App, id: NodeId) -> Vec<Effect> {
    let orphans = crate::convfile::orphans::orphaned_by_delete(&app.conv, id);
    match app.conv.delete_subtree(id) {
        Ok(removed) => {
            let mut fx = Vec::new();
            for r in &removed {
                // Deleting is the user's choice: a held picture goes too.
                app.unstored_bytes.remove(r);
                if app.in_flight.remove(r).is_some() {
                    fx.push(Effect::CancelTurn(*r));
                }
            }
            let below = removed.len().saturating_sub(1);
            let mut said = if below == 0 {
                format!("deleted {id}")
            } else {
                format!("deleted {id} and {}", turns_below(below))
            };
            fx.push(Effect::Save);
            if !orphans.blobs.is_empty() {
                said.push_str(&format!(", and {} no other turn used", orphans.describe()));
                // After the save: see `convfile::orphans`.
                fx.push(Effect::DropImages(orphans));
            }
            app.info(said);
            fx
        }
        Err(e) => {
            app.error(e.to_string());
            Vec::new()
        }
    }
}

pub(super) fn finished(app: &mut App, report: &TurnReport) -> Vec<Effect> {
    let id = report.node;
    let started = app.in_flight.remove(&id);
    // Money spent is counted even when the node has gone meanwhile; the
    // day's total on the day the call was sent, as the ledger counts it.
    app.session_cost_micro_usd += report.outcome.cost_micro_usd;
    let sent_at = started.map_or(app.clock.wall, |t| {
        let ago = app.clock.mono.saturating_duration_since(t);
        time::Duration::try_from(ago)
            .ok()
            .and_then(|ago| app.clock.wall.checked_sub(ago))
            .unwrap_or(app.clock.wall)
    });
    app.today.add(sent_at, report.outcome.cost_micro_usd);
    if report.apply(&mut app.conv).is_err() {
        // Cancelled or deleted while running: the report is dropped.
        tell_ledger(app, report);
        super::rerun::cancelled(app, id);
        return Vec::new();
    }
    let took = started
        .map(|t| seconds(app.clock.mono.saturating_duration_since(t)))
        .unwrap_or_default();
    match &report.result {
        TurnResult::Done { .. } => app.info(format!("{id} done in {took}")),
        TurnResult::Refused { .. } => app.error(format!(
            "{id}: the model answered with text instead of an image"
        )),
        TurnResult::Failed { error } => {
            app.error(format!("{id} failed: {}", sanitize::line(&error.message)))
        }
        TurnResult::Unstored { error, bytes, .. } => {
            if let Some(b) = bytes {
                app.unstored_bytes.insert(id, b.clone());
            }
            tell_unstored(app, id, &error.message);
        }
    }
    tell_ledger(app, report);
    let mut fx = vec![Effect::Save];
    fx.extend(super::rerun::finished(app, id));
    fx
}

/// The ledger could not be written (said once per run; the turn is fine).
fn tell_ledger(app: &mut App, report: &TurnReport) {
    if let Some(w) = &report.ledger_warning {
        app.error(sanitize::line(w).into_owned());
    }
}

/// What to do about a paid picture that is not on disk, in the status line.
fn tell_unstored(app: &mut App, id: NodeId, why: &str) {
    let store = app.keymap.hint(Context::Browse, Action::StoreResult);
    let held = if app.unstored_bytes.contains_key(&id) {
        "it is kept in memory (and stored at the next save)"
    } else {
        "its link is in the conversation file"
    };
    app.error(format!(
        "{id}: {} — {held}: free some space, then press {store}",
        sanitize::line(why)
    ));
}

/// A picture arrived: its link and request id go into the tree and the
/// file before it is downloaded and stored.
pub(super) fn received(
    app: &mut App,
    id: NodeId,
    received: Received,
    request_id: Option<String>,
) -> Vec<Effect> {
    match app.conv.note_received(id, received, request_id) {
        Ok(()) => vec![Effect::Save],
        // Cancelled or deleted meanwhile: nothing to record.
        Err(_) => Vec::new(),
    }
}

/// Stores every paid picture that is not on disk yet (and saves again
/// when the last save failed).
pub(super) fn store_results(app: &mut App) -> Vec<Effect> {
    let mut fx = Vec::new();
    if app.save_failed {
        fx.push(Effect::Save);
    }
    let ids = app.conv.unstored();
    for &id in &ids {
        if let Some(received) = received_of(app, id) {
            fx.push(Effect::StoreResult {
                node: id,
                received,
                bytes: app.unstored_bytes.get(&id).cloned(),
            });
        }
    }
    if ids.is_empty() {
        if app.save_failed {
            app.info("saving again…");
        } else {
            app.info("nothing to store: every picture is on disk");
        }
    } else {
        let names: Vec<String> = ids.iter().map(ToString::to_string).collect();
        app.info(format!("storing {}…", names.join(", ")));
    }
    fx
}

/// A save finished well: a failure before it is over (said so), and
/// every paid picture held in memory is tried again — there is room
/// again, or still — so freeing space and doing anything stores it.
pub(super) fn saved(app: &mut App) -> Vec<Effect> {
    if app.save_failed {
        app.save_failed = false;
        app.info("saved");
    }
    app.unstored_bytes
        .iter()
        .filter_map(|(&node, bytes)| {
            Some(Effect::StoreResult {
                node,
                received: received_of(app, node)?,
                bytes: Some(bytes.clone()),
            })
        })
        .collect()
}

/// What the tree knows of an `unstored` turn's picture.
fn received_of(app: &App, node: NodeId) -> Option<Received> {
    app.conv.node(node).ok()?.turn.as_ref()?.received.clone()
}

/// A try at storing came back. A failure is told but not saved: saving
/// would start another automatic try (every successful save starts one),
/// and the turn already says it is not stored.
pub(super) fn store_finished(
    app: &mut App,
    id: NodeId,
    received: Received,
    kept: Kept,
) -> Vec<Effect> {
    if app.conv.node(id).ok().and_then(|n| n.status()) != Some(Status::Unstored) {
        // Stored by another try meanwhile, or deleted: nothing to tell.
        return Vec::new();
    }
    match kept {
        Kept::Stored(image) => {
            if app.conv.store_received(id, *image).is_err() {
                return Vec::new(); // deleted meanwhile
            }
            app.unstored_bytes.remove(&id);
            app.info(format!("{id}'s picture is stored"));
            vec![Effect::Save]
        }
        Kept::Unstored { reason, bytes } => {
            if let Some(b) = bytes {
                app.unstored_bytes.insert(id, b);
            }
            ignore(app.conv.update_received(id, received));
            tell_unstored(app, id, &format!("still not stored: {reason}"));
            Vec::new()
        }
        Kept::Refused(why) => {
            app.unstored_bytes.remove(&id);
            app.error(format!(
                "{id}: the picture is not a usable image ({}); it cannot be stored",
                sanitize::line(&why)
            ));
            Vec::new()
        }
    }
}
