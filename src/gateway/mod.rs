//! The HTTP client for the gateway: sends one request with retries, turns
//! every outcome into a [`Success`] or a [`GatewayError`], and downloads
//! result images (never with the API key).
//!
//! Retried: 429 and 5xx (and a connection that could not be made), at most
//! `max_retries` times. Never retried: other 4xx, refusals, malformed
//! replies, and a request that went out but got no answer (read timeout,
//! dropped connection): those may already be billed.

pub mod retry;

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt as _;
use reqwest::StatusCode;

pub use retry::RetryPolicy;

use crate::core::wire::{self, EditsFields, MalformedReply, Reply};
use crate::sanitize;

/// The API key. Its `Debug` is redacted and it has no `Display`, so it
/// cannot end up in a log line or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into().trim().to_owned())
    }

    /// The secret itself, for the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// How the client talks to the gateway.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Like `https://api.apiyi.com` (no trailing `/v1`).
    pub base_url: String,
    pub api_key: ApiKey,
    pub connect_timeout: Duration,
    /// The whole request, body included.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Result downloads larger than this are refused.
    pub download_cap: u64,
}

impl Settings {
    pub fn new(base_url: impl Into<String>, api_key: ApiKey) -> Self {
        Settings {
            base_url: base_url.into(),
            api_key,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            download_cap: 64 * 1024 * 1024,
        }
    }
}

/// A file for the edits form.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub mime: &'static str,
    pub bytes: Bytes,
}

/// A request ready to go: the API path and its body. Kept as data so each
/// retry can rebuild the multipart form (reqwest's is not reusable).
#[derive(Debug, Clone)]
pub enum Outbound {
    Json {
        path: &'static str,
        body: Bytes,
    },
    Edits {
        fields: EditsFields,
        files: Vec<Upload>,
    },
}

impl Outbound {
    pub fn path(&self) -> &'static str {
        match self {
            Outbound::Json { path, .. } => path,
            Outbound::Edits { .. } => "/v1/images/edits",
        }
    }
}

/// A reply the gateway gave.
#[derive(Debug, Clone)]
pub struct Success {
    pub reply: Reply,
    pub request_id: Option<String>,
    pub attempts: u32,
    pub elapsed: Duration,
}

/// What kind of failure, for deciding what to offer the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400/422: the request was wrong; fix it.
    BadRequest,
    /// 401/403: the key is wrong.
    Unauthorized,
    /// 404: wrong base URL, most likely.
    NotFound,
    /// 413: an image was too large.
    TooLarge,
    /// 429 after every retry.
    RateLimited,
    /// 5xx after every retry.
    Server,
    /// The gateway could not be reached at all.
    Unreachable,
    /// The request went out and no (complete) answer came back.
    NoAnswer,
    /// A success status with a body in no documented shape.
    Malformed,
    /// The result image could not be downloaded or is not an image.
    Download,
}

/// A failed exchange, with everything needed to show it and decide.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct GatewayError {
    pub kind: ErrorKind,
    /// What happened and what to do, one or two lines, sanitised.
    pub message: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    /// The reply body, cut to [`RAW_BODY_LIMIT`] characters, sanitised.
    pub raw_body: Option<String>,
    pub attempts: u32,
    /// The request went out but its fate is unknown: it may be billed.
    pub may_have_been_billed: bool,
}

/// How much of an error body is kept.
pub const RAW_BODY_LIMIT: usize = 2000;

/// The client. Cheap to clone (reqwest clients share their pools).
#[derive(Debug, Clone)]
pub struct Client {
    api: reqwest::Client,
    /// A separate client for result downloads: it has never seen the key.
    download: reqwest::Client,
    settings: Settings,
}

fn build_http(settings: &Settings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.request_timeout)
        // A pooled connection the server already closed would look like a
        // dropped request; keep idle connections short-lived.
        .pool_idle_timeout(Duration::from_secs(20))
        .user_agent(concat!("pixloom/", env!("CARGO_PKG_VERSION")))
        .build()
}

impl Client {
    pub fn new(settings: Settings) -> Result<Self, GatewayError> {
        let mk = |r: reqwest::Result<reqwest::Client>| {
            r.map_err(|e| GatewayError {
                kind: ErrorKind::Unreachable,
                message: format!("could not set up the HTTP client: {e}"),
                status: None,
                request_id: None,
                raw_body: None,
                attempts: 0,
                may_have_been_billed: false,
            })
        };
        Ok(Client {
            api: mk(build_http(&settings))?,
            download: mk(build_http(&settings))?,
            settings,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn url(&self, path: &str) -> String {
        let base = self.settings.base_url.trim_end_matches('/');
        // Accept a base given with `/v1` too.
        let base = base.strip_suffix("/v1").unwrap_or(base);
        format!("{base}{path}")
    }

    fn request(&self, out: &Outbound) -> reqwest::RequestBuilder {
        let rb = self
            .api
            .post(self.url(out.path()))
            .bearer_auth(self.settings.api_key.expose());
        match out {
            Outbound::Json { body, .. } => rb
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone()),
            Outbound::Edits { fields, files } => {
                let mut form = reqwest::multipart::Form::new();
                for (name, value) in fields.pairs() {
                    form = form.text(name, value);
                }
                for f in files {
                    let part =
                        reqwest::multipart::Part::stream(reqwest::Body::from(f.bytes.clone()))
                            .file_name(f.file_name.clone())
                            .mime_str(f.mime)
                            .unwrap_or_else(|_| reqwest::multipart::Part::bytes(f.bytes.to_vec()));
                    form = form.part(wire::EDITS_IMAGE_FIELD, part);
                }
                rb.multipart(form)
            }
        }
    }

    /// Sends `out`, retrying what may be retried.
    pub async fn send(&self, out: &Outbound) -> Result<Success, GatewayError> {
        let started = Instant::now();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let step = self.attempt(out).await;
            let (error, retry_after) = match step {
                Ok((reply, request_id)) => {
                    return Ok(Success {
                        reply,
                        request_id,
                        attempts,
                        elapsed: started.elapsed(),
                    });
                }
                Err(f) => f,
            };
            let retryable = matches!(
                error.kind,
                ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Unreachable
            );
            if !retryable || attempts > self.settings.retry.max_retries {
                return Err(GatewayError { attempts, ..error });
            }
            let wait = self.settings.retry.wait(
                attempts,
                retry_after.as_deref(),
                SystemTime::now(),
                rand::random::<f64>(),
            );
            tracing::info!(
                path = out.path(),
                status = ?error.status,
                request_id = ?error.request_id,
                wait_ms = wait.as_millis() as u64,
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One HTTP exchange. The error side carries the `Retry-After` value.
    async fn attempt(
        &self,
        out: &Outbound,
    ) -> Result<(Reply, Option<String>), (GatewayError, Option<String>)> {
        let resp = match self.request(out).send().await {
            Ok(r) => r,
            Err(e) => return Err((transport_error(&e, &self.settings.base_url), None)),
        };
        let status = resp.status();
        let request_id = header(&resp, "request-id").or_else(|| header(&resp, "x-request-id"));
        let retry_after = header(&resp, "retry-after");
        tracing::info!(path = out.path(), status = status.as_u16(), request_id = ?request_id, "gateway replied");
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let mut err = transport_error(&e, &self.settings.base_url);
                err.status = Some(status.as_u16());
                err.request_id = request_id;
                return Err((err, None));
            }
        };
        if status.is_success() {
            return match wire::parse_reply(&body) {
                Ok(reply) => Ok((reply, request_id)),
                Err(MalformedReply { reason }) => Err((
                    GatewayError {
                        kind: ErrorKind::Malformed,
                        message: format!(
                            "{reason}. The call may have been billed; retry if you want another try."
                        ),
                        status: Some(status.as_u16()),
                        request_id,
                        raw_body: Some(cut_body(&body)),
                        attempts: 0,
                        may_have_been_billed: true,
                    },
                    None,
                )),
            };
        }
        Err((status_error(status, &body, request_id), retry_after))
    }

    /// Downloads a result image: no Authorization header, at most
    /// `download_cap` bytes, retried on 5xx and connection failures.
    pub async fn download(&self, url: &str) -> Result<Vec<u8>, GatewayError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.download_once(url).await {
                Ok(b) => return Ok(b),
                Err((e, retryable)) if !retryable || attempts > self.settings.retry.max_retries => {
                    return Err(GatewayError { attempts, ..e });
                }
                Err((e, _)) => {
                    tracing::info!(status = ?e.status, "retrying the result download");
                    let wait = self.settings.retry.wait(
                        attempts,
                        None,
                        SystemTime::now(),
                        rand::random::<f64>(),
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One download; the error says whether another try could help
    /// (5xx and broken connections: yes; 4xx and too large: no).
    async fn download_once(&self, url: &str) -> Result<Vec<u8>, (GatewayError, bool)> {
        let fail = |message: String, status: Option<u16>| {
            let retryable = status.is_none_or(|s| s >= 500);
            let error = GatewayError {
                kind: ErrorKind::Download,
                message,
                status,
                request_id: None,
                raw_body: None,
                attempts: 0,
                may_have_been_billed: true,
            };
            (error, retryable)
        };
        let too_large = |shown: &str, cap: u64| {
            let (e, _) = fail(
                format!(
                    "the result image at {shown} is larger than {}; refused",
                    human_bytes(cap)
                ),
                None,
            );
            (e, false)
        };
        let shown = sanitize::truncate(&sanitize::line(url), 120).into_owned();
        let resp = self.download.get(url).send().await.map_err(|e| {
            fail(
                format!(
                    "could not download the result image from {shown}: {}",
                    root_cause(&e)
                ),
                None,
            )
        })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(fail(
                format!(
                    "the result image at {shown} answered {status}; the call was billed but its image is lost (result URLs expire after about 24 h)"
                ),
                Some(status.as_u16()),
            ));
        }
        let cap = self.settings.download_cap;
        if resp.content_length().is_some_and(|n| n > cap) {
            return Err(too_large(&shown, cap));
        }
        let mut body = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                fail(
                    format!("the download of {shown} broke off: {}", root_cause(&e)),
                    None,
                )
            })?;
            if !crate::images::append_within_cap(&mut body, &chunk, cap) {
                return Err(too_large(&shown, cap));
            }
        }
        Ok(body)
    }
}

/// `64 MB`, `10 KB`, `512 bytes`.
fn human_bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} bytes"),
        1_000..1_000_000 => format!("{} KB", n / 1_000),
        _ => format!("{} MB", n / 1_000_000),
    }
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| sanitize::line(v).into_owned())
}

fn cut_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    sanitize::truncate(&sanitize::text(&text), RAW_BODY_LIMIT).into_owned()
}

/// The innermost cause, which is where reqwest keeps the useful words
/// ("connection refused", "operation timed out").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    sanitize::line(&cur.to_string()).into_owned()
}

fn transport_error(e: &reqwest::Error, base_url: &str) -> GatewayError {
    let base = sanitize::line(base_url).into_owned();
    let (kind, message, billed) = if e.is_connect() {
        (
            ErrorKind::Unreachable,
            format!(
                "could not reach the gateway at {base} ({}). Check your network and --base-url, or try --demo.",
                root_cause(e)
            ),
            false,
        )
    } else if e.is_timeout() {
        (
            ErrorKind::NoAnswer,
            "the gateway did not answer in time. The request was sent and may have been billed; retry when you are ready (a longer --request-timeout may help for 4K).".to_owned(),
            true,
        )
    } else {
        (
            ErrorKind::NoAnswer,
            format!(
                "the connection to the gateway broke before an answer came ({}). The request may have been billed; retry when you are ready.",
                root_cause(e)
            ),
            true,
        )
    };
    GatewayError {
        kind,
        message,
        status: None,
        request_id: None,
        raw_body: None,
        attempts: 0,
        may_have_been_billed: billed,
    }
}

fn status_error(status: StatusCode, body: &[u8], request_id: Option<String>) -> GatewayError {
    let said = wire::error_message(body)
        .map(|m| sanitize::truncate(&sanitize::line(&m), 300).into_owned())
        .unwrap_or_else(|| {
            let looks_html = body.iter().take(200).any(|&b| b == b'<');
            if looks_html {
                "an HTML error page".to_owned()
            } else {
                "no message".to_owned()
            }
        });
    let code = status.as_u16();
    let (kind, advice) = match code {
        400 | 422 => (
            ErrorKind::BadRequest,
            "The request was refused as invalid; change it and send again.",
        ),
        401 | 403 => (
            ErrorKind::Unauthorized,
            "The API key was refused. Set a valid key with PIXLOOM_API_KEY or --api-key (or try --demo).",
        ),
        404 => (
            ErrorKind::NotFound,
            "Check --base-url: it should be the gateway's root, like https://api.apiyi.com.",
        ),
        413 => (
            ErrorKind::TooLarge,
            "An image was too large for the gateway; attach a smaller one.",
        ),
        429 => (
            ErrorKind::RateLimited,
            "The gateway is rate-limiting or your quota is used up; wait a little and retry.",
        ),
        500..=599 => (
            ErrorKind::Server,
            "The gateway failed upstream; retry (4K fails more often: try 2K).",
        ),
        _ => (
            ErrorKind::BadRequest,
            "Unexpected answer from the gateway; check --base-url, then retry.",
        ),
    };
    // "The model `x` does not exist": the fix is the model, not the request.
    let advice = if matches!(code, 400 | 404 | 422) && said.to_ascii_lowercase().contains("model") {
        "Pick a model the gateway serves with --model or `model` in config.toml (gpt-image-2-vip or gpt-image-2-all)."
    } else {
        advice
    };
    GatewayError {
        kind,
        message: format!("gateway answered {code}: {said}. {advice}"),
        status: Some(code),
        request_id,
        raw_body: Some(cut_body(body)),
        attempts: 0,
        may_have_been_billed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_debug_is_redacted() {
        let k = ApiKey::new("sk-canary-123");
        assert_eq!(format!("{k:?}"), "ApiKey(<redacted>)");
        let s = Settings::new("http://x", k);
        assert!(!format!("{s:?}").contains("canary"));
    }

    #[test]
    fn base_url_with_or_without_v1() {
        for base in [
            "http://h:1",
            "http://h:1/",
            "http://h:1/v1",
            "http://h:1/v1/",
        ] {
            let c = Client::new(Settings::new(base, ApiKey::new("sk-x"))).expect("client");
            assert_eq!(
                c.url("/v1/chat/completions"),
                "http://h:1/v1/chat/completions",
                "{base}"
            );
        }
    }

    #[test]
    fn status_errors_name_the_fix() {
        let e = status_error(
            StatusCode::UNAUTHORIZED,
            br#"{"error":{"message":"Invalid token"}}"#,
            Some("req_1".into()),
        );
        assert_eq!(e.kind, ErrorKind::Unauthorized);
        assert!(
            e.message.contains("Invalid token") && e.message.contains("PIXLOOM_API_KEY"),
            "{}",
            e.message
        );
        let e = status_error(
            StatusCode::BAD_GATEWAY,
            b"<html><body>502</body></html>",
            None,
        );
        assert_eq!(e.kind, ErrorKind::Server);
        assert!(e.message.contains("HTML"), "{}", e.message);
        let e = status_error(
            StatusCode::BAD_REQUEST,
            "{\"error\":\"bad \u{1b}[2Jsize\"}".as_bytes(),
            None,
        );
        assert!(!e.message.contains('\u{1b}'));
    }
}
