//! What Enter in the composer will do, as data naming its node.
//!
//! The target is decided when the composer opens (`i` follows the
//! selection, `e` branches beside a prompt, `f` refines an image, alt-n
//! asks for a new root) and is recomputed from the selection whenever the
//! composer does not have focus, so an abandoned edit or refine never
//! outlives leaving it (`update` does this after every message). The
//! composer's title is [`ComposeTarget::describe`]: it always says what
//! sending will do.

use time::OffsetDateTime;

use pixloom_core::tree::{Conversation, NodeId, Part, Role, Status, TreeError};

/// Where the composer's next user turn goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ComposeTarget {
    /// The first turn of a new conversation tree (no history): the tree is
    /// empty, or the user asked for it.
    #[default]
    Root,
    /// A new user turn under this turn, the end of the selected branch.
    Reply(NodeId),
    /// A new sibling of this user turn (an edit; the original stays).
    Beside(NodeId),
    /// A new user turn under this finished image (a new branch from it).
    Refine(NodeId),
}

impl ComposeTarget {
    /// What the composer does unless told otherwise: continue the selected
    /// branch under its last turn that is not a prompt (a prompt with no
    /// answer below is replied to itself, so the history is kept); a new
    /// root only when there is nothing to continue.
    pub(crate) fn following(conv: &Conversation) -> ComposeTarget {
        let Some(sel) = conv.selected else {
            return ComposeTarget::Root;
        };
        let leaf = conv.leaf_below(sel).unwrap_or(sel);
        let mut at = leaf;
        for _ in 0..=conv.len() {
            let Ok(n) = conv.node(at) else { break };
            if n.role != Role::User {
                return ComposeTarget::Reply(at);
            }
            match n.parent {
                Some(p) => at = p,
                None => break,
            }
        }
        ComposeTarget::Reply(leaf)
    }

    /// Whether it still applies to `conv`: its node is there with the
    /// role it needs (a deleted node, or a refine whose image went, is not).
    pub(crate) fn is_live(self, conv: &Conversation) -> bool {
        let role = |id| conv.node(id).ok().map(|n| (n.role, n.status()));
        match self {
            ComposeTarget::Root => true,
            ComposeTarget::Reply(id) => role(id).is_some(),
            ComposeTarget::Beside(id) => role(id).is_some_and(|(r, _)| r == Role::User),
            ComposeTarget::Refine(id) => role(id) == Some((Role::Assistant, Some(Status::Done))),
        }
    }

    /// For the composer's title and the status line: `reply under n7`.
    pub(crate) fn describe(self, conv: &Conversation) -> String {
        match self {
            ComposeTarget::Root if conv.roots.is_empty() => "start the conversation".to_owned(),
            ComposeTarget::Root => "new conversation root (no history)".to_owned(),
            ComposeTarget::Reply(id) => format!("reply under {id}"),
            ComposeTarget::Beside(id) if conv.node(id).is_ok_and(|n| n.parent.is_none()) => {
                format!("new branch beside {id} (a new root, no history)")
            }
            ComposeTarget::Beside(id) => format!("new branch beside {id}"),
            ComposeTarget::Refine(id) => format!("refine {id}"),
        }
    }

    /// Adds the user turn it describes (the conversation selects it).
    pub(crate) fn add_user(
        self,
        conv: &mut Conversation,
        parts: Vec<Part>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        match self {
            ComposeTarget::Root => conv.add_user(None, parts, now),
            ComposeTarget::Reply(id) => conv.add_user(Some(id), parts, now),
            ComposeTarget::Beside(id) => conv.edit_user(id, parts, now),
            ComposeTarget::Refine(id) => conv.refine(id, parts, now),
        }
    }
}
