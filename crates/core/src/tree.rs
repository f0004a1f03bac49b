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
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::settings::SavedSettings;
use super::size::SizeSpec;

/// A node's id: `n1`, `n2`, … unique within one conversation, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

impl std::str::FromStr for NodeId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only the printed form: `n+3` or `n03` would name `n3` too.
        s.strip_prefix('n')
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && (*n == "0" || !n.starts_with('0')))
            .and_then(|n| n.parse::<u32>().ok())
            .map(NodeId)
            .ok_or_else(|| format!("{s:?} is not a node id (like n3)"))
    }
}

impl Serialize for NodeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    /// The role as the gateway names it: `system`, `user`, `assistant`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }

    /// "a user turn", "an assistant turn", for messages.
    fn a_turn(self) -> &'static str {
        match self {
            Role::System => "a system turn",
            Role::User => "a user turn",
            Role::Assistant => "an assistant turn",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stored file in the conversation's `images/` folder, named by the
/// sha256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    pub sha256: String,
    /// `png`, `jpg`, `webp`, `gif`, `bmp` or `tiff`.
    pub ext: String,
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
}

impl Blob {
    /// The file's name inside `images/`.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.sha256, self.ext)
    }

    pub fn mime(&self) -> &'static str {
        match self.ext.as_str() {
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "webp" => "image/webp",
            "gif" => "image/gif",
            "bmp" => "image/bmp",
            "tiff" => "image/tiff",
            _ => "application/octet-stream",
        }
    }
}

/// Where an image came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ImageOrigin {
    /// A local file the user attached (the path as given, for display).
    File { path: String },
    /// An http(s) URL the user attached (downloaded when attached).
    Url { url: String },
    /// A result the gateway returned for an assistant turn.
    Result,
}

/// A copy of the image held by the gateway, usable instead of uploading
/// bytes while it is alive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteCopy {
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Proof that this installation received the URL itself (see
    /// `provenance.rs`); a folder from elsewhere has none that verifies,
    /// and its URLs are never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

/// An image in a turn: the original as it arrived, and the copy prepared
/// for upload (within the 1.5 MB budget) when the original is not fit to
/// send as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    pub original: Blob,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<Blob>,
    /// Proof that this installation prepared `upload` from `original` (see
    /// `provenance.rs`): without it the copy is not sent — a folder from
    /// elsewhere could name any picture as the copy to upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_seal: Option<String>,
    pub origin: ImageOrigin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteCopy>,
}

impl ImageRef {
    /// The blob to send as bytes: the prepared copy if there is one.
    pub fn upload_blob(&self) -> &Blob {
        self.upload.as_ref().unwrap_or(&self.original)
    }
}

// A turn holds a few parts; boxing the image would save a few hundred
// bytes per text part and cost a pointer chase on every image.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Part {
    Text { text: String },
    Image { image: ImageRef },
}

/// Which API a turn goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// `/v1/chat/completions`, with the whole path as history.
    #[default]
    Chat,
    /// `/v1/images/generations`, or `/v1/images/edits` when the turn has an
    /// image to work from.
    Images,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Endpoint::Chat => "chat",
            Endpoint::Images => "images",
        })
    }
}

impl std::str::FromStr for Endpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "chat" => Ok(Endpoint::Chat),
            "images" => Ok(Endpoint::Images),
            _ => Err(format!("endpoint {s:?} is not chat or images")),
        }
    }
}

/// What an assistant turn was asked with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestParams {
    pub endpoint: Endpoint,
    pub model: String,
    pub size: SizeSpec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Saved before its request went out; the request is in flight.
    Pending,
    Done,
    Failed,
    /// The model answered with text instead of an image (may be billed).
    Refused,
    Cancelled,
    /// Was pending when the app stopped (crash, kill): ready to retry.
    Interrupted,
    /// The result arrived (so it was billed) but is not in `images/` yet:
    /// the store failed (disk full) or pixloom stopped first. The turn's
    /// [`Received`] says where the picture can still be had; storing it
    /// makes the turn `done`. Never retried by resending: that bills again.
    Unstored,
}

impl Status {
    /// No image will arrive; the turn may be retried in place.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Status::Failed | Status::Cancelled | Status::Interrupted
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Pending => "pending",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Refused => "refused",
            Status::Cancelled => "cancelled",
            Status::Interrupted => "interrupted",
            Status::Unstored => "unstored",
        })
    }
}

/// Why a turn failed, kept with the turn so it can be shown and retried.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TurnError {
    /// One line: what happened and what to do.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The request went out but no answer came back: the gateway may have
    /// billed it, so it is never retried automatically.
    #[serde(default)]
    pub may_have_been_billed: bool,
    /// The gateway's raw reply, cut short, for the error detail view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_body: Option<String>,
}

/// A paid result that arrived but is not stored yet: recorded in the turn
/// as soon as the gateway answers, so a crash or a full disk leaves a file
/// that says where the picture can still be fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// The gateway's link to the picture (alive about a day), when it gave
    /// one (chat answers may carry the bytes instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<OffsetDateTime>,
    /// The sha256 of the bytes, once they arrived whole: a spare copy is
    /// taken back only if it still has this content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// A copy outside the conversation folder (written by `pixloom send`
    /// when the folder's disk was full).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spare_copy: Option<String>,
    /// Proof that this installation wrote the record (see `provenance.rs`):
    /// without it, the link and the spare copy's path are not used — a
    /// received folder cannot make pixloom fetch a URL or read a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

impl Received {
    /// Whether the gateway's link is still alive at `now`.
    pub fn url_alive(&self, now: OffsetDateTime) -> bool {
        self.url.is_some() && self.expires_at.is_none_or(|t| now < t)
    }
}

/// The request side of an assistant turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub request: RequestParams,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TurnError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// What this turn cost, in micro-dollars (refusals may be billed).
    #[serde(default)]
    pub cost_micro_usd: u64,
    /// HTTP attempts made, retries included.
    #[serde(default)]
    pub attempts: u32,
    /// The paid result, from the moment it arrived until it is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<Received>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<NodeId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<NodeId>,
    pub role: Role,
    #[serde(default)]
    pub parts: Vec<Part>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub starred: bool,
    /// The child last visited, so walking down returns to the same branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_child: Option<NodeId>,
    /// Present on assistant turns only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<Turn>,
}

impl Node {
    /// The turn's text parts joined: the prompt of a user turn, the refusal
    /// of a refused assistant turn.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for p in &self.parts {
            if let Part::Text { text } = p {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(text);
            }
        }
        out
    }

    pub fn images(&self) -> impl Iterator<Item = &ImageRef> {
        self.parts.iter().filter_map(|p| match p {
            Part::Image { image } => Some(image),
            Part::Text { .. } => None,
        })
    }

    pub fn status(&self) -> Option<Status> {
        self.turn.as_ref().map(|t| t.status)
    }
}

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
    #[error("this conversation has used up its node ids; start a new one")]
    OutOfIds,
}

/// The most variants one action may start (each is a billed call).
pub const MAX_VARIANTS: usize = 8;

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

    pub fn serialize<S: Serializer>(m: &BTreeMap<NodeId, Node>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.values())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
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
    pub fn siblings(&self, id: NodeId) -> Result<&[NodeId], TreeError> {
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

    // ----- building ---------------------------------------------------------

    fn insert(
        &mut self,
        parent: Option<NodeId>,
        role: Role,
        parts: Vec<Part>,
        turn: Option<Turn>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        if let Some(p) = parent {
            self.node(p)?;
        }
        let id = NodeId(self.next_id);
        // A loaded file may set `next_id` anywhere: never wrap and reuse ids.
        self.next_id = self.next_id.checked_add(1).ok_or(TreeError::OutOfIds)?;
        self.nodes.insert(
            id,
            Node {
                id,
                parent,
                children: Vec::new(),
                role,
                parts,
                created_at: now,
                label: None,
                starred: false,
                last_child: None,
                turn,
            },
        );
        match parent {
            Some(p) => self.node_mut(p)?.children.push(id),
            None => self.roots.push(id),
        }
        Ok(id)
    }

    /// A system or user turn with some text or an image, selected.
    fn add_turn(
        &mut self,
        parent: Option<NodeId>,
        role: Role,
        parts: Vec<Part>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        let has_content = parts.iter().any(|p| match p {
            Part::Text { text } => !text.trim().is_empty(),
            Part::Image { .. } => true,
        });
        if !has_content {
            return Err(TreeError::EmptyTurn);
        }
        let id = self.insert(parent, role, parts, None, now)?;
        self.select(id)?;
        Ok(id)
    }

    /// A system turn at the top; the conversation's first turns go under it.
    pub fn add_system(&mut self, text: String, now: OffsetDateTime) -> Result<NodeId, TreeError> {
        self.add_turn(None, Role::System, vec![Part::Text { text }], now)
    }

    /// A user turn under `parent` (`None`: a new root), selected.
    /// Replying under the selected leaf and refining from an assistant turn
    /// are both this with the right parent.
    pub fn add_user(
        &mut self,
        parent: Option<NodeId>,
        parts: Vec<Part>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        self.add_turn(parent, Role::User, parts, now)
    }

    /// A new user turn under the selected node.
    pub fn reply(&mut self, parts: Vec<Part>, now: OffsetDateTime) -> Result<NodeId, TreeError> {
        self.add_user(self.selected, parts, now)
    }

    /// A new user child of an assistant turn: refine what it made.
    pub fn refine(
        &mut self,
        assistant: NodeId,
        parts: Vec<Part>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        self.expect_role(assistant, Role::Assistant)?;
        self.add_user(Some(assistant), parts, now)
    }

    /// Edit a user turn: a new sibling with the new parts; the original stays.
    pub fn edit_user(
        &mut self,
        user: NodeId,
        parts: Vec<Part>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        self.expect_role(user, Role::User)?;
        let parent = self.node(user)?.parent;
        self.add_user(parent, parts, now)
    }

    /// `n` pending assistant turns (variants) under a user turn; the first is
    /// selected. Each is a separate request.
    pub fn add_pending(
        &mut self,
        user: NodeId,
        request: &RequestParams,
        n: usize,
        now: OffsetDateTime,
    ) -> Result<Vec<NodeId>, TreeError> {
        self.expect_role(user, Role::User)?;
        if n == 0 || n > MAX_VARIANTS {
            return Err(TreeError::BadVariantCount { max: MAX_VARIANTS });
        }
        // All or none: ids for every variant, so none is left half-added.
        if u32::try_from(n)
            .ok()
            .and_then(|n| self.next_id.checked_add(n))
            .is_none()
        {
            return Err(TreeError::OutOfIds);
        }
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            let turn = Turn {
                request: request.clone(),
                status: Status::Pending,
                error: None,
                request_id: None,
                latency_ms: None,
                cost_micro_usd: 0,
                attempts: 0,
                received: None,
            };
            ids.push(self.insert(Some(user), Role::Assistant, Vec::new(), Some(turn), now)?);
        }
        self.select(ids[0])?;
        Ok(ids)
    }

    /// Regenerate: a new pending sibling under the same user turn, with the
    /// same request (or `request` when given).
    pub fn regenerate(
        &mut self,
        assistant: NodeId,
        request: Option<RequestParams>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        let node = self.expect_role(assistant, Role::Assistant)?;
        let params = match request {
            Some(r) => r,
            None => node
                .turn
                .as_ref()
                .map(|t| t.request.clone())
                .ok_or(TreeError::NoSuchNode(assistant))?,
        };
        let user = node.parent.ok_or(TreeError::NoSuchNode(assistant))?;
        Ok(self.add_pending(user, &params, 1, now)?[0])
    }

    /// Retry a failed, cancelled or interrupted turn in place (optionally
    /// with other parameters, e.g. one tier down after a 4K failure).
    pub fn retry(
        &mut self,
        assistant: NodeId,
        request: Option<RequestParams>,
    ) -> Result<(), TreeError> {
        self.expect_role(assistant, Role::Assistant)?;
        let node = self.node_mut(assistant)?;
        let turn = node.turn.as_mut().ok_or(TreeError::NoSuchNode(assistant))?;
        if !turn.status.is_retryable() {
            return Err(TreeError::NotRetryable(assistant, turn.status));
        }
        turn.status = Status::Pending;
        turn.error = None;
        turn.received = None;
        if let Some(r) = request {
            turn.request = r;
        }
        node.parts.clear();
        Ok(())
    }

    fn expect_role(&self, id: NodeId, wanted: Role) -> Result<&Node, TreeError> {
        let n = self.node(id)?;
        if n.role == wanted {
            Ok(n)
        } else {
            Err(TreeError::WrongRole {
                id,
                wanted,
                actual: n.role,
            })
        }
    }

    fn pending_turn(&mut self, id: NodeId) -> Result<&mut Node, TreeError> {
        let node = self.node_mut(id)?;
        match node.turn.as_ref().map(|t| t.status) {
            Some(Status::Pending) => Ok(node),
            Some(s) => Err(TreeError::NotPending(id, s)),
            None => Err(TreeError::WrongRole {
                id,
                wanted: Role::Assistant,
                actual: node.role,
            }),
        }
    }

    fn settle(node: &mut Node, status: Status, outcome: Outcome) {
        if let Some(t) = node.turn.as_mut() {
            // `received` lives only while a paid picture is not stored: a
            // stored one keeps its link as the image's `remote`.
            if status != Status::Unstored {
                t.received = None;
            }
            t.status = status;
            t.request_id = outcome.request_id.or(t.request_id.take());
            t.latency_ms = outcome.latency_ms;
            t.cost_micro_usd = t.cost_micro_usd.saturating_add(outcome.cost_micro_usd);
            t.attempts = t.attempts.saturating_add(outcome.attempts);
        }
    }

    /// The result image arrived and is stored.
    pub fn complete(
        &mut self,
        id: NodeId,
        image: ImageRef,
        outcome: Outcome,
    ) -> Result<(), TreeError> {
        let node = self.pending_turn(id)?;
        node.parts = vec![Part::Image { image }];
        Self::settle(node, Status::Done, outcome);
        Ok(())
    }

    /// The model answered with text instead of an image.
    pub fn refuse(&mut self, id: NodeId, text: String, outcome: Outcome) -> Result<(), TreeError> {
        let node = self.pending_turn(id)?;
        node.parts = vec![Part::Text { text }];
        Self::settle(node, Status::Refused, outcome);
        Ok(())
    }

    pub fn fail(
        &mut self,
        id: NodeId,
        error: TurnError,
        outcome: Outcome,
    ) -> Result<(), TreeError> {
        self.settle_with_error(id, Status::Failed, error, None, outcome)
    }

    /// Settles a pending turn that produced no stored image.
    fn settle_with_error(
        &mut self,
        id: NodeId,
        status: Status,
        error: TurnError,
        received: Option<Received>,
        outcome: Outcome,
    ) -> Result<(), TreeError> {
        let node = self.pending_turn(id)?;
        Self::settle(node, status, outcome);
        if let Some(t) = node.turn.as_mut() {
            t.error = Some(error);
            if received.is_some() {
                t.received = received;
            }
        }
        Ok(())
    }

    /// The gateway answered with a picture: where it is and the request id
    /// are recorded at once (saved before the download and the store), so
    /// a crash from here on leaves an `unstored` turn, not a lost one.
    pub fn note_received(
        &mut self,
        id: NodeId,
        received: Received,
        request_id: Option<String>,
    ) -> Result<(), TreeError> {
        let node = self.pending_turn(id)?;
        if let Some(t) = node.turn.as_mut() {
            t.received = Some(received);
            t.request_id = request_id.or(t.request_id.take());
        }
        Ok(())
    }

    /// The picture arrived (billed) but could not be stored: `why` says
    /// what happened and what to do.
    pub fn hold(
        &mut self,
        id: NodeId,
        received: Received,
        why: TurnError,
        outcome: Outcome,
    ) -> Result<(), TreeError> {
        self.settle_with_error(id, Status::Unstored, why, Some(received), outcome)
    }

    /// An `unstored` turn's picture is now durable in the store.
    pub fn store_received(&mut self, id: NodeId, image: ImageRef) -> Result<(), TreeError> {
        let node = self.node_mut(id)?;
        match node.turn.as_mut() {
            Some(t) if t.status == Status::Unstored => {
                t.status = Status::Done;
                t.error = None;
                t.received = None;
            }
            Some(t) => return Err(TreeError::NotUnstored(id, t.status)),
            None => return Err(TreeError::NotUnstored(id, Status::Done)),
        }
        node.parts = vec![Part::Image { image }];
        Ok(())
    }

    /// What is known about an `unstored` turn's picture has grown (its
    /// hash, a spare copy).
    pub fn update_received(&mut self, id: NodeId, received: Received) -> Result<(), TreeError> {
        match self.node_mut(id)?.turn.as_mut() {
            Some(t) if t.status == Status::Unstored => {
                t.received = Some(received);
                Ok(())
            }
            Some(t) => Err(TreeError::NotUnstored(id, t.status)),
            None => Err(TreeError::NotUnstored(id, Status::Done)),
        }
    }

    /// Turns holding a paid picture that is not in the store yet.
    pub fn unstored(&self) -> Vec<NodeId> {
        self.nodes
            .values()
            .filter(|n| n.status() == Some(Status::Unstored))
            .map(|n| n.id)
            .collect()
    }

    pub fn cancel(&mut self, id: NodeId) -> Result<(), TreeError> {
        let node = self.pending_turn(id)?;
        Self::settle(node, Status::Cancelled, Outcome::default());
        Ok(())
    }

    /// After a load: whatever was pending when the app stopped is
    /// `interrupted`, or `unstored` when its picture had already arrived.
    /// Returns the ids it changed.
    pub fn interrupt_pending(&mut self) -> Vec<NodeId> {
        let mut changed = Vec::new();
        for node in self.nodes.values_mut() {
            if let Some(t) = node.turn.as_mut()
                && t.status == Status::Pending
            {
                // A picture had arrived: it was paid for, so the turn says
                // where it is rather than offering to send (and pay) again.
                if t.received.is_some() {
                    t.status = Status::Unstored;
                    t.error = Some(TurnError {
                        message: "pixloom stopped after the picture arrived, before it was stored. The call was billed.".to_owned(),
                        ..TurnError::default()
                    });
                } else {
                    t.status = Status::Interrupted;
                }
                changed.push(node.id);
            }
        }
        changed
    }

    /// Records the prepared upload copy of an image once it has been made,
    /// so it is not made again; `seal` proves who prepared it.
    pub fn set_upload_copy(&mut self, original_sha256: &str, upload: &Blob, seal: &str) {
        for node in self.nodes.values_mut() {
            for part in &mut node.parts {
                if let Part::Image { image } = part
                    && image.original.sha256 == original_sha256
                    && image.upload.is_none()
                {
                    image.upload = Some(upload.clone());
                    image.upload_seal = Some(seal.to_owned());
                }
            }
        }
    }

    // ----- navigation -------------------------------------------------------

    /// Selects `id` and remembers, at every ancestor, the child on its path.
    pub fn select(&mut self, id: NodeId) -> Result<(), TreeError> {
        let path = self.path_to(id)?;
        for pair in path.windows(2) {
            self.node_mut(pair[0])?.last_child = Some(pair[1]);
        }
        self.selected = Some(id);
        Ok(())
    }

    pub fn select_parent(&mut self) -> Result<bool, TreeError> {
        let Some(cur) = self.selected else {
            return Ok(false);
        };
        match self.node(cur)?.parent {
            Some(p) => {
                self.selected = Some(p);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Down to the remembered (else first) child.
    pub fn select_child(&mut self) -> Result<bool, TreeError> {
        let next = match self.selected {
            Some(cur) => {
                let n = self.node(cur)?;
                n.last_child.or_else(|| n.children.first().copied())
            }
            None => self.roots.first().copied(),
        };
        match next {
            Some(c) => {
                self.select(c)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// To the previous (`-1`) or next (`+1`) sibling; stays at the ends.
    pub fn select_sibling(&mut self, step: isize) -> Result<bool, TreeError> {
        let Some(cur) = self.selected else {
            return Ok(false);
        };
        let (sibs, at) = self.sibling_index(cur)?;
        let Some(&target) = at.checked_add_signed(step).and_then(|i| sibs.get(i)) else {
            return Ok(false);
        };
        self.select(target)?;
        Ok(true)
    }

    // ----- marking ----------------------------------------------------------

    pub fn set_label(&mut self, id: NodeId, label: Option<String>) -> Result<(), TreeError> {
        self.node_mut(id)?.label = label.filter(|l| !l.trim().is_empty());
        Ok(())
    }

    pub fn toggle_star(&mut self, id: NodeId) -> Result<bool, TreeError> {
        let n = self.node_mut(id)?;
        n.starred = !n.starred;
        Ok(n.starred)
    }

    /// Deletes `id` and everything below it; returns the removed ids (the
    /// caller cancels any that were pending). The selection moves to a
    /// sibling, else the parent.
    pub fn delete_subtree(&mut self, id: NodeId) -> Result<Vec<NodeId>, TreeError> {
        let removed = self.subtree(id)?;
        let parent = self.node(id)?.parent;
        let (sibs, at) = self.sibling_index(id)?;
        let neighbour = sibs
            .get(at + 1)
            .or_else(|| at.checked_sub(1).and_then(|i| sibs.get(i)))
            .copied();
        for r in &removed {
            self.nodes.remove(r);
        }
        match parent {
            Some(p) => {
                let pn = self.node_mut(p)?;
                pn.children.retain(|&c| c != id);
                if pn.last_child == Some(id) {
                    pn.last_child = None;
                }
            }
            None => self.roots.retain(|&r| r != id),
        }
        if self.selected.is_some_and(|s| removed.contains(&s)) {
            self.selected = None;
            if let Some(n) = neighbour.or(parent) {
                self.select(n)?;
            }
        }
        Ok(removed)
    }

    /// Checks every invariant; `Err` names the first one broken. Loading a
    /// file runs this, so a hand-edited file cannot make the app loop.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack: Vec<(Option<NodeId>, NodeId)> =
            self.roots.iter().map(|&r| (None, r)).collect();
        while let Some((parent, id)) = stack.pop() {
            let node = self
                .nodes
                .get(&id)
                .ok_or_else(|| format!("{id} is listed but missing"))?;
            if node.id != id {
                return Err(format!("{id} is stored as {}", node.id));
            }
            if node.parent != parent {
                return Err(format!("{id} names the wrong parent"));
            }
            if !seen.insert(id) {
                return Err(format!(
                    "{id} is reachable twice (a cycle or a shared child)"
                ));
            }
            if id.0 >= self.next_id {
                return Err(format!("{id} is not below next_id {}", self.next_id));
            }
            if let Some(lc) = node.last_child
                && !node.children.contains(&lc)
            {
                return Err(format!("{id} remembers {lc}, which is not its child"));
            }
            if (node.role == Role::Assistant) != node.turn.is_some() {
                return Err(format!("{id}: only assistant turns carry request data"));
            }
            stack.extend(node.children.iter().map(|&c| (Some(id), c)));
        }
        if seen.len() != self.nodes.len() {
            return Err(format!(
                "{} nodes cannot be reached from a root",
                self.nodes.len() - seen.len()
            ));
        }
        if let Some(s) = self.selected
            && !self.nodes.contains_key(&s)
        {
            return Err(format!("the selected node {s} does not exist"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
