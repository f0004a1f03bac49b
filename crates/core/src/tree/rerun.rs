//! Re-running a saved path: the user turns from one node down to another,
//! and the plan that sends them again as a new branch beside the original.
//!
//! Pure: the plan says what to add; the driver adds each step with
//! [`Conversation::add_rerun_step`] once the step before it finished, so
//! every step's history is the new branch (a refinement refines the new
//! picture). The original branch is never changed: the new one starts
//! under FROM's parent, as a sibling of FROM.

use time::OffsetDateTime;

use super::node::{Blob, ImageRef, NodeId, Part, RequestParams, Role};
use super::{Conversation, TreeError};
use crate::settings::TurnSettings;

/// Why a re-run cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RerunError {
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error("{0} is a system turn; re-run from a user turn or a picture below it")]
    FromSystem(NodeId),
    #[error("{to} is not on the path below {from}; pick a node under {from}")]
    NotBelow { from: NodeId, to: NodeId },
    /// The change asks a step for what its model cannot make
    /// ([`crate::model::cannot_make`]); nothing is sent.
    #[error("refused for {step}: {reason}")]
    Refused { step: NodeId, reason: String },
}

/// One step of two branches side by side ([`Conversation::paired_steps`]):
/// each side's answer at that depth, `None` past the end of its branch.
pub type StepPair = (Option<NodeId>, Option<NodeId>);

/// One step of a re-run: a user turn to add again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RerunStep {
    /// The original user turn this step repeats.
    pub source: NodeId,
    /// Its prompt and references; references carry no gateway link (they
    /// are sent from the local copies, as old links are long dead).
    pub parts: Vec<Part>,
    /// What the step is sent with: the original's, with the change over it.
    pub params: RequestParams,
}

/// A re-run: where the new branch starts and its steps, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RerunPlan {
    /// The first step goes under this node (FROM's parent; `None`: a root).
    pub parent: Option<NodeId>,
    pub steps: Vec<RerunStep>,
}

impl RerunPlan {
    /// How many billed calls the re-run makes (one per step).
    pub fn calls(&self) -> usize {
        self.steps.len()
    }

    /// Every step's reference images, with the turn they come from: the
    /// files that must be at hand before the first call.
    pub fn references(&self) -> Vec<(NodeId, Blob)> {
        let mut out = Vec::new();
        for step in &self.steps {
            for part in &step.parts {
                if let Part::Image { image } = part {
                    out.push((step.source, image.upload_blob().clone()));
                }
            }
        }
        out
    }
}

impl Conversation {
    /// The user turns of the path from `from` down to `to` (both included),
    /// in order. `from` may be an assistant turn: its user turn is the
    /// start. Without `to`, the path goes down the remembered branch to its
    /// leaf.
    pub fn rerun_turns(&self, from: NodeId, to: Option<NodeId>) -> Result<Vec<NodeId>, RerunError> {
        let start = self.rerun_start(from)?;
        let end = match to {
            Some(t) => t,
            None => self.leaf_below(start)?,
        };
        let path = self.path_to(end)?;
        let at = path
            .iter()
            .position(|&n| n == start)
            .ok_or(RerunError::NotBelow { from, to: end })?;
        Ok(path[at..]
            .iter()
            .copied()
            .filter(|&n| self.nodes.get(&n).is_some_and(|n| n.role == Role::User))
            .collect())
    }

    /// The plan for re-running `from`..`to` with `change` over each step's
    /// original parameters (`fallback` for a user turn never answered).
    /// A change that makes a step ask its model for what it cannot make
    /// is refused (`RerunError::Refused`, naming the first such step); a
    /// step sent as it was is never refused.
    pub fn plan_rerun(
        &self,
        from: NodeId,
        to: Option<NodeId>,
        change: &TurnSettings,
        fallback: &RequestParams,
    ) -> Result<RerunPlan, RerunError> {
        let turns = self.rerun_turns(from, to)?;
        let parent = match turns.first() {
            Some(&first) => self.node(first)?.parent,
            None => None,
        };
        let path: Vec<NodeId> = match turns.last() {
            Some(&last) => self.path_to(self.leaf_below(last)?)?,
            None => Vec::new(),
        };
        let steps = turns
            .iter()
            .map(|&user| {
                let node = self.node(user)?;
                let original = self.answer_params(user, &path).unwrap_or(fallback);
                let params = change.over(original);
                let changes_what_is_made = change.model.is_some() || change.size.is_some();
                if changes_what_is_made
                    && let Some(reason) = crate::model::cannot_make(&params.model, params.size)
                {
                    return Err(RerunError::Refused { step: user, reason });
                }
                Ok(RerunStep {
                    source: user,
                    parts: node.parts.iter().map(without_link).collect(),
                    params,
                })
            })
            .collect::<Result<Vec<_>, RerunError>>()?;
        Ok(RerunPlan { parent, steps })
    }

    /// Adds one step of a re-run under `parent` (the plan's parent for the
    /// first step, the previous step's answer after): its user turn and
    /// one pending answer, selected. Returns both ids.
    pub fn add_rerun_step(
        &mut self,
        parent: Option<NodeId>,
        step: &RerunStep,
        now: OffsetDateTime,
    ) -> Result<(NodeId, NodeId), TreeError> {
        // Both or neither: the answer's id is checked before the turn is added.
        if self.next_id.checked_add(2).is_none() {
            return Err(TreeError::OutOfIds);
        }
        let user = self.add_user(parent, step.parts.clone(), now)?;
        let answer = self.add_pending(user, &step.params, 1, now)?[0];
        Ok((user, answer))
    }

    /// Two branches side by side, step by step: below the deepest turn
    /// the paths to `a` and `b` share (the common parent of a re-run and
    /// its original), each one's answers down its remembered branch to
    /// its leaf, paired by depth. Step i is the i-th answer of each side;
    /// the shorter branch gives `None` past its end.
    pub fn paired_steps(&self, a: NodeId, b: NodeId) -> Result<Vec<StepPair>, TreeError> {
        let (to_a, to_b) = (self.path_to(a)?, self.path_to(b)?);
        let shared = to_a.iter().zip(&to_b).take_while(|(x, y)| x == y).count();
        let answers = |id: NodeId| -> Result<Vec<NodeId>, TreeError> {
            let path = self.path_to(self.leaf_below(id)?)?;
            Ok(path[shared.min(path.len())..]
                .iter()
                .copied()
                .filter(|n| self.nodes.get(n).is_some_and(|n| n.role == Role::Assistant))
                .collect())
        };
        let (left, right) = (answers(a)?, answers(b)?);
        Ok((0..left.len().max(right.len()))
            .map(|i| (left.get(i).copied(), right.get(i).copied()))
            .collect())
    }

    /// Which step of [`Self::paired_steps`] shows `a` beside `b` (from 0),
    /// with the steps; `None` when they are not at the same depth of
    /// their branches (or either is not a turn).
    pub fn step_of(&self, a: NodeId, b: NodeId) -> Option<(usize, Vec<StepPair>)> {
        let steps = self.paired_steps(a, b).ok()?;
        let at = steps.iter().position(|&s| s == (Some(a), Some(b)))?;
        Some((at, steps))
    }

    /// The user turn a re-run from `from` starts at.
    fn rerun_start(&self, from: NodeId) -> Result<NodeId, RerunError> {
        let node = self.node(from)?;
        match node.role {
            Role::User => Ok(from),
            Role::System => Err(RerunError::FromSystem(from)),
            Role::Assistant => match node.parent {
                Some(p) if self.node(p)?.role == Role::User => Ok(p),
                _ => Err(RerunError::Tree(TreeError::WrongRole {
                    id: from,
                    wanted: Role::User,
                    actual: Role::Assistant,
                })),
            },
        }
    }

    /// What `user` was answered with: the answer on `path`, else its first
    /// answer.
    fn answer_params(&self, user: NodeId, path: &[NodeId]) -> Option<&RequestParams> {
        let children = &self.nodes.get(&user)?.children;
        let on_path = children.iter().find(|c| path.contains(c));
        on_path
            .into_iter()
            .chain(children.iter())
            .filter_map(|c| self.nodes.get(c)?.turn.as_ref())
            .map(|t| &t.request)
            .next()
    }
}

/// A part as a re-run sends it: a reference without its gateway link.
fn without_link(part: &Part) -> Part {
    match part {
        Part::Image { image } => Part::Image {
            image: ImageRef {
                remote: None,
                ..image.clone()
            },
        },
        Part::Text { text } => Part::Text { text: text.clone() },
    }
}

#[cfg(test)]
mod tests;
