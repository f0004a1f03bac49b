//! "Re-run from here": the path's user turns from the selected turn sent
//! again as a new branch beside the original (the core's plan,
//! `tree/rerun.rs`), one step at a time: each step is added under the
//! answer of the one before once that is done, so a refinement refines
//! the new picture. Cancelling the running step (Esc, asked) ends it.

use std::collections::VecDeque;

use pixloom_core::settings::TurnSettings;
use pixloom_core::tree::NodeId;
use pixloom_core::tree::rerun::RerunPlan;

use super::super::state::rerun::RerunRun;
use super::super::state::{App, Overlay};
use super::effect::{Effect, NO_KEY};

/// `P`: asks what to change and says the price.
pub(super) fn ask(app: &mut App) {
    if !app.can_send {
        return app.error(NO_KEY);
    }
    if app.rerun.is_some() {
        return app.error("a re-run is under way: wait for it, or cancel its running step (esc)");
    }
    match app.conv.selected {
        Some(from) => match plan(app, from, false) {
            Ok(_) => {
                app.overlay = Overlay::ConfirmRerun {
                    from,
                    with_settings: false,
                }
            }
            Err(e) => app.error(e),
        },
        None => app.error("select a turn to re-run from"),
    }
}

/// The plan the question offers: as the path was, or with the composer's
/// model, endpoint and size over every step.
pub(crate) fn plan(app: &App, from: NodeId, with_settings: bool) -> Result<RerunPlan, String> {
    let p = &app.composer.params;
    let change = if with_settings {
        TurnSettings {
            size: Some(p.size),
            model: Some(p.model.clone()),
            endpoint: Some(p.endpoint),
        }
    } else {
        TurnSettings::default()
    };
    app.conv
        .plan_rerun(from, None, &change, p)
        .map_err(|e| e.to_string())
}

/// [`plan`], or `None` with the reason on the status line.
fn planned(app: &mut App, from: NodeId, with_settings: bool) -> Option<RerunPlan> {
    plan(app, from, with_settings)
        .map_err(|e| app.error(e))
        .ok()
}

/// The user said yes: every step's references are looked for first, so
/// a missing one stops the re-run before anything is billed.
pub(super) fn check(app: &mut App, from: NodeId, with_settings: bool) -> Vec<Effect> {
    let Some(plan) = planned(app, from, with_settings) else {
        return Vec::new();
    };
    // The question said the price; the spend limits still hold.
    if super::turns::over_budget(app, plan.calls()) {
        return Vec::new();
    }
    let references = plan.references();
    vec![Effect::CheckRerun {
        from,
        with_settings,
        references,
    }]
}

/// Every reference is there: the first step goes out.
pub(super) fn start(app: &mut App, from: NodeId, with_settings: bool) -> Vec<Effect> {
    let Some(plan) = planned(app, from, with_settings) else {
        return Vec::new();
    };
    let total = plan.steps.len();
    let left: VecDeque<_> = plan.steps.into();
    next_step(app, plan.parent, left, total)
}

/// Adds the next step under `parent` and sends it; ends the re-run when
/// none is left.
fn next_step(
    app: &mut App,
    parent: Option<NodeId>,
    mut left: VecDeque<pixloom_core::tree::rerun::RerunStep>,
    total: usize,
) -> Vec<Effect> {
    let Some(step) = left.pop_front() else {
        app.rerun = None;
        app.info(format!("re-run done: {total} step(s) as a new branch"));
        return Vec::new();
    };
    match app.conv.add_rerun_step(parent, &step, app.clock.wall) {
        Ok((_, answer)) => {
            app.in_flight.insert(answer, app.clock.mono);
            let at = total - left.len();
            app.info(format!(
                "re-run step {at}/{total}: {} again as {answer} ({})",
                step.source, step.params.model
            ));
            app.rerun = Some(RerunRun {
                running: answer,
                left,
                total,
            });
            vec![Effect::Save, Effect::StartTurn(answer)]
        }
        Err(e) => {
            app.rerun = None;
            app.error(format!("re-run stopped: {e}"));
            Vec::new()
        }
    }
}

/// A turn finished (its report applied): the next step when it was the
/// re-run's and is done; else the re-run ends, saying where.
pub(super) fn finished(app: &mut App, id: NodeId) -> Vec<Effect> {
    let Some(run) = app.rerun.take_if(|r| r.running == id) else {
        return Vec::new();
    };
    let done = app
        .conv
        .node(id)
        .is_ok_and(|n| n.status() == Some(pixloom_core::tree::Status::Done));
    if done {
        return next_step(app, Some(id), run.left, run.total);
    }
    let at = run.total - run.left.len();
    // The turn's own failure is on the status line already; say the rest.
    let said = app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    app.error(format!("re-run stopped at step {at}/{}: {said}", run.total));
    Vec::new()
}

/// The running step was cancelled: the re-run ends there.
pub(super) fn cancelled(app: &mut App, id: NodeId) {
    if let Some(run) = app.rerun.take_if(|r| r.running == id) {
        let at = run.total - run.left.len();
        app.info(format!(
            "re-run cancelled at step {at}/{} ({id} may still be billed)",
            run.total
        ));
    }
}

#[cfg(test)]
mod tests;
