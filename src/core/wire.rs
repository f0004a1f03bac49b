//! Wire types: request bodies as the gateway's docs name them, and one
//! parser that turns every documented response shape into a [`Reply`].
//!
//! Pure: bytes in, values out. The HTTP client lives in `crate::gateway`.

use std::borrow::Cow;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::tree::Role;

// ----- requests --------------------------------------------------------------

/// `POST /v1/chat/completions`. Never carries `quality`, `n` or
/// `aspect_ratio` (the gateway rejects or over-bills them): the type has no
/// such fields.
#[derive(Debug, Serialize)]
pub struct ChatRequest<'a> {
    pub model: &'a str,
    pub messages: Vec<ChatMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// The model answers in one shot; streaming is never asked for.
    pub stream: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: Vec<ContentPart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    pub url: String,
}

/// `POST /v1/images/generations`.
#[derive(Debug, Serialize)]
pub struct GenerationsRequest<'a> {
    pub model: &'a str,
    pub prompt: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    pub response_format: &'static str,
}

/// The text fields of a `POST /v1/images/edits` multipart form; the files
/// go as repeated `image[]` parts after them, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditsFields {
    pub model: String,
    pub prompt: String,
    pub size: Option<String>,
    pub response_format: &'static str,
}

impl EditsFields {
    /// `(name, value)` pairs in the order they are sent.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("model", self.model.clone()),
            ("prompt", self.prompt.clone()),
        ];
        if let Some(s) = &self.size {
            v.push(("size", s.clone()));
        }
        v.push(("response_format", self.response_format.to_owned()));
        v
    }
}

/// The name of the repeated file field of the edits form.
pub const EDITS_IMAGE_FIELD: &str = "image[]";

// ----- responses -------------------------------------------------------------

/// What a successful HTTP exchange meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// One or more images (this gateway returns one per call).
    Images(Vec<ImagePayload>),
    /// Text and no image: the model declined. May still be billed.
    Refusal(String),
}

/// An image as the gateway handed it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImagePayload {
    /// A URL to download (expires after about 24 h).
    Url(String),
    /// Inline bytes, already decoded from base64.
    Bytes {
        mime: Option<String>,
        bytes: Vec<u8>,
    },
}

/// The reply was not any shape the gateway documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the gateway's reply could not be read: {reason}")]
pub struct MalformedReply {
    pub reason: String,
}

fn malformed(reason: impl Into<String>) -> MalformedReply {
    MalformedReply {
        reason: reason.into(),
    }
}

#[derive(Deserialize)]
struct RawReply<'a> {
    #[serde(borrow, default)]
    data: Option<Vec<RawDatum<'a>>>,
    #[serde(borrow, default)]
    choices: Option<Vec<RawChoice<'a>>>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawDatum<'a> {
    // Cow, not &str: a server may escape `/` as `\/`, which a borrowed
    // &str cannot hold.
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    b64_json: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawChoice<'a> {
    #[serde(borrow)]
    message: RawMessage<'a>,
}

#[derive(Deserialize)]
struct RawMessage<'a> {
    #[serde(borrow, default)]
    content: Option<RawContent<'a>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawContent<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Parts(Vec<serde_json::Value>),
}

/// Parses a 2xx body in any documented shape: `data[]` with `url` (read
/// first) or `b64_json` (with its `data:` prefix or bare), or the older
/// `choices[0].message.content` with a markdown image, a bare URL, a data
/// URL, or plain text (a refusal).
pub fn parse_reply(body: &[u8]) -> Result<Reply, MalformedReply> {
    let raw: RawReply<'_> = serde_json::from_slice(body).map_err(|e| {
        malformed(if e.is_eof() {
            format!("the JSON ends early (cut off after {} bytes)", body.len())
        } else {
            format!("not valid JSON ({e})")
        })
    })?;
    if let Some(err) = raw.error {
        let msg = error_message_from_value(&err).unwrap_or_else(|| "an error object".into());
        return Err(malformed(format!(
            "an error came back with a success status: {msg}"
        )));
    }
    if let Some(data) = raw.data {
        let mut images = Vec::with_capacity(data.len());
        for d in data {
            images.push(payload_from_datum(d)?);
        }
        if images.is_empty() {
            return Err(malformed("`data` is empty: no image came back"));
        }
        return Ok(Reply::Images(images));
    }
    if let Some(choices) = raw.choices {
        let choice = choices
            .into_iter()
            .next()
            .ok_or_else(|| malformed("`choices` is empty"))?;
        let text: String = match choice.message.content {
            Some(RawContent::Text(t)) => t.into_owned(),
            Some(RawContent::Parts(parts)) => {
                // Some gateways answer with content parts, like the request.
                let mut out = String::new();
                for p in parts {
                    if let Some(u) = p.pointer("/image_url/url").and_then(|v| v.as_str()) {
                        out.push_str(u);
                        out.push('\n');
                    } else if let Some(t) = p.get("text").and_then(|v| v.as_str()) {
                        out.push_str(t);
                        out.push('\n');
                    }
                }
                out
            }
            None => String::new(),
        };
        return parse_content(&text);
    }
    Err(malformed("neither `data` nor `choices` is present"))
}

fn payload_from_datum(d: RawDatum<'_>) -> Result<ImagePayload, MalformedReply> {
    if let Some(url) = d.url.filter(|u| !u.trim().is_empty()) {
        let url = url.trim();
        if url.starts_with("data:") {
            return decode_data_url(url);
        }
        return Ok(ImagePayload::Url(url.to_owned()));
    }
    match d.b64_json.filter(|b| !b.trim().is_empty()) {
        Some(b) => decode_data_url(b.trim()),
        None => Err(malformed("a `data` entry has neither `url` nor `b64_json`")),
    }
}

/// Splits `data:image/png;base64,AAAA` into its mime type and payload; a
/// bare base64 string has no mime type. Only one prefix is ever removed.
pub fn split_data_url(s: &str) -> (Option<&str>, &str) {
    match s
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(','))
    {
        Some((meta, payload)) => {
            let mime = meta.split(';').next().filter(|m| !m.is_empty());
            (mime, payload)
        }
        None => (None, s),
    }
}

fn decode_data_url(s: &str) -> Result<ImagePayload, MalformedReply> {
    let (mime, payload) = split_data_url(s);
    let bytes = decode_base64(payload)?;
    Ok(ImagePayload::Bytes {
        mime: mime.map(str::to_owned),
        bytes,
    })
}

fn decode_base64(payload: &str) -> Result<Vec<u8>, MalformedReply> {
    let engine = &base64::engine::general_purpose::STANDARD;
    let trimmed = payload.trim();
    match engine.decode(trimmed) {
        Ok(b) => Ok(b),
        Err(_) => {
            // Tolerate line breaks and missing padding before giving up.
            let cleaned: String = trimmed
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(cleaned.trim_end_matches('='))
                .map_err(|e| malformed(format!("the base64 image does not decode ({e})")))
        }
    }
}

/// Finds the image in an older-style `content` string, else calls the text a
/// refusal.
fn parse_content(text: &str) -> Result<Reply, MalformedReply> {
    if let Some(at) = text.find("data:image/") {
        let end = text[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ']'))
            .map_or(text.len(), |e| at + e);
        return Ok(Reply::Images(vec![decode_data_url(&text[at..end])?]));
    }
    if let Some(url) = find_url(text) {
        return Ok(Reply::Images(vec![ImagePayload::Url(url.to_owned())]));
    }
    let t = text.trim();
    if t.is_empty() {
        return Err(malformed(
            "the reply's content is empty: no image and no text",
        ));
    }
    Ok(Reply::Refusal(t.to_owned()))
}

/// The image URL in text: a markdown image link first, then a URL that ends
/// in an image extension, then any http(s) URL.
fn find_url(text: &str) -> Option<&str> {
    let urls: Vec<&str> = url_candidates(text).collect();
    if let Some(at) = text.find("](") {
        let rest = &text[at + 2..];
        let end = rest.find([')', ' ', '"']).unwrap_or(rest.len());
        let u = &rest[..end];
        if u.starts_with("http://") || u.starts_with("https://") {
            return Some(u);
        }
    }
    let is_image = |u: &&str| {
        let path = u.split(['?', '#']).next().unwrap_or(u).to_ascii_lowercase();
        [".png", ".jpg", ".jpeg", ".webp"]
            .iter()
            .any(|e| path.ends_with(e))
    };
    urls.iter()
        .copied()
        .find(is_image)
        .or_else(|| urls.first().copied())
}

fn url_candidates(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let at = rest
            .find("https://")
            .into_iter()
            .chain(rest.find("http://"))
            .min()?;
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ']' | '<'))
            .unwrap_or(tail.len());
        let url = tail[..end].trim_end_matches(['.', ',', ';']);
        rest = &tail[end..];
        Some(url)
    })
}

/// The human message in an error body: `{"error":{"message":…}}`,
/// `{"error":"…"}`, `{"message":…}`, or `None` for anything else (an HTML
/// page, say).
pub fn error_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    error_message_from_value(v.get("error").unwrap_or(&v))
}

fn error_message_from_value(v: &serde_json::Value) -> Option<String> {
    if let Some(s) = v.as_str() {
        return Some(s.to_owned());
    }
    let msg = v.get("message").and_then(|m| m.as_str())?;
    let kind = v
        .get("type")
        .or_else(|| v.get("code"))
        .and_then(|k| k.as_str());
    Some(match kind {
        Some(k) if !msg.contains(k) => format!("{msg} ({k})"),
        _ => msg.to_owned(),
    })
}

#[cfg(test)]
mod tests;
