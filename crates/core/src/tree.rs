//! The conversation tree: every turn ever made, branches included.
//!
//! Pure: no I/O, no clock (callers pass `now`). The path from a root to the
//! selected node is what gets sent; siblings are alternatives (edits,
//! regenerations, variants) and never leak into each other's history.
//!
//! Invariants (checked by `Conversation::check` and the property tests):
//! every node is reachable from `roots` exactly once, parent and children
//! agree, there are no cycles, `selected` and every `last_child` name a live
//! node, and `next_id` is above every id in use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::settings::SavedSettings;

mod build;
mod navigate;
pub mod node;
pub mod rerun;

pub use node::*;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("there is no node {0}")]
    NoSuchNode(NodeId),
    #[error("{id} is {}; this needs {}", actual.a_turn(), wanted.a_turn())]
    WrongRole {
        id: NodeId,
        wanted: Role,
        actual: Role,
    },
    #[error("{0} is not waiting for a result (it is {1})")]
    NotPending(NodeId, Status),
    #[error("{0} cannot be retried while it is {1}")]
    NotRetryable(NodeId, Status),
    #[error("{0} has no received picture waiting to be stored (it is {1})")]
    NotUnstored(NodeId, Status),
    #[error("a turn needs some text or an image")]
    EmptyTurn,
    #[error("variants must be between 1 and {max}")]
    BadVariantCount { max: usize },
    #[error("one prompt may start at most {max} calls at once (sizes × models × variants)")]
    BadCellCount { max: usize },
    #[error("this conversation has used up its node ids; start a new one")]
    OutOfIds,
}

/// The most variants one action may start (each is a billed call).
pub const MAX_VARIANTS: usize = 8;

/// The most sibling turns one prompt may fan out into at once (a grid's
/// sizes × models × variants; each is a billed call).
pub const MAX_FAN_OUT: usize = 16;

/// What a finished request brings back to its node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    pub request_id: Option<String>,
    pub latency_ms: Option<u64>,
    pub cost_micro_usd: u64,
    pub attempts: u32,
}

/// A whole conversation: the tree and the cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// What the interface calls the conversation. Unless [`Self::titled`],
    /// the folder's name, set again at every load (so a copied folder
    /// shows its own name); still written, for older readers.
    pub title: String,
    /// The user chose [`Self::title`]; a load keeps it (absent: `false`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub titled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub next_id: u32,
    pub roots: Vec<NodeId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<NodeId>,
    /// The size, model and endpoint last picked for new turns here
    /// (`settings.rs`: flags override them, they override the config).
    #[serde(default, skip_serializing_if = "SavedSettings::is_empty")]
    pub settings: SavedSettings,
    #[serde(with = "node_list")]
    pub nodes: BTreeMap<NodeId, Node>,
}

/// Nodes are saved as a list ordered by id (readable, diffable), and held
/// as a map.
mod node_list {
    use super::{Node, NodeId};
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    pub(super) fn serialize<S: Serializer>(
        m: &BTreeMap<NodeId, Node>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.values())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<NodeId, Node>, D::Error> {
        let list = Vec::<Node>::deserialize(d)?;
        let mut map = BTreeMap::new();
        for n in list {
            let id = n.id;
            if map.insert(id, n).is_some() {
                return Err(serde::de::Error::custom(format!("node {id} appears twice")));
            }
        }
        Ok(map)
    }
}

impl Conversation {
    pub fn new(title: impl Into<String>, now: OffsetDateTime) -> Self {
        Conversation {
            title: title.into(),
            titled: false,
            created_at: now,
            next_id: 1,
            roots: Vec::new(),
            selected: None,
            settings: SavedSettings::default(),
            nodes: BTreeMap::new(),
        }
    }

    pub fn node(&self, id: NodeId) -> Result<&Node, TreeError> {
        self.nodes.get(&id).ok_or(TreeError::NoSuchNode(id))
    }

    fn node_mut(&mut self, id: NodeId) -> Result<&mut Node, TreeError> {
        self.nodes.get_mut(&id).ok_or(TreeError::NoSuchNode(id))
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node's siblings including itself, in order (the roots for a root).
    pub(crate) fn siblings(&self, id: NodeId) -> Result<&[NodeId], TreeError> {
        match self.node(id)?.parent {
            Some(p) => Ok(&self.node(p)?.children),
            None => Ok(&self.roots),
        }
    }

    /// 1-based position among siblings and their count, for `‹2/3›`.
    pub fn sibling_position(&self, id: NodeId) -> Result<(usize, usize), TreeError> {
        let (sibs, at) = self.sibling_index(id)?;
        Ok((at + 1, sibs.len()))
    }

    /// The node's siblings (itself included) and its index among them.
    fn sibling_index(&self, id: NodeId) -> Result<(&[NodeId], usize), TreeError> {
        let sibs = self.siblings(id)?;
        let at = sibs.iter().position(|&s| s == id).unwrap_or(0);
        Ok((sibs, at))
    }

    /// Root → `id`, inclusive.
    pub fn path_to(&self, id: NodeId) -> Result<Vec<NodeId>, TreeError> {
        let mut path = vec![id];
        let mut cur = self.node(id)?.parent;
        while let Some(p) = cur {
            path.push(p);
            cur = self.node(p)?.parent;
            if path.len() > self.nodes.len() {
                break; // a cycle: `check` reports it; never loop forever
            }
        }
        path.reverse();
        Ok(path)
    }

    /// Root → selected node; empty when nothing is selected.
    pub fn selected_path(&self) -> Vec<NodeId> {
        self.selected
            .and_then(|s| self.path_to(s).ok())
            .unwrap_or_default()
    }

    /// Follows remembered (else first) children from `id` down to a leaf.
    pub fn leaf_below(&self, id: NodeId) -> Result<NodeId, TreeError> {
        let mut cur = id;
        for _ in 0..=self.nodes.len() {
            let n = self.node(cur)?;
            match n.last_child.or_else(|| n.children.first().copied()) {
                Some(c) => cur = c,
                None => break,
            }
        }
        Ok(cur)
    }

    /// Every node below `id`, `id` included, parents before children.
    pub fn subtree(&self, id: NodeId) -> Result<Vec<NodeId>, TreeError> {
        self.node(id)?;
        Ok(self.depth_first(&[id]))
    }

    /// Every node in display order: depth-first, children in order.
    pub fn preorder(&self) -> Vec<NodeId> {
        self.depth_first(&self.roots)
    }

    /// `starts` and everything below them, depth-first, children in order.
    fn depth_first(&self, starts: &[NodeId]) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack: Vec<NodeId> = starts.iter().rev().copied().collect();
        // The bound keeps a cycle in an unchecked tree from looping forever.
        while out.len() < self.nodes.len()
            && let Some(n) = stack.pop()
        {
            out.push(n);
            if let Some(node) = self.nodes.get(&n) {
                stack.extend(node.children.iter().rev());
            }
        }
        out
    }

    /// Sum of what every turn cost, in micro-dollars. Saturates: a
    /// hand-edited file may hold any number.
    pub fn total_cost_micro_usd(&self) -> u64 {
        self.nodes
            .values()
            .filter_map(|n| n.turn.as_ref())
            .fold(0, |sum, t| sum.saturating_add(t.cost_micro_usd))
    }

    /// Nodes whose request is in flight.
    pub fn pending(&self) -> Vec<NodeId> {
        self.nodes
            .values()
            .filter(|n| n.status() == Some(Status::Pending))
            .map(|n| n.id)
            .collect()
    }
}

#[cfg(test)]
mod tests;
