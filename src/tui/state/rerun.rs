//! A re-run as the app holds it: the question before it (what to change)
//! and the run under way (every step's progress), and its price.

use pixloom_core::model::KNOWN_MODELS;
use pixloom_core::settings::TurnSettings;
use pixloom_core::size::SizeSpec;
use pixloom_core::tree::rerun::RerunStep;
use pixloom_core::tree::{Endpoint, NodeId};

use super::{SizeCursor, dollars};

/// The question before a re-run (`Overlay::ConfirmRerun`): the row the
/// cursor is on and the change picked so far; a field left `None` is
/// "as it was" (each step keeps its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RerunQuestion {
    pub(crate) from: NodeId,
    pub(crate) row: RerunRow,
    pub(crate) change: TurnSettings,
}

/// A row of the question, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RerunRow {
    Model,
    Size,
    Endpoint,
}

impl RerunRow {
    pub(crate) const ALL: [RerunRow; 3] = [RerunRow::Model, RerunRow::Size, RerunRow::Endpoint];

    pub(crate) fn label(self) -> &'static str {
        match self {
            RerunRow::Model => "model",
            RerunRow::Size => "size",
            RerunRow::Endpoint => "endpoint",
        }
    }
}

impl RerunQuestion {
    /// Nothing changed yet, the cursor on the first row.
    pub(crate) fn new(from: NodeId) -> RerunQuestion {
        RerunQuestion {
            from,
            row: RerunRow::Model,
            change: TurnSettings::default(),
        }
    }

    /// `j` / `k`: the next or previous row (staying at the ends).
    pub(crate) fn move_row(&mut self, down: bool) {
        let at = RerunRow::ALL
            .iter()
            .position(|r| *r == self.row)
            .unwrap_or(0);
        let to = if down {
            (at + 1).min(RerunRow::ALL.len() - 1)
        } else {
            at.saturating_sub(1)
        };
        self.row = RerunRow::ALL[to];
    }

    /// `h` / `l`: the row's value cycles through "as it was" and then
    /// its choices: the models pixloom knows, the size picker's cells,
    /// the two endpoints.
    pub(crate) fn cycle(&mut self, forward: bool) {
        let c = &mut self.change;
        match self.row {
            RerunRow::Model => {
                let models: Vec<String> = KNOWN_MODELS.iter().map(|m| (*m).to_owned()).collect();
                c.model = cycle(&models, c.model.as_ref(), forward);
            }
            RerunRow::Size => c.size = cycle(&size_choices(), c.size.as_ref(), forward),
            RerunRow::Endpoint => {
                let endpoints = [Endpoint::Chat, Endpoint::Images];
                c.endpoint = cycle(&endpoints, c.endpoint.as_ref(), forward);
            }
        }
    }
}

/// The size picker's cells in its order (`auto`, then each ratio's
/// three tiers): the same list, read from [`SizeCursor`].
fn size_choices() -> Vec<SizeSpec> {
    (0..SizeCursor::ROWS)
        .flat_map(|row| {
            let cols = if row == 0 { 1 } else { 3 };
            (0..cols).map(move |col| SizeCursor { row, col }.size())
        })
        .collect()
}

/// One step along "as it was" (`None`) → `list[0]` → … → the last → `None`.
fn cycle<T: Clone + PartialEq>(list: &[T], now: Option<&T>, forward: bool) -> Option<T> {
    // Position 0 is "as it was", i + 1 is list[i].
    let len = list.len() + 1;
    let at = now
        .and_then(|v| list.iter().position(|x| x == v))
        .map_or(0, |i| i + 1);
    let to = if forward {
        (at + 1) % len
    } else {
        (at + len - 1) % len
    };
    to.checked_sub(1).map(|i| list[i].clone())
}

/// A re-run under way (`update/rerun.rs`): every step of the plan with
/// how far it got, for the progress strip (`view/rerun_progress.rs`).
#[derive(Debug, Clone)]
pub(crate) struct RerunRun {
    /// Where it started and what it changes (`None`: as it was).
    pub from: NodeId,
    pub change: TurnSettings,
    /// The first step goes under this node (the plan's parent).
    pub parent: Option<NodeId>,
    pub steps: Vec<StepRun>,
    pub phase: Phase,
}

/// One step of a re-run and how far it got.
#[derive(Debug, Clone)]
pub(crate) struct StepRun {
    pub step: RerunStep,
    /// Its answer once added (`None`: waiting, not sent).
    pub answer: Option<NodeId>,
}

/// Where a re-run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Its references are being looked for; nothing is sent yet.
    Checking,
    /// A step is running (the last step with an answer).
    Running,
    /// A step finished while the user was asked whether to cancel it:
    /// the next one waits for the answer (yes ends the re-run, nothing
    /// more sent).
    Held,
    /// It stopped at a step (failed, refused, cancelled): the strip
    /// stays, that step marked, until the next key.
    Stopped,
}

impl RerunRun {
    /// Not yet over: a new re-run waits for it.
    pub(crate) fn is_live(&self) -> bool {
        self.phase != Phase::Stopped
    }

    /// The step running now, or held, or where it stopped (from 0), with
    /// its answer.
    pub(crate) fn current(&self) -> Option<(usize, NodeId)> {
        self.steps
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, s)| s.answer.map(|a| (i, a)))
    }

    /// The answer running now (`Phase::Running` only).
    pub(crate) fn running(&self) -> Option<NodeId> {
        (self.phase == Phase::Running)
            .then(|| self.current().map(|(_, a)| a))
            .flatten()
    }

    /// `2/3`: the current step of all (1 before the first is added).
    pub(crate) fn at(&self) -> String {
        let i = self.current().map_or(0, |(i, _)| i);
        format!("{}/{}", i + 1, self.steps.len())
    }
}

/// What a re-run changes, as `model M`, `size S`, `endpoint E` (none:
/// every step as it was); said by the app's progress strip and by
/// `pixloom rerun`.
pub(crate) fn changed(change: &TurnSettings) -> Vec<String> {
    let mut what = Vec::new();
    if let Some(m) = &change.model {
        what.push(format!("model {}", crate::sanitize::line(m)));
    }
    if let Some(s) = change.size {
        what.push(format!("size {s}"));
    }
    if let Some(e) = change.endpoint {
        what.push(format!("endpoint {e}"));
    }
    what
}

/// `3 call(s) × $0.03 = $0.09`: what a number of calls costs.
pub(crate) fn price_of_calls(calls: usize) -> String {
    let each = pixloom_core::model::PRICE_PER_CALL_MICRO_USD;
    let all = each.saturating_mul(calls as u64);
    format!("{calls} call(s) × {} = {}", dollars(each), dollars(all))
}
