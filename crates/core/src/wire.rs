//! Wire types: request bodies as the gateway's docs name them, and one
//! parser that turns every documented response shape into a [`Reply`].
//!
//! Pure: bytes in, values out. The HTTP client lives in `crate::gateway`.

use std::borrow::Cow;

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
    /// Always written as parts; read from a plain string too, the way the
    /// gateway's docs write text-only turns.
    #[serde(deserialize_with = "content_parts")]
    pub content: Vec<ContentPart>,
}

fn content_parts<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ContentPart>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Content {
        Text(String),
        Parts(Vec<ContentPart>),
    }
    Ok(match Content::deserialize(d)? {
        Content::Text(text) => vec![ContentPart::Text { text }],
        Content::Parts(parts) => parts,
    })
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
    #[serde(borrow, default, deserialize_with = "borrowed_if_possible")]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed_if_possible")]
    b64_json: Option<Cow<'a, str>>,
}

/// An optional string borrowed from the body when it has no escapes: serde
/// borrows a `Cow` only when it is the field's own type, never inside an
/// `Option`, and a 4K image is 17 MB of base64 not worth copying.
fn borrowed_if_possible<'de, D>(d: D) -> Result<Option<Cow<'de, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Text<'de>>::deserialize(d)?.map(|t| t.0))
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
    let raw: RawReply<'_> = serde_json::from_slice(body).map_err(|e| unreadable(body, &e))?;
    if let Some(err) = raw.error {
        return Err(malformed(match error_message_from_value(&err) {
            Some(msg) => format!("an error came back with a success status: {msg}"),
            None => "an error came back with a success status and no message".to_owned(),
        }));
    }
    if let Some(data) = raw.data {
        let images = data
            .into_iter()
            .map(payload_from_datum)
            .collect::<Result<Vec<_>, _>>()?;
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
        return match choice.message.content {
            Some(RawContent::Text(t)) => parse_content(&t),
            Some(RawContent::Parts(parts)) => parse_content_parts(&parts),
            None => parse_content(""),
        };
    }
    Err(malformed("neither `data` nor `choices` is present"))
}

/// Why a body is not a reply at all, quoting its start so the user sees
/// what came back instead (a proxy's HTML page, a bare error line).
fn unreadable(body: &[u8], e: &serde_json::Error) -> MalformedReply {
    let start = body.trim_ascii_start();
    // Enough to quote from; an error page is read no further.
    let head = || String::from_utf8_lossy(&start[..start.len().min(64 * 1024)]);
    malformed(match start.first() {
        None => "the body is empty".to_owned(),
        Some(b'<') => format!(
            "an HTML page came back instead of JSON: {}",
            html_summary(&head())
        ),
        _ if e.is_eof() => format!(
            "the JSON ends early: the reply was cut off after {} bytes",
            body.len()
        ),
        Some(b) if *b != b'{' && e.is_data() => {
            format!("the reply is JSON but not an object: {}", excerpt(&head()))
        }
        _ if e.is_syntax() => format!("not JSON ({e}): {}", excerpt(&head())),
        _ => format!("JSON, but not a reply the gateway documents ({e})"),
    })
}

/// The first hundred or so characters of `text`, whitespace collapsed.
fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 100;
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match words.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &words[..cut]),
        None => words,
    }
}

/// An HTML page's title, else its text.
fn html_summary(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let title = lower.find("<title").and_then(|open| {
        let start = open + lower[open..].find('>')? + 1;
        let end = start + lower[start..].find("</title")?;
        Some(&html[start..end])
    });
    match title.filter(|t| !t.trim().is_empty()) {
        Some(t) => excerpt(t),
        None => excerpt(&strip_tags(html)),
    }
}

/// The text of an HTML page, each tag replaced by a space.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn payload_from_datum(d: RawDatum<'_>) -> Result<ImagePayload, MalformedReply> {
    match (
        non_blank(d.url.as_deref()),
        non_blank(d.b64_json.as_deref()),
    ) {
        (Some(url), _) => payload_from_url(url),
        (None, Some(b64)) => decode_data_url(b64),
        (None, None) => Err(malformed("a `data` entry has neither `url` nor `b64_json`")),
    }
}

/// `s` trimmed, unless that leaves nothing.
fn non_blank(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// An image given by URL: a data URL carries the bytes themselves.
fn payload_from_url(url: &str) -> Result<ImagePayload, MalformedReply> {
    if url.starts_with("data:") {
        decode_data_url(url)
    } else {
        Ok(ImagePayload::Url(url.to_owned()))
    }
}

/// Splits `data:image/png;base64,AAAA` into its mime type and payload; a
/// bare base64 string has no mime type. Only one prefix is ever removed.
pub(crate) fn split_data_url(s: &str) -> (Option<&str>, &str) {
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
    if bytes.is_empty() {
        return Err(malformed("the base64 image is empty"));
    }
    Ok(ImagePayload::Bytes {
        mime: mime.map(str::to_owned),
        bytes,
    })
}

/// Base64 as forgiving as browsers are: padding optional, stray bits in the
/// last character allowed (ASCII white space is removed first).
const FORGIVING: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// `payload` decoded the way browsers decode a data URL (the WHATWG
/// forgiving-base64 rules): line breaks and spaces skipped, padding
/// optional, but when present only up to a multiple of four characters.
fn forgiving_decode(payload: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let compact: std::borrow::Cow<'_, [u8]> = if payload.bytes().any(|b| b.is_ascii_whitespace()) {
        payload
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect::<Vec<u8>>()
            .into()
    } else {
        payload.as_bytes().into()
    };
    if compact.contains(&b'=') && !compact.len().is_multiple_of(4) {
        return None;
    }
    FORGIVING.decode(compact).ok()
}

fn decode_base64(payload: &str) -> Result<Vec<u8>, MalformedReply> {
    forgiving_decode(payload).ok_or_else(|| {
        // The scalar decoder only to say where it goes wrong.
        use base64::Engine as _;
        let detail = base64::engine::general_purpose::STANDARD
            .decode(payload.trim())
            .err()
            .map_or_else(|| "not base64".to_owned(), |e| e.to_string());
        malformed(format!("the base64 image does not decode ({detail})"))
    })
}

/// Content given as parts, like a request's: an image part is the image;
/// else the text parts are read as one content string.
fn parse_content_parts(parts: &[serde_json::Value]) -> Result<Reply, MalformedReply> {
    let image = parts.iter().find_map(|p| {
        p.pointer("/image_url/url")
            .or_else(|| p.get("image_url"))
            .and_then(serde_json::Value::as_str)
    });
    if let Some(url) = image {
        return Ok(Reply::Images(vec![payload_from_url(url.trim())?]));
    }
    let texts: Vec<&str> = parts
        .iter()
        .filter_map(|p| p.get("text").and_then(serde_json::Value::as_str))
        .collect();
    parse_content(&texts.join("\n"))
}

/// Finds the image in an older-style `content` string, else calls the text
/// a refusal.
fn parse_content(text: &str) -> Result<Reply, MalformedReply> {
    // A gateway that escapes its JSON twice leaves `https:\/\/…` in the text.
    let text = text.replace("\\/", "/");
    if let Some(image) = image_in_text(&text) {
        return Ok(Reply::Images(vec![image?]));
    }
    let t = text.trim();
    if t.is_empty() {
        return Err(malformed(
            "the reply's content is empty: no image and no text",
        ));
    }
    Ok(Reply::Refusal(t.to_owned()))
}

/// The image in content text, in order of certainty: a data URL; a
/// markdown image; a URL whose path ends in an image extension; a URL that
/// is the whole content. Other links (a refusal citing a policy page, say)
/// are text.
fn image_in_text(text: &str) -> Option<Result<ImagePayload, MalformedReply>> {
    if let Some(at) = text.find("data:image/") {
        // The header up to its comma, then base64 characters only.
        let data = &text[at..];
        let payload = data.find(',').map_or(data.len(), |comma| comma + 1);
        let end = data[payload..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
            .map_or(data.len(), |e| payload + e);
        return Some(decode_data_url(&data[..end]));
    }
    let url = markdown_image(text)
        .or_else(|| urls(text).find(|u| has_image_extension(u)))
        .or_else(|| urls(text).next().filter(|u| *u == text.trim()))?;
    Some(Ok(ImagePayload::Url(url.to_owned())))
}

/// The http(s) target of the first markdown image `![alt](url)`.
fn markdown_image(text: &str) -> Option<&str> {
    text.match_indices("![").find_map(|(at, _)| {
        let rest = &text[at..];
        let target = &rest[rest.find("](")? + 2..];
        urls(target).next().filter(|u| target.starts_with(u))
    })
}

/// Every http(s) URL in `text`, ending where URL characters end (so a
/// closing bracket, a quote or CJK punctuation is not part of it), without
/// trailing sentence punctuation.
fn urls(text: &str) -> impl Iterator<Item = &str> {
    let is_url_char = |c: char| {
        c.is_ascii_graphic()
            && !matches!(
                c,
                '"' | '\'' | '<' | '>' | '(' | ')' | '[' | ']' | '{' | '}' | '\\' | '^' | '`' | '|'
            )
    };
    text.match_indices("http").filter_map(move |(at, _)| {
        let tail = &text[at..];
        if !(tail.starts_with("https://") || tail.starts_with("http://")) {
            return None;
        }
        let end = tail.find(|c: char| !is_url_char(c)).unwrap_or(tail.len());
        Some(tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?']))
    })
}

fn has_image_extension(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg" | "webp"))
}

/// The human message in an error body: `{"error":{"message":…}}`,
/// `{"error":"…"}`, `{"message":…}`, or `None` for anything else (an HTML
/// page, say, or an error without a message).
pub fn error_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    error_message_from_value(v.get("error").unwrap_or(&v))
}

/// The message of an error value, with its `type` (else `code`) when the
/// message does not already say it.
fn error_message_from_value(v: &serde_json::Value) -> Option<String> {
    let text = |key: &str| non_blank(v.get(key).and_then(serde_json::Value::as_str));
    if let Some(s) = v.as_str() {
        return non_blank(Some(s)).map(str::to_owned);
    }
    let msg = text("message")?;
    Some(match text("type").or_else(|| text("code")) {
        Some(kind) if !msg.contains(kind) => format!("{msg} ({kind})"),
        _ => msg.to_owned(),
    })
}

#[cfg(test)]
mod tests;
