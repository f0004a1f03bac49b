//! The nodes of the tree: ids, roles, turns, image references and the
//! states a turn goes through. Plain data with serde; the operations on
//! them are `Conversation`'s (`tree.rs`).

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::size::SizeSpec;

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
    pub(super) fn a_turn(self) -> &'static str {
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
    pub(crate) fn is_retryable(self) -> bool {
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
