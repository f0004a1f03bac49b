//! Reading a request: its body (JSON or multipart), its key, the steering
//! headers, and the record kept of it.

use axum::body::to_bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, header};
use serde_json::Value;

use crate::request::ApiError;
use crate::store;
use crate::validate::{Endpoint, FormPart};
use crate::{RecordedPart, RecordedRequest};

/// The largest request body read (several 10 MB images, base64-encoded).
pub(super) const MAX_BODY: usize = 128 * 1024 * 1024;

/// A request body as it arrived.
pub(super) enum Incoming {
    Json(Value),
    Form(Vec<FormPart>),
}

/// Reads the whole body: JSON for chat and generations, multipart for edits.
pub(super) async fn read_body(ep: Endpoint, req: Request) -> Result<Incoming, ApiError> {
    if ep == Endpoint::Edits {
        let mut form = Multipart::from_request(req, &()).await.map_err(|e| {
            ApiError::bad(format!(
                "expected a multipart/form-data body: {}",
                e.body_text()
            ))
        })?;
        let mut parts = Vec::new();
        loop {
            let field = form
                .next_field()
                .await
                .map_err(|e| ApiError::new(e.status().as_u16(), e.body_text()))?;
            let Some(field) = field else { break };
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(str::to_owned);
            let data = field
                .bytes()
                .await
                .map_err(|e| ApiError::new(e.status().as_u16(), e.body_text()))?;
            parts.push(FormPart {
                name,
                file_name,
                content_type,
                data,
            });
        }
        return Ok(Incoming::Form(parts));
    }
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    let bytes = to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|_| ApiError::new(413, format!("the request body is over {MAX_BODY} bytes")))?;
    if !is_json {
        return Err(ApiError::bad("Content-Type must be application/json"));
    }
    serde_json::from_slice(&bytes)
        .map(Incoming::Json)
        .map_err(|e| {
            ApiError::bad(format!(
                "We could not parse the JSON body of your request ({e})."
            ))
        })
}

/// `(present, accepted)` for the Authorization header.
pub(super) fn auth(headers: &HeaderMap, key: Option<&str>) -> (bool, bool) {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return (false, false);
    };
    let token = value.to_str().ok().and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then_some(token.trim())
    });
    let ok = match (token, key) {
        (Some(t), Some(k)) => t == k,
        (Some(t), None) => t.starts_with("sk-") && t.len() > 3,
        (None, _) => false,
    };
    (true, ok)
}

pub(super) fn header_value<T: std::str::FromStr>(
    headers: &HeaderMap,
    name: &str,
) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    match headers.get(name) {
        None => Ok(None),
        Some(v) => {
            let s = v
                .to_str()
                .map_err(|_| ApiError::bad(format!("header {name} is not text")))?;
            s.parse()
                .map(Some)
                .map_err(|e| ApiError::bad(format!("header {name}: {e}")))
        }
    }
}

pub(super) fn record_of(
    path: &str,
    rid: &str,
    has_auth: bool,
    authorized: bool,
    body: Option<&Incoming>,
) -> RecordedRequest {
    let (json, parts) = match body {
        Some(Incoming::Json(v)) => (Some(v), &[][..]),
        Some(Incoming::Form(p)) => (None, &p[..]),
        None => (None, &[][..]),
    };
    let model = match (json, parts) {
        (Some(v), _) => v.get("model").and_then(Value::as_str).map(str::to_owned),
        (None, p) => p
            .iter()
            .find(|p| p.name == "model" && p.file_name.is_none())
            .map(|p| String::from_utf8_lossy(&p.data).into_owned()),
    };
    RecordedRequest {
        path: path.to_owned(),
        model,
        authorized,
        json: json.map(store::elide),
        multipart: parts
            .iter()
            .map(|p| RecordedPart {
                name: p.name.clone(),
                file_name: p.file_name.clone(),
                content_type: p.content_type.clone(),
                len: p.data.len(),
                text: p
                    .file_name
                    .is_none()
                    .then(|| String::from_utf8_lossy(&p.data).into_owned()),
                sha256: pixloom_core::hex::sha256(&p.data),
            })
            .collect(),
        status: 0,
        request_id: rid.to_owned(),
        has_authorization: has_auth,
        received_us: clock_us(),
        answered_us: None,
    }
}

/// Microseconds on a monotonic clock that starts with the first record.
pub(super) fn clock_us() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}
