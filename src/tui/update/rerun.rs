//! "Re-run from here": the path's user turns from the selected turn sent
//! again as a new branch beside the original (the core's plan,
//! `tree/rerun.rs`), one step at a time: each step is added under the
//! answer of the one before once that is done, so a refinement refines
//! the new picture.
//!
//! The question asks what to change (model, size, endpoint: each "as it
//! was" or a choice); the core's plan decides what every step is sent
//! with, and refuses a change a step's model cannot make (Enter then
//! runs nothing). Cancelling ends the re-run at any point: while its
//! references are looked for (nothing sent), on the running step (asked,
//! as any cancel), and when a step finishes while that question is open
//! (the next step waits for the answer, so yes sends nothing more).

use pixloom_core::settings::TurnSettings;
use pixloom_core::tree::NodeId;
use pixloom_core::tree::Status;
use pixloom_core::tree::rerun::RerunPlan;

use super::super::state::rerun::{Phase, RerunQuestion, RerunRun, StepRun};
use super::super::state::{App, Overlay};
use super::effect::{Effect, NO_KEY};

/// `P`: asks what to change and says the price.
pub(super) fn ask(app: &mut App) {
    if !app.can_send {
        return app.error(NO_KEY);
    }
    if app.rerun.as_ref().is_some_and(RerunRun::is_live) {
        return app.error("a re-run is under way: wait for it, or cancel its running step (esc)");
    }
    match app.conv.selected {
        Some(from) => match plan(app, from, &TurnSettings::default()) {
            Ok(_) => app.overlay = Overlay::ConfirmRerun(RerunQuestion::new(from)),
            Err(e) => app.error(e),
        },
        None => app.error("select a turn to re-run from"),
    }
}

/// The plan the question offers: the path from `from` with `change` over
/// each step's own settings (the core decides, and refuses what a
/// step's model cannot make).
pub(crate) fn plan(app: &App, from: NodeId, change: &TurnSettings) -> Result<RerunPlan, String> {
    app.conv
        .plan_rerun(from, None, change, &app.composer.params)
        .map_err(|e| e.to_string())
}

/// The user said yes: every step's references are looked for first, so
/// a missing one stops the re-run before anything is billed. A change
/// the plan refuses keeps the question open, saying why.
pub(super) fn check(app: &mut App, q: RerunQuestion) -> Vec<Effect> {
    let plan = match plan(app, q.from, &q.change) {
        Ok(plan) => plan,
        Err(e) => {
            app.error(format!("not sent, nothing billed: {e}"));
            app.overlay = Overlay::ConfirmRerun(q);
            return Vec::new();
        }
    };
    // The question said the price; the spend limits still hold.
    if super::turns::over_budget(app, plan.calls()) {
        return Vec::new();
    }
    let references = plan.references();
    app.rerun = Some(run_of(q.from, q.change, plan, Phase::Checking));
    app.info("re-run: looking for every step's references…");
    vec![Effect::CheckRerun {
        from: q.from,
        references,
    }]
}

fn run_of(from: NodeId, change: TurnSettings, plan: RerunPlan, phase: Phase) -> RerunRun {
    RerunRun {
        from,
        change,
        parent: plan.parent,
        steps: plan
            .steps
            .into_iter()
            .map(|step| StepRun { step, answer: None })
            .collect(),
        phase,
    }
}

/// The look for references came back: the first step goes out when every
/// one is there (and the re-run was not cancelled meanwhile).
pub(super) fn checked(app: &mut App, from: NodeId, missing: Option<String>) -> Vec<Effect> {
    let Some(run) = app
        .rerun
        .take_if(|r| r.phase == Phase::Checking && r.from == from)
    else {
        return Vec::new();
    };
    if let Some(line) = missing {
        app.error(crate::sanitize::line(&line).into_owned());
        return Vec::new();
    }
    // Planned again: the tree may have changed while the look ran.
    match plan(app, from, &run.change) {
        Ok(plan) => {
            app.rerun = Some(run_of(from, run.change, plan, Phase::Running));
            next_step(app)
        }
        Err(e) => {
            app.error(format!("re-run not sent: {e}"));
            Vec::new()
        }
    }
}

/// Adds the next step under the last one's answer and sends it; ends the
/// re-run when none is left.
fn next_step(app: &mut App) -> Vec<Effect> {
    let Some(run) = app.rerun.as_mut() else {
        return Vec::new();
    };
    let total = run.steps.len();
    let Some(at) = run.steps.iter().position(|s| s.answer.is_none()) else {
        app.rerun = None;
        app.info(format!("re-run done: {total} step(s) as a new branch"));
        return Vec::new();
    };
    let parent = match at.checked_sub(1) {
        Some(i) => run.steps[i].answer,
        None => run.parent,
    };
    let step = &run.steps[at].step;
    match app.conv.add_rerun_step(parent, step, app.clock.wall) {
        Ok((_, answer)) => {
            let said = format!(
                "re-run step {}/{total}: {} again as {answer} ({})",
                at + 1,
                step.source,
                crate::sanitize::line(&step.params.model)
            );
            run.steps[at].answer = Some(answer);
            run.phase = Phase::Running;
            app.in_flight.insert(answer, app.clock.mono);
            app.info(said);
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
/// re-run's and is done — held while the user is asked whether to cancel
/// it —; else the re-run stops there, saying where.
pub(super) fn finished(app: &mut App, id: NodeId) -> Vec<Effect> {
    let Some(run) = app.rerun.as_mut().filter(|r| r.running() == Some(id)) else {
        return Vec::new();
    };
    let done = app
        .conv
        .node(id)
        .is_ok_and(|n| n.status() == Some(Status::Done));
    let at = run.at();
    if done && app.overlay == Overlay::ConfirmCancel(id) {
        run.phase = Phase::Held;
        let next = next_of(run);
        app.info(format!(
            "{id} is done; the re-run waits for your answer before step {next} (yes sends nothing more)"
        ));
        return Vec::new();
    }
    if done {
        return next_step(app);
    }
    run.phase = Phase::Stopped;
    // The turn's own failure is on the status line already; say the rest.
    let said = app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    app.error(format!("re-run stopped at step {at}: {said}"));
    Vec::new()
}

/// `3/4`: the step after the current one.
fn next_of(run: &RerunRun) -> String {
    let i = run.current().map_or(0, |(i, _)| i + 1);
    format!("{}/{}", i + 1, run.steps.len())
}

/// The running step was cancelled (or dropped): the re-run stops there.
pub(super) fn cancelled(app: &mut App, id: NodeId) {
    if let Some(run) = app.rerun.as_mut().filter(|r| r.running() == Some(id)) {
        run.phase = Phase::Stopped;
        let at = run.at();
        app.info(format!(
            "re-run cancelled at step {at} ({id} may still be billed); the rest were not sent"
        ));
    }
}

/// Yes to cancelling `id`, which finished while the question was open:
/// when the re-run was holding its next step for this answer, it ends
/// there with nothing more sent. Whether it did.
pub(super) fn cancel_held(app: &mut App, id: NodeId) -> bool {
    let Some(run) = app
        .rerun
        .as_mut()
        .filter(|r| r.phase == Phase::Held && r.current().map(|(_, a)| a) == Some(id))
    else {
        return false;
    };
    run.phase = Phase::Stopped;
    let at = run.at();
    app.info(format!(
        "re-run cancelled after step {at} ({id} is done); the rest were not sent"
    ));
    true
}

/// Esc with nothing selected running: what a re-run makes of it. While
/// its references are looked for, it ends at once (nothing was sent);
/// while a step runs, the usual question for that step. `false`: no
/// re-run to cancel.
pub(super) fn cancel(app: &mut App) -> bool {
    let Some(run) = app.rerun.as_ref() else {
        return false;
    };
    match run.phase {
        Phase::Checking => {
            app.rerun = None;
            app.info("re-run cancelled before its first step: nothing was sent");
            true
        }
        Phase::Running => match run.running() {
            Some(id) if app.in_flight.contains_key(&id) => {
                app.overlay = Overlay::ConfirmCancel(id);
                true
            }
            _ => false,
        },
        Phase::Held | Phase::Stopped => false,
    }
}

/// Before a key or action: a stopped re-run's strip goes (it stayed to
/// show where it stopped).
pub(super) fn forget_stopped(app: &mut App) {
    app.rerun.take_if(|r| r.phase == Phase::Stopped);
}

/// After every message: a step held for the cancel question goes out
/// once the question closed without a yes (not when quitting).
pub(super) fn resume(app: &mut App) -> Vec<Effect> {
    let Some(run) = app.rerun.as_ref().filter(|r| r.phase == Phase::Held) else {
        return Vec::new();
    };
    let asked = run.current().map(|(_, a)| Overlay::ConfirmCancel(a));
    if app.quitting || asked.as_ref() == Some(&app.overlay) {
        return Vec::new();
    }
    next_step(app)
}

#[cfg(test)]
mod ask_tests;
#[cfg(test)]
mod cancel_tests;
#[cfg(test)]
mod tests;
