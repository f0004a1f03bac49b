//! Response bodies in the gateway's documented shapes, error bodies in
//! OpenAI's, and the canned answers of the faults.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};

use super::REQUEST_ID;
use super::faults::{Echo, Fault, Shape, error_kind};
use super::request::ApiError;

/// What the older chat page's refusals say.
pub(crate) const REFUSAL_TEXT: &str = "I can't help with that request.";

/// The HTML a proxy in front of the gateway answers a 502 with.
pub(crate) const BAD_GATEWAY_HTML: &str = "<html><body><h1>502 Bad Gateway</h1></body></html>";

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Token counts that look like the docs' examples.
fn tokens(prompt: &str, pixels: (u32, u32)) -> (u64, u64) {
    let input = prompt.split_whitespace().count() as u64 * 4 / 3 + 12;
    let output = u64::from(pixels.0) * u64::from(pixels.1) / 2000 + 100;
    (input, output)
}

/// A response with a body, content type and request id.
pub(crate) fn raw(
    status: u16,
    content_type: &'static str,
    body: impl Into<Body>,
    rid: &str,
) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(rid) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

/// A JSON response.
pub(crate) fn json_response(status: u16, body: &Value, rid: &str) -> Response {
    raw(status, "application/json", body.to_string(), rid)
}

/// An OpenAI-style error: `{"error":{"message","type","param","code"}}`.
pub(crate) fn error(err: &ApiError, rid: &str) -> Response {
    let (kind, default_code, _) = error_kind(err.status);
    let body = json!({
        "error": {
            "message": err.message,
            "type": kind,
            "param": err.param,
            "code": err.code.or(default_code),
        }
    });
    json_response(err.status, &body, rid)
}

/// The older `chat.completion` shape with `content`.
pub(crate) fn chat_body(model: &str, content: &str, prompt: &str, pixels: (u32, u32)) -> Value {
    let (input, output) = tokens(prompt, pixels);
    json!({
        "id": format!("chatcmpl-{:024x}", rand::random::<u128>() >> 32),
        "object": "chat.completion",
        "created": unix_now(),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop",
        }],
        "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output},
    })
}

/// What an image answer carries.
pub(crate) struct ImageAnswer<'a> {
    pub model: &'a str,
    pub prompt: &'a str,
    pub(crate) png: &'a [u8],
    pub url: Option<&'a str>,
    pub size: (u32, u32),
}

/// Stands in for the base64 payload while the small rest of the body is
/// serialised; the payload is spliced in afterwards, so megabytes of base64
/// are copied once instead of going through the JSON escaper (slow in
/// debug builds, and base64 needs no escaping).
const PAYLOAD: &str = "@@fake-payload@@";

/// The serialised body for an image in `shape`. URL shapes need `r.url`.
pub(crate) fn image_body(shape: Shape, r: &ImageAnswer<'_>) -> Result<String, serde_json::Error> {
    let url = r.url.unwrap_or_default();
    let (input, output) = tokens(r.prompt, r.size);
    let data = |entry: Value| {
        json!({
            "data": [entry],
            "created": unix_now(),
            "usage": {"input_tokens": input, "output_tokens": output, "total_tokens": input + output},
        })
    };
    let prefixed = format!("data:image/png;base64,{PAYLOAD}");
    let (skeleton, inline) = match shape {
        Shape::DataUrl => (data(json!({"url": url})), false),
        Shape::DataB64 => (data(json!({"b64_json": prefixed})), true),
        Shape::DataB64Bare => (data(json!({"b64_json": PAYLOAD})), true),
        Shape::DataBoth => (data(json!({"url": url, "b64_json": prefixed})), true),
        Shape::ChatMarkdown => (
            chat_body(r.model, &format!("![image]({url})"), r.prompt, r.size),
            false,
        ),
        Shape::ChatBareUrl => (
            chat_body(r.model, &format!("Here it is: {url}"), r.prompt, r.size),
            false,
        ),
        Shape::ChatDataUrl => (chat_body(r.model, &prefixed, r.prompt, r.size), true),
    };
    let text = serde_json::to_string(&skeleton)?;
    Ok(if inline {
        let b64 = base64::engine::general_purpose::STANDARD.encode(r.png);
        text.replacen(PAYLOAD, &b64, 1)
    } else {
        text
    })
}

/// What the oversize faults stream: the start of a plausible reply, then
/// base64-looking filler, so a client that buffers it all sees nothing
/// wrong until it runs out of memory.
const OVERSIZE_HEAD: &[u8] = br#"{"data":[{"b64_json":""#;
static FILLER: [u8; 64 * 1024] = [b'A'; 64 * 1024];

/// A 200 streaming `total` bytes (`u64::MAX`: until the client hangs up),
/// counting each chunk handed over in `streamed`. With `claimed`, the
/// `Content-Length` says so.
pub(crate) fn oversize(
    total: u64,
    claimed: Option<u64>,
    streamed: std::sync::Arc<std::sync::atomic::AtomicU64>,
    rid: &str,
) -> Response {
    use std::sync::atomic::Ordering;
    let chunks = futures_util::stream::unfold(0u64, move |sent| {
        let streamed = std::sync::Arc::clone(&streamed);
        async move {
            if sent >= total {
                return None;
            }
            let chunk = if sent == 0 {
                bytes::Bytes::from_static(OVERSIZE_HEAD)
            } else {
                bytes::Bytes::from_static(&FILLER)
            };
            let chunk = chunk.slice(..chunk.len().min((total - sent) as usize));
            streamed.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            let next = sent + chunk.len() as u64;
            Some((Ok::<_, std::io::Error>(chunk), next))
        }
    });
    let mut resp = raw(200, "application/json", Body::from_stream(chunks), rid);
    if let Some(n) = claimed
        && let Ok(v) = HeaderValue::from_str(&n.to_string())
    {
        resp.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    resp
}

/// Puts the Authorization header a client sent into the headers an
/// echoing gateway sends back.
pub(crate) fn echo_headers(resp: &mut Response, auth: &str) {
    for (name, value) in [
        (REQUEST_ID, format!("req_echo {auth}")),
        ("x-request-id", format!("req_echo {auth}")),
        ("x-echo", auth.to_owned()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(name, v);
        }
    }
}

/// The text an echoing gateway puts in its answers.
pub(crate) fn echo_text(auth: &str) -> String {
    format!("I can't help with that request. You sent Authorization: {auth}")
}

/// An echo that answers at once (not the billed refusal and URL forms).
fn echo(e: Echo, auth: &str, rid: &str) -> Response {
    let mut resp = match e {
        Echo::Status(status) => error(
            &ApiError::new(
                status,
                format!("Invalid token. Received Authorization: {auth}"),
            ),
            rid,
        ),
        Echo::Html => raw(
            502,
            "text/html; charset=utf-8",
            format!(
                "<html><body><h1>502 Bad Gateway</h1><pre>Authorization: {auth}</pre></body></html>"
            ),
            rid,
        ),
        Echo::Malformed => json_response(
            200,
            &json!({"error": {"message": format!("upstream rejected Authorization: {auth}"), "type": "upstream_error"}}),
            rid,
        ),
        Echo::Refusal | Echo::Url => json_response(
            200,
            &chat_body("gpt-image-2-vip", &echo_text(auth), "", (0, 0)),
            rid,
        ),
    };
    echo_headers(&mut resp, auth);
    resp
}

/// The answer of a fault that answers at once (not hang, drop, refusal,
/// the oversize streams, or echoes of a refusal or URL). `auth` is the
/// request's Authorization header, for the echoes.
pub(crate) fn fault(f: &Fault, base_url: &str, auth: &str, rid: &str) -> Response {
    let status_error = |status: u16| {
        let (_, _, message) = error_kind(status);
        error(&ApiError::new(status, message), rid)
    };
    match f {
        Fault::Status(s) => {
            let mut resp = status_error(*s);
            if *s == 429 {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            resp
        }
        Fault::RetryAfter(s, value) => {
            let mut resp = status_error(*s);
            if let Ok(v) = HeaderValue::from_str(value) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Fault::BadGatewayHtml => raw(502, "text/html; charset=utf-8", BAD_GATEWAY_HTML, rid),
        Fault::TruncatedJson => {
            // A plausible answer, cut in half: well-formed HTTP, broken JSON.
            let whole = json!({
                "data": [{"url": format!("{base_url}/files/{:032x}.png", rand::random::<u128>())}],
                "created": unix_now(),
                "usage": {"input_tokens": 30, "output_tokens": 2074, "total_tokens": 2104},
            })
            .to_string();
            let half = whole.as_bytes()[..whole.len() / 2].to_vec();
            raw(200, "application/json", half, rid)
        }
        Fault::Empty => json_response(200, &json!({"data": []}), rid),
        Fault::Refusal => json_response(
            200,
            &chat_body("gpt-image-2-vip", REFUSAL_TEXT, "", (0, 0)),
            rid,
        ),
        Fault::Echo(e) => echo(*e, auth, rid),
        Fault::Redirect(url) => {
            let mut resp = raw(307, "text/plain; charset=utf-8", "", rid);
            if let Ok(v) = HeaderValue::from_str(url) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            resp
        }
        Fault::Hang | Fault::Drop | Fault::Oversize(_) | Fault::OversizeClaimed(_) => {
            status_error(504)
        }
    }
}
