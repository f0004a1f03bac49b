//! Request validation, as the gateway does it: from the raw JSON value or
//! multipart parts (never through the client's wire types), so the fake
//! checks the client from outside. A valid request becomes a [`Job`].

use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value};

use super::faults::{Fault, Shape};
use super::refimage::{check_image, resolve_image_url};
use super::request::{ApiError, Ctx};
use pixloom_core::model::{ALL_MODEL, KNOWN_MODELS};
use pixloom_core::size::{Size, SizeSpec};

/// The three API endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Chat,
    Generations,
    Edits,
}

/// `response_format` on the images endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Url,
    B64Json,
}

impl Endpoint {
    /// The documented default shape: chat and edits answer with a URL,
    /// generations with `b64_json`; `response_format` wins when given.
    pub(crate) fn default_shape(self, format: Option<Format>) -> Shape {
        match (format, self) {
            (Some(Format::Url), _) => Shape::DataUrl,
            (Some(Format::B64Json), _) => Shape::DataB64,
            (None, Endpoint::Generations) => Shape::DataB64,
            (None, Endpoint::Chat | Endpoint::Edits) => Shape::DataUrl,
        }
    }
}

/// One part of a multipart form.
#[derive(Debug, Clone)]
pub(crate) struct FormPart {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub(crate) data: Bytes,
}

/// Per-request steering written into the prompt: `[fake:refuse]`,
/// `[fake:fault=500]`, `[fake:shape=chat-markdown]`, `[fake:latency=0.2]`,
/// `[fake:hold]`, `[fake:disc=RRGGBB]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Directives {
    pub(crate) fault: Option<Fault>,
    pub shape: Option<Shape>,
    pub latency: Option<Duration>,
    /// Answer only once `POST /__fake/release` came: a test does something
    /// while the request is surely in flight, without racing a timer.
    pub hold: bool,
    /// Draw a disc of exactly this colour on white instead of the prompt's
    /// picture: a known picture a screenshot can find by its colour.
    pub disc: Option<[u8; 3]>,
}

/// What the request asks for in size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    Exact(Size),
    Auto,
    /// `gpt-image-2-all`: dimensions come from the prompt.
    FromPrompt,
}

/// A valid request, ready to be answered.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub model: String,
    /// The prompt without directives: what the picture follows.
    pub prompt: String,
    pub(crate) want: Want,
    pub(crate) format: Option<Format>,
    /// The image the result derives from, if the request carries any.
    pub(crate) reference: Option<Bytes>,
    pub(crate) directives: Directives,
}

const FORBIDDEN: [(&str, &str); 3] = [
    (
        "quality",
        "`quality` is not supported by this model: do not send it.",
    ),
    (
        "n",
        "`n` is not supported: one image per call (n is billed n times). Make parallel calls instead.",
    ),
    (
        "aspect_ratio",
        "`aspect_ratio` is not supported: the ratio comes from `size`.",
    ),
];

fn check_fields<'a>(
    names: impl Iterator<Item = &'a str>,
    allowed: &[&str],
) -> Result<(), ApiError> {
    let names: Vec<&str> = names.collect();
    for (field, why) in FORBIDDEN {
        if names.contains(&field) {
            return Err(ApiError::bad(why)
                .param(field)
                .code("unsupported_parameter"));
        }
    }
    if let Some(extra) = names.iter().find(|n| !allowed.contains(n)) {
        return Err(
            ApiError::bad(format!("Unrecognized request argument supplied: {extra}"))
                .param(extra)
                .code("unknown_parameter"),
        );
    }
    Ok(())
}

fn check_model(model: Option<&str>) -> Result<String, ApiError> {
    let model =
        model.ok_or_else(|| ApiError::bad("you must provide a model parameter").param("model"))?;
    if !KNOWN_MODELS.contains(&model) {
        return Err(ApiError::bad(format!(
            "The model `{model}` does not exist or you do not have access to it (use {}).",
            KNOWN_MODELS.join(" or ")
        ))
        .param("model")
        .code("model_not_found"));
    }
    Ok(model.to_owned())
}

fn check_size(size: Option<&str>, model: &str) -> Result<Want, ApiError> {
    if model == ALL_MODEL {
        return match size {
            None => Ok(Want::FromPrompt),
            Some(_) => Err(ApiError::bad(format!(
                "{ALL_MODEL} takes no `size` field: describe the dimensions in the prompt."
            ))
            .param("size")
            .code("unsupported_parameter")),
        };
    }
    match size.map(SizeSpec::from_str) {
        None | Some(Ok(SizeSpec::Auto)) => Ok(Want::Auto),
        Some(Ok(SizeSpec::Exact(s))) => Ok(Want::Exact(s)),
        Some(Err(e)) => Err(ApiError::bad(format!(
            "Invalid size: {e}. Use `auto` or one of the 30 sizes, WIDTHxHEIGHT with a lowercase x."
        ))
        .param("size")
        .code("invalid_size")),
    }
}

fn check_format(v: Option<&str>) -> Result<Option<Format>, ApiError> {
    match v {
        None => Ok(None),
        Some("url") => Ok(Some(Format::Url)),
        Some("b64_json") => Ok(Some(Format::B64Json)),
        Some(other) => Err(ApiError::bad(format!(
            "Invalid response_format {other:?}: use `url` or `b64_json`."
        ))
        .param("response_format")),
    }
}

fn opt_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ApiError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad(format!("`{key}` must be a string")).param(key)),
    }
}

/// `RRGGBB` (six hex digits) as bytes.
fn parse_rgb(hex: &str) -> Option<[u8; 3]> {
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// Strips `[fake:…]` directives from `text`, returning the rest.
pub(crate) fn take_directives(text: &str, into: &mut Directives) -> Result<String, ApiError> {
    let mut rest = String::with_capacity(text.len());
    let mut tail = text;
    while let Some(at) = tail.find("[fake:") {
        rest.push_str(&tail[..at]);
        let after = &tail[at + "[fake:".len()..];
        let end = after
            .find(']')
            .ok_or_else(|| ApiError::bad("unterminated [fake:…] directive"))?;
        let body = after[..end].trim();
        let (key, value) = body.split_once('=').unwrap_or((body, ""));
        let bad = |why: String| ApiError::bad(format!("fake directive [fake:{body}]: {why}"));
        match key.trim() {
            "refuse" => into.fault = Some(Fault::Refusal),
            "hold" => into.hold = true,
            "disc" => {
                into.disc = Some(parse_rgb(value.trim()).ok_or_else(|| bad("not RRGGBB".into()))?)
            }
            "fault" => into.fault = Some(value.parse().map_err(|e| bad(format!("{e}")))?),
            "shape" => into.shape = Some(value.parse().map_err(|e| bad(format!("{e}")))?),
            "latency" => {
                let secs: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| bad("not a number".into()))?;
                into.latency =
                    Some(Duration::try_from_secs_f64(secs).map_err(|e| bad(format!("{e}")))?);
            }
            other => return Err(bad(format!("unknown directive {other:?}"))),
        }
        tail = &after[end + 1..];
    }
    rest.push_str(tail);
    Ok(rest.trim().to_owned())
}

/// `POST /v1/chat/completions`.
pub(crate) fn chat(body: &Value, ctx: &Ctx<'_>) -> Result<Job, ApiError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::bad("the body must be a JSON object"))?;
    check_fields(
        obj.keys().map(String::as_str),
        &[
            "model",
            "messages",
            "size",
            "stream",
            "temperature",
            "response_format",
            "user",
        ],
    )?;
    let model = check_model(opt_str(obj, "model")?)?;
    match obj.get("stream") {
        None | Some(Value::Bool(false)) | Some(Value::Null) => {}
        Some(Value::Bool(true)) => {
            return Err(ApiError::bad(
                "stream=true is not supported: this model answers in one shot.",
            )
            .param("stream")
            .code("unsupported_parameter"));
        }
        Some(_) => return Err(ApiError::bad("`stream` must be a boolean").param("stream")),
    }
    if obj
        .get("temperature")
        .is_some_and(|t| !t.as_f64().is_some_and(|t| (0.0..=2.0).contains(&t)))
    {
        return Err(
            ApiError::bad("`temperature` must be a number from 0 to 2").param("temperature")
        );
    }
    let want = check_size(opt_str(obj, "size")?, &model)?;
    let format = check_format(opt_str(obj, "response_format")?)?;
    let messages = match obj.get("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m,
        Some(Value::Array(_)) => {
            return Err(ApiError::bad("`messages` must not be empty").param("messages"));
        }
        None => return Err(ApiError::bad("you must provide `messages`").param("messages")),
        Some(_) => return Err(ApiError::bad("`messages` must be an array").param("messages")),
    };
    // Per message: role, its texts, its images (resolved and checked).
    let mut parsed: Vec<(&str, Vec<&str>, Vec<Bytes>)> = Vec::with_capacity(messages.len());
    for (i, m) in messages.iter().enumerate() {
        let at = format!("messages[{i}]");
        let m = m
            .as_object()
            .ok_or_else(|| ApiError::bad(format!("{at} must be an object")).param(&at))?;
        let role = match m.get("role").and_then(Value::as_str) {
            Some(r @ ("system" | "user" | "assistant")) => r,
            Some(r) => {
                return Err(ApiError::bad(format!(
                    "{at}.role {r:?} is not supported (system, user or assistant)"
                ))
                .param(&format!("{at}.role")));
            }
            None => {
                return Err(
                    ApiError::bad(format!("{at}.role is missing")).param(&format!("{at}.role"))
                );
            }
        };
        let mut texts = Vec::new();
        let mut images = Vec::new();
        match m.get("content") {
            Some(Value::String(s)) => texts.push(s.as_str()),
            Some(Value::Array(parts)) => {
                for (j, p) in parts.iter().enumerate() {
                    let pat = format!("{at}.content[{j}]");
                    let bad = |why: &str| ApiError::bad(format!("{pat}: {why}")).param(&pat);
                    match p.get("type").and_then(Value::as_str) {
                        Some("text") => texts.push(
                            p.get("text")
                                .and_then(Value::as_str)
                                .ok_or_else(|| bad("a text part needs a string `text`"))?,
                        ),
                        Some("image_url") => {
                            let url = p
                                .pointer("/image_url/url")
                                .and_then(Value::as_str)
                                .ok_or_else(|| bad("an image_url part needs `image_url.url`"))?;
                            images.push(resolve_image_url(url, ctx, &pat)?);
                        }
                        Some(t) => {
                            return Err(bad(&format!(
                                "unsupported part type {t:?} (text or image_url)"
                            )));
                        }
                        None => return Err(bad("a content part needs a `type`")),
                    }
                }
            }
            Some(_) => {
                return Err(ApiError::bad(format!(
                    "{at}.content must be a string or an array"
                )));
            }
            None => {
                return Err(ApiError::bad(format!("{at}.content is missing"))
                    .param(&format!("{at}.content")));
            }
        }
        parsed.push((role, texts, images));
    }
    let Some(last_user) = parsed.iter().rposition(|(r, _, _)| *r == "user") else {
        return Err(
            ApiError::bad("`messages` has no user message: nothing to draw").param("messages"),
        );
    };
    let (_, texts, images) = &parsed[last_user];
    if texts.iter().all(|t| t.trim().is_empty()) {
        return Err(ApiError::bad("the last user message has no text prompt").param("messages"));
    }
    let mut directives = Directives::default();
    let mut prompt = Vec::new();
    for t in texts {
        prompt.push(take_directives(t, &mut directives)?);
    }
    // The current turn's first reference, else the latest earlier image
    // (the one a refinement refines).
    let reference = images.first().cloned().or_else(|| {
        parsed
            .iter()
            .rev()
            .find_map(|(_, _, imgs)| imgs.last().cloned())
    });
    Ok(Job {
        model,
        prompt: prompt.join("\n"),
        want,
        format,
        reference,
        directives,
    })
}

/// `POST /v1/images/generations`.
pub(crate) fn generations(body: &Value) -> Result<Job, ApiError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::bad("the body must be a JSON object"))?;
    check_fields(
        obj.keys().map(String::as_str),
        &["model", "prompt", "size", "response_format", "user"],
    )?;
    let model = check_model(opt_str(obj, "model")?)?;
    let want = check_size(opt_str(obj, "size")?, &model)?;
    let format = check_format(opt_str(obj, "response_format")?)?;
    let prompt = opt_str(obj, "prompt")?
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| ApiError::bad("you must provide a non-empty `prompt`").param("prompt"))?;
    let mut directives = Directives::default();
    let prompt = take_directives(prompt, &mut directives)?;
    Ok(Job {
        model,
        prompt,
        want,
        format,
        reference: None,
        directives,
    })
}

/// The edits form's file field.
pub(crate) const IMAGE_FIELD: &str = "image[]";

/// `POST /v1/images/edits` (multipart).
pub(crate) fn edits(parts: &[FormPart]) -> Result<Job, ApiError> {
    check_fields(
        parts.iter().map(|p| p.name.as_str()),
        &["model", "prompt", "size", "response_format", IMAGE_FIELD],
    )?;
    let text = |name: &str| -> Result<Option<&str>, ApiError> {
        let mut found = parts.iter().filter(|p| p.name == name);
        let Some(first) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() {
            return Err(ApiError::bad(format!("`{name}` is given more than once")).param(name));
        }
        std::str::from_utf8(&first.data)
            .map(Some)
            .map_err(|_| ApiError::bad(format!("`{name}` is not UTF-8 text")).param(name))
    };
    let model = check_model(text("model")?)?;
    let want = check_size(text("size")?, &model)?;
    let format = check_format(text("response_format")?)?;
    let prompt = text("prompt")?
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| ApiError::bad("you must provide a non-empty `prompt`").param("prompt"))?;
    let mut directives = Directives::default();
    let prompt = take_directives(prompt, &mut directives)?;
    let images: Vec<&FormPart> = parts.iter().filter(|p| p.name == IMAGE_FIELD).collect();
    if images.is_empty() {
        return Err(
            ApiError::bad("you must upload at least one image as `image[]`").param(IMAGE_FIELD),
        );
    }
    for (i, p) in images.iter().enumerate() {
        let what = format!(
            "image{} ({})",
            i + 1,
            p.file_name.as_deref().unwrap_or("unnamed")
        );
        check_image(&p.data, p.content_type.as_deref(), &what)?;
    }
    Ok(Job {
        model,
        prompt,
        want,
        format,
        reference: images.first().map(|p| p.data.clone()),
        directives,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_are_parsed_and_stripped() {
        let mut d = Directives::default();
        let rest = take_directives(
            "a cat [fake:fault=429] on [fake:shape=chat-markdown] a mat [fake:latency=0.25][fake:hold][fake:disc=1a2B3c]",
            &mut d,
        )
        .expect("parse");
        assert_eq!(rest, "a cat  on  a mat");
        assert_eq!(d.fault, Some(Fault::Status(429)));
        assert_eq!(d.shape, Some(Shape::ChatMarkdown));
        assert!(d.hold);
        assert_eq!(d.latency, Some(Duration::from_millis(250)));
        assert_eq!(d.disc, Some([0x1a, 0x2b, 0x3c]));
        let mut d = Directives::default();
        assert_eq!(take_directives("[fake:refuse] x", &mut d).expect("ok"), "x");
        assert_eq!(d.fault, Some(Fault::Refusal));
        for bad in [
            "[fake:boom]",
            "[fake:fault=abc]",
            "[fake:latency=-1]",
            "[fake:shape=nope]",
            "[fake:refuse",
            "[fake:disc=12345]",
            "[fake:disc=12345g]",
            "[fake:disc=#123456]",
        ] {
            assert!(
                take_directives(bad, &mut Directives::default()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn sizes_follow_the_model() {
        assert_eq!(check_size(None, "gpt-image-2-vip"), Ok(Want::Auto));
        assert_eq!(check_size(Some("auto"), "gpt-image-2-vip"), Ok(Want::Auto));
        assert!(matches!(
            check_size(Some("2048x1152"), "gpt-image-2-vip"),
            Ok(Want::Exact(_))
        ));
        for bad in ["2048X1152", "1024x1024", "16:9", "", "AUTO"] {
            let e = check_size(Some(bad), "gpt-image-2-vip").expect_err(bad);
            assert_eq!(e.status, 400);
        }
        assert_eq!(check_size(None, ALL_MODEL), Ok(Want::FromPrompt));
        assert!(check_size(Some("auto"), ALL_MODEL).is_err());
    }
}
