//! History building: the path root → a pending assistant turn becomes the
//! request for that turn. Pure: the clock comes in as `now`, images stay
//! references (the edge reads their bytes).
//!
//! Rules:
//! - Only the path is sent; sibling branches never leak in.
//! - Earlier assistant turns that produced an image are sent as assistant
//!   messages carrying that image, so a refinement sees what it refines.
//!   Assistant turns without an image (failed, refused, cancelled) are left
//!   out: they carry nothing the model can use.
//! - An [`ImageBudget`] keeps requests small: the current turn's references
//!   always go, then the image being refined, then earlier images newest
//!   first, up to `max_images` in all. An image left out is replaced by a
//!   short text note so the turn structure stays readable to the model.
//! - How each image travels is decided by [`present_image`] alone.

use std::collections::HashSet;

use time::{Duration, OffsetDateTime};

use super::model;
use super::tree::{
    Conversation, Endpoint, ImageRef, Node, NodeId, Part, RequestParams, Role, Status, TreeError,
};

/// How many images one request may carry in all. The current turn's own
/// references are always sent, even past it; earlier images fill what is
/// left. Configurable (`image_budget` in the config file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageBudget {
    pub max_images: usize,
}

impl Default for ImageBudget {
    fn default() -> Self {
        ImageBudget { max_images: 4 }
    }
}

/// A gateway URL is reused only while it has at least this long to live: a
/// request can take minutes, and the gateway must still fetch it.
pub(crate) const URL_SAFETY_MARGIN: Duration = Duration::hours(1);

/// How one image travels in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageForm {
    /// The gateway's own URL, still alive: no upload needed.
    RemoteUrl(String),
    /// A data URL of the local copy (the prepared ≤ 1.5 MB file).
    LocalCopy,
}

/// Decides how an earlier image is presented to the gateway. This is the one
/// place to change if the gateway comes to prefer another form: the gateway's
/// URL while it has more than [`URL_SAFETY_MARGIN`] left, else the local
/// copy as a data URL (result URLs die after about 24 h; a conversation
/// replayed later, or on another machine, always has the local copy).
pub(crate) fn present_image(image: &ImageRef, now: OffsetDateTime) -> ImageForm {
    match &image.remote {
        Some(r) if r.expires_at - now > URL_SAFETY_MARGIN => ImageForm::RemoteUrl(r.url.clone()),
        _ => ImageForm::LocalCopy,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutImage {
    pub image: ImageRef,
    pub form: ImageForm,
}

// A request holds a handful of parts: boxing the image saves nothing real.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutPart {
    Text(String),
    Image(OutImage),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutMessage {
    pub role: Role,
    pub parts: Vec<OutPart>,
}

/// Everything needed to send one assistant turn, minus bytes and transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnRequest {
    pub node: NodeId,
    pub params: RequestParams,
    pub body: RequestBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestBody {
    /// `/v1/chat/completions`: the path as messages.
    Chat {
        messages: Vec<OutMessage>,
        size: Option<String>,
    },
    /// `/v1/images/generations`: nothing to work from.
    Generations {
        prompt: String,
        size: Option<String>,
    },
    /// `/v1/images/edits`: the image being refined first, then the current
    /// turn's references, uploaded in this order as `image[]`.
    Edits {
        prompt: String,
        images: Vec<ImageRef>,
        size: Option<String>,
    },
}

impl RequestBody {
    /// The API path for this body.
    pub fn path(&self) -> &'static str {
        match self {
            RequestBody::Chat { .. } => "/v1/chat/completions",
            RequestBody::Generations { .. } => "/v1/images/generations",
            RequestBody::Edits { .. } => "/v1/images/edits",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error("{0} is not a pending assistant turn under a user turn")]
    NotARequest(NodeId),
    #[error("the turn has no prompt: write what you want to see")]
    NoPrompt,
}

/// Note put where an image was left out to respect the budget.
pub(crate) const OMITTED_IMAGE_NOTE: &str = "[an earlier image, not resent]";

/// Builds the request for the pending assistant turn `node`.
pub fn build_request(
    conv: &Conversation,
    node: NodeId,
    budget: ImageBudget,
    now: OffsetDateTime,
) -> Result<TurnRequest, HistoryError> {
    let assistant = conv.node(node)?;
    let (params, user_id) = match (&assistant.turn, assistant.parent) {
        (Some(t), Some(parent)) if t.status == Status::Pending => (t.request.clone(), parent),
        _ => return Err(HistoryError::NotARequest(node)),
    };
    let user = conv.node(user_id)?;
    if user.role != Role::User {
        return Err(HistoryError::NotARequest(node));
    }
    let prompt_text = user.text();
    if prompt_text.trim().is_empty() {
        return Err(HistoryError::NoPrompt);
    }
    let prompt = model::prompt_for(&params.model, &prompt_text, params.size);
    let size = model::size_field(&params.model, params.size);

    let body = match params.endpoint {
        Endpoint::Images => {
            let refined = match user.parent {
                Some(p) => result_image(conv.node(p)?),
                None => None,
            };
            let images: Vec<ImageRef> = refined.into_iter().chain(user.images()).cloned().collect();
            if images.is_empty() {
                RequestBody::Generations { prompt, size }
            } else {
                RequestBody::Edits {
                    prompt,
                    images,
                    size,
                }
            }
        }
        Endpoint::Chat => {
            let mut path = Vec::new();
            for id in conv.path_to(user_id)? {
                let n = conv.node(id)?;
                if is_history(n) {
                    path.push(n);
                }
            }
            let keep = choose_images(&path, budget);
            let messages = path
                .iter()
                .map(|n| {
                    let prompt = (n.id == user_id).then_some(prompt.as_str());
                    message(n, prompt, &keep, now)
                })
                .collect();
            RequestBody::Chat { messages, size }
        }
    };
    Ok(TurnRequest { node, params, body })
}

/// One turn as a message. The current turn (given its `prompt`) sends the
/// prompt once, first, then its images; an earlier turn keeps its parts in
/// order, images outside `keep` replaced by the note.
fn message(
    n: &Node,
    prompt: Option<&str>,
    keep: &HashSet<(NodeId, usize)>,
    now: OffsetDateTime,
) -> OutMessage {
    let mut parts: Vec<OutPart> = prompt
        .map(|p| OutPart::Text(p.to_owned()))
        .into_iter()
        .collect();
    for (i, part) in n.parts.iter().enumerate() {
        parts.push(match part {
            Part::Text { .. } if prompt.is_some() => continue,
            Part::Text { text } => OutPart::Text(text.clone()),
            Part::Image { image } if keep.contains(&(n.id, i)) => OutPart::Image(OutImage {
                image: image.clone(),
                form: present_image(image, now),
            }),
            Part::Image { .. } => OutPart::Text(OMITTED_IMAGE_NOTE.to_owned()),
        });
    }
    OutMessage {
        role: n.role,
        parts,
    }
}

/// The image a finished assistant turn made; `None` for any other turn.
fn result_image(n: &Node) -> Option<&ImageRef> {
    if n.role == Role::Assistant && n.status() == Some(Status::Done) {
        n.images().next()
    } else {
        None
    }
}

/// Whether a turn on the path is part of the history: user and system
/// turns always; assistant turns only with the image they made (failed,
/// refused, cancelled and unfinished turns carry nothing the model can use).
fn is_history(n: &Node) -> bool {
    n.role != Role::Assistant || result_image(n).is_some()
}

/// Which `(node, part index)` images on `path` (root first, the current
/// turn last) fit the budget: the current turn's references always, then
/// the rest newest first, so the image being refined (the current turn's
/// parent's) comes first of those.
fn choose_images(path: &[&Node], budget: ImageBudget) -> HashSet<(NodeId, usize)> {
    let image_parts = |n: &Node| {
        let id = n.id;
        n.parts
            .iter()
            .enumerate()
            .filter(|(_, p)| matches!(p, Part::Image { .. }))
            .map(move |(i, _)| (id, i))
            .collect::<Vec<_>>()
    };
    let Some((current, earlier)) = path.split_last() else {
        return HashSet::new();
    };
    let mut keep: HashSet<_> = image_parts(current).into_iter().collect();
    let room = budget.max_images.saturating_sub(keep.len());
    keep.extend(
        earlier
            .iter()
            .rev()
            .flat_map(|n| image_parts(n).into_iter().rev())
            .take(room),
    );
    keep
}

#[cfg(test)]
mod tests;
