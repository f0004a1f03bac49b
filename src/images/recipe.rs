//! The recipe a saved copy of a result carries, so the file explains
//! itself anywhere: the prompt, model, size, node and request id, and the
//! prompts of the path that led to it. Written as PNG text chunks the way
//! other image tools do: `parameters` (one readable block, as AUTOMATIC1111
//! and InvokeAI write it), `pixloom` (JSON for scripts, as ComfyUI keeps
//! its workflow), and the standard `Description` and `Software`.
//!
//! Text from the conversation (possibly someone else's file) is sanitised
//! and each prompt cut to [`MAX_PROMPT_CHARS`]; a path longer than
//! [`MAX_PATH_TURNS`] keeps its last turns and says how many it left out.

use serde::Serialize;

use crate::sanitize;
use pixloom_core::tree::{Conversation, NodeId, Role};

/// Characters kept of each prompt.
pub const MAX_PROMPT_CHARS: usize = 4000;
/// Turns of the path kept (the nearest to the image).
pub const MAX_PATH_TURNS: usize = 100;

/// Keyword and text of each chunk, in the order written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recipe(pub Vec<(&'static str, String)>);

#[derive(Serialize)]
struct Json<'a> {
    recipe: u32,
    conversation: String,
    node: String,
    prompt: String,
    model: Option<&'a str>,
    size: Option<String>,
    endpoint: Option<String>,
    request_id: Option<String>,
    created_at: Option<String>,
    width: u32,
    height: u32,
    sha256: &'a str,
    /// Earlier turns of the path left out (beyond `MAX_PATH_TURNS`).
    path_omitted: usize,
    path: Vec<Step>,
}

#[derive(Serialize)]
struct Step {
    node: String,
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<String>,
}

fn clean(s: &str) -> String {
    sanitize::truncate(&sanitize::text(s), MAX_PROMPT_CHARS).into_owned()
}

/// The recipe of `id`'s first image; empty when `id` has none.
pub fn recipe(conv: &Conversation, id: NodeId) -> Recipe {
    let Ok(node) = conv.node(id) else {
        return Recipe::default();
    };
    let Some(image) = node.images().next() else {
        return Recipe::default();
    };
    let path = conv.path_to(id).unwrap_or_default();
    // The prompt is the nearest user turn's (the node itself when it is one).
    let prompt = path
        .iter()
        .rev()
        .filter_map(|p| conv.node(*p).ok())
        .find(|n| n.role == Role::User)
        .map(|n| clean(&n.text()))
        .unwrap_or_default();
    let turn = node.turn.as_ref();
    let kept = path.len().min(MAX_PATH_TURNS);
    let steps = path[path.len() - kept..]
        .iter()
        .filter_map(|p| conv.node(*p).ok())
        .map(|n| Step {
            node: n.id.to_string(),
            role: if n.role == Role::User {
                "user"
            } else {
                "assistant"
            },
            prompt: (n.role == Role::User).then(|| clean(&n.text())),
            images: n.images().map(|i| i.original.sha256.clone()).collect(),
        })
        .collect();
    let title = clean(&conv.title);
    let json = Json {
        recipe: 1,
        conversation: title.clone(),
        node: id.to_string(),
        prompt: prompt.clone(),
        model: turn.map(|t| t.request.model.as_str()),
        size: turn.map(|t| t.request.size.to_string()),
        endpoint: turn.map(|t| t.request.endpoint.to_string()),
        request_id: turn.and_then(|t| t.request_id.as_deref()).map(clean),
        created_at: node
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .ok(),
        width: image.original.width,
        height: image.original.height,
        sha256: &image.original.sha256,
        path_omitted: path.len() - kept,
        path: steps,
    };
    let mut fields = vec![format!(
        "Size: {}x{}",
        image.original.width, image.original.height
    )];
    if let Some(t) = turn {
        fields.insert(0, format!("Model: {}", clean(&t.request.model)));
        fields.push(format!("Endpoint: {}", t.request.endpoint));
    }
    fields.push(format!("Node: {id}"));
    if let Some(r) = &json.request_id {
        fields.push(format!("Request id: {r}"));
    }
    fields.push(format!("Conversation: {title}"));
    let parameters = format!("{prompt}\n{}", fields.join(", "));
    Recipe(vec![
        ("Description", prompt),
        ("parameters", parameters),
        ("pixloom", serde_json::to_string(&json).unwrap_or_default()),
        ("Software", format!("pixloom {}", env!("CARGO_PKG_VERSION"))),
    ])
}

impl Recipe {
    /// `bytes` (a stored original) with the recipe in it, or why the copy
    /// goes out as it is: only PNG carries it (JPEG and WebP would need
    /// their metadata blocks rewritten; the original is kept exact instead).
    pub(crate) fn written_into(&self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        if self.0.is_empty() {
            return Err("no recipe for this image".to_owned());
        }
        match super::sniff::sniff(bytes) {
            super::sniff::Sniffed::Image(super::ImageKind::Png) => {
                super::pngtext::with_text(bytes, &self.0).map_err(|e| e.to_string())
            }
            super::sniff::Sniffed::Image(k) => Err(format!(
                "a {} is copied as it is: only a PNG copy carries its recipe",
                k.name()
            )),
            _ => Err("not a known image format".to_owned()),
        }
    }
}
