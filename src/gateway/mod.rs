//! The HTTP client for the gateway: sends one request with retries, turns
//! every outcome into a [`Success`] or a [`GatewayError`], and downloads
//! result images (never with the API key).
//!
//! Every outcome of one attempt, and what follows ("billed": the request
//! body went out and the gateway's verdict is unknown or a success):
//!
//! | outcome | kind | retried | may have been billed |
//! | --- | --- | --- | --- |
//! | request could not be built | `NotSent` | no | no |
//! | no connection (refused, DNS, TLS, connect timeout) | `Unreachable` | yes | no |
//! | 429 | `RateLimited` | yes | no |
//! | 5xx | `Server` | yes | no |
//! | 3xx | `Redirect` | no | no |
//! | other 4xx | by status | no | no |
//! | error status whose body is too large or breaks off | by status | as the status | no |
//! | sent, no answer in time / connection dropped | `NoAnswer` | no | yes |
//! | 2xx whose body breaks off | `NoAnswer` | no | yes |
//! | 2xx over the reply cap | `Malformed` | no | yes |
//! | 2xx in no documented shape | `Malformed` | no | yes |
//! | 2xx image or refusal | `Success` | — | yes |
//!
//! Everything a gateway sends is untrusted: every body is read through one
//! capped reader ([`crate::images::read_capped`]: [`REPLY_CAP`] for API
//! replies, [`Settings::download_cap`] for images), and every string from
//! the network passes [`Untrusted`] (controls stripped, the key and
//! credential-shaped tokens redacted) before it is logged, shown or saved.
//!
//! Redirects: API calls follow none (a 3xx is an error naming where it
//! pointed), so the key goes only to `base_url`. Downloads follow at most
//! [`MAX_DOWNLOAD_REDIRECTS`] and never carry the key. A plain `http://`
//! base URL is refused unless it is loopback or the user allowed it.

pub mod retry;
mod untrusted;

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;

pub use retry::{OnRetry, RetryNote, RetryPolicy};
pub use untrusted::Untrusted;

use crate::images::{CappedReadError, read_capped};
use crate::sanitize;
use pixloom_core::wire::{self, EditsFields, MalformedReply, Reply};

/// The largest API reply read: a 4K PNG as base64 is at most about 45 MB,
/// so this holds two with room to spare; anything larger is refused
/// unread, whatever `Content-Length` says.
pub const REPLY_CAP: u64 = 128 * 1024 * 1024;

/// Redirects a result download may follow.
pub const MAX_DOWNLOAD_REDIRECTS: usize = 5;

/// The API key. Its `Debug` is redacted and it has no `Display`, so it
/// cannot end up in a log line or an error message by accident. It can
/// only be built valid: visible ASCII without spaces, so it always fits an
/// Authorization header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

/// Why a key cannot be used. Never quotes the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("it is empty")]
    Empty,
    #[error(
        "it contains {what} (character {position}), which an HTTP header cannot carry, so nothing was sent. Copy the key again, without line breaks, spaces or quotes around it"
    )]
    Unsendable { what: &'static str, position: usize },
}

impl ApiKey {
    /// The key, trimmed; refused when an HTTP header could not carry it.
    pub fn new(key: impl Into<String>) -> Result<Self, KeyError> {
        let key = key.into().trim().to_owned();
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        if let Some((i, c)) = key.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) {
            let what = match c {
                '\n' | '\r' => "a line break",
                ' ' | '\t' => "a space",
                c if c.is_control() => "a control character",
                _ => "a character that is not plain ASCII",
            };
            return Err(KeyError::Unsendable {
                what,
                position: i + 1,
            });
        }
        Ok(ApiKey(key))
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
    /// API replies larger than this are refused ([`REPLY_CAP`]).
    pub reply_cap: u64,
    /// Whether a plain `http://` base URL that is not loopback is allowed
    /// (the key would cross the network unencrypted).
    pub allow_insecure_http: bool,
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
            reply_cap: REPLY_CAP,
            allow_insecure_http: false,
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
    /// A 3xx: API calls follow no redirect.
    Redirect,
    /// The request could not be built; nothing was sent.
    NotSent,
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

/// Why a client could not be set up. Nothing was sent.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SetupError {
    #[error(
        "the base URL {url:?} cannot be used: {reason}. Set --base-url (or base_url in config.toml) to the gateway's root, like https://api.apiyi.com."
    )]
    BadBaseUrl { url: String, reason: String },
    #[error(
        "the base URL {url} is plain http to a host that is not this machine: the API key and your prompts would cross the network unencrypted, readable and replayable by anyone on the way. Use https://, or, if you accept that, pass --allow-insecure-http (or set allow_insecure_http = true in config.toml)."
    )]
    InsecureBaseUrl { url: String },
    #[error("could not set up the HTTP client: {0}")]
    Http(String),
}

/// Refuses a base URL the key must not be sent to: not http(s), or plain
/// http to anything but loopback (127.0.0.0/8, ::1, localhost) unless
/// `allow_insecure_http`.
pub fn check_base_url(base_url: &str, allow_insecure_http: bool) -> Result<(), SetupError> {
    let shown = sanitize::truncate(&sanitize::line(base_url), 200).into_owned();
    let bad = |reason: String| SetupError::BadBaseUrl {
        url: shown.clone(),
        reason,
    };
    let url = url::Url::parse(base_url.trim()).map_err(|e| bad(e.to_string()))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(SetupError::InsecureBaseUrl { url: shown.clone() })
            }
        }
        other => Err(bad(format!(
            "only https:// (or http://) works, not {other}:"
        ))),
    }
}

/// The client. Cheap to clone (reqwest clients share their pools).
#[derive(Debug, Clone)]
pub struct Client {
    api: reqwest::Client,
    /// A separate client for result downloads: it has never seen the key.
    download: reqwest::Client,
    settings: Settings,
    untrusted: Untrusted,
}

fn build_http(
    settings: &Settings,
    redirects: reqwest::redirect::Policy,
) -> Result<reqwest::Client, SetupError> {
    reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.request_timeout)
        // A pooled connection the server already closed would look like a
        // dropped request; keep idle connections short-lived.
        .pool_idle_timeout(Duration::from_secs(20))
        .user_agent(concat!("pixloom/", env!("CARGO_PKG_VERSION")))
        .redirect(redirects)
        .build()
        .map_err(|e| SetupError::Http(e.to_string()))
}

impl Client {
    /// Checks the base URL, then builds the two HTTP clients. Nothing is
    /// sent.
    pub fn new(settings: Settings) -> Result<Self, SetupError> {
        check_base_url(&settings.base_url, settings.allow_insecure_http)?;
        use reqwest::redirect::Policy;
        Ok(Client {
            // A redirect could take the key elsewhere: none is followed.
            api: build_http(&settings, Policy::none())?,
            download: build_http(&settings, Policy::limited(MAX_DOWNLOAD_REDIRECTS))?,
            untrusted: Untrusted::new(&settings.api_key),
            settings,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn url(&self, path: &str) -> String {
        let base = self.settings.base_url.trim().trim_end_matches('/');
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
        self.send_observed(out, &|_| {}).await
    }

    /// [`Client::send`], telling `on_retry` before each wait for a retry.
    pub async fn send_observed(
        &self,
        out: &Outbound,
        on_retry: OnRetry<'_>,
    ) -> Result<Success, GatewayError> {
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
            on_retry(&RetryNote {
                retry: attempts,
                max_retries: self.settings.retry.max_retries,
                reason: retry::retry_reason(error.kind, error.status),
                wait,
            });
            tokio::time::sleep(wait).await;
        }
    }

    /// One HTTP exchange, its every string through [`Untrusted`]. The
    /// error side carries the `Retry-After` value.
    async fn attempt(
        &self,
        out: &Outbound,
    ) -> Result<(Reply, Option<String>), (GatewayError, Option<String>)> {
        match self.attempt_unchecked(out).await {
            Ok((reply, request_id)) => Ok((self.untrusted.reply(reply), request_id)),
            Err((error, retry_after)) => Err((self.untrusted.error(error), retry_after)),
        }
    }

    async fn attempt_unchecked(
        &self,
        out: &Outbound,
    ) -> Result<(Reply, Option<String>), (GatewayError, Option<String>)> {
        let resp = match self.request(out).send().await {
            Ok(r) => r,
            Err(e) => return Err((self.transport_error(&e), None)),
        };
        let status = resp.status();
        let request_id = self
            .header(&resp, "request-id")
            .or_else(|| self.header(&resp, "x-request-id"));
        let retry_after = self.header(&resp, "retry-after");
        let location = self.header(&resp, "location");
        tracing::info!(path = out.path(), status = status.as_u16(), request_id = ?request_id, "gateway replied");
        if status.is_redirection() {
            return Err((redirect_error(status, location, request_id), None));
        }
        let cap = self.settings.reply_cap;
        let body = match (read_capped(resp, cap).await, status.is_success()) {
            (Ok(b), _) => self.untrusted.body(b),
            (Err(CappedReadError::TooLarge), true) => {
                return Err((
                    GatewayError {
                        kind: ErrorKind::Malformed,
                        message: format!(
                            "the gateway's reply is larger than {} (the most pixloom reads for one reply) and was refused. The call may have been billed; retry if you want another try.",
                            human_bytes(cap)
                        ),
                        status: Some(status.as_u16()),
                        request_id,
                        raw_body: None,
                        attempts: 0,
                        may_have_been_billed: true,
                    },
                    None,
                ));
            }
            (Err(CappedReadError::Broken(e)), true) => {
                let mut err = self.transport_error(&e);
                err.status = Some(status.as_u16());
                err.request_id = request_id;
                return Err((err, None));
            }
            (Err(e), false) => {
                // The status already says what happened; only its body is lost.
                let unread = match e {
                    CappedReadError::TooLarge => format!("was over {}, not read", human_bytes(cap)),
                    CappedReadError::Broken(e) => format!("broke off: {}", self.root_cause(&e)),
                };
                let mut err = self.status_error(status, b"", request_id);
                err.raw_body = Some(format!("(the body {unread})"));
                return Err((err, retry_after));
            }
        };
        if status.is_success() {
            return match wire::parse_reply(&body) {
                Ok(reply) => Ok((reply, request_id)),
                Err(MalformedReply { reason }) => Err((
                    GatewayError {
                        kind: ErrorKind::Malformed,
                        message: format!(
                            "{}. The call may have been billed; retry if you want another try.",
                            self.untrusted.line(&reason)
                        ),
                        status: Some(status.as_u16()),
                        request_id,
                        raw_body: Some(cut_body(&self.untrusted, &body)),
                        attempts: 0,
                        may_have_been_billed: true,
                    },
                    None,
                )),
            };
        }
        Err((self.status_error(status, &body, request_id), retry_after))
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

    /// One download, its error through [`Untrusted`].
    async fn download_once(&self, url: &str) -> Result<Vec<u8>, (GatewayError, bool)> {
        self.download_unchecked(url)
            .await
            .map_err(|(e, retryable)| (self.untrusted.error(e), retryable))
    }

    /// The error says whether another try could help (5xx and broken
    /// connections: yes; 4xx and too large: no).
    async fn download_unchecked(&self, url: &str) -> Result<Vec<u8>, (GatewayError, bool)> {
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
        let shown = sanitize::truncate(&self.untrusted.line(url), 120).into_owned();
        let resp = self.download.get(url).send().await.map_err(|e| {
            let (error, retryable) = fail(
                format!(
                    "could not download the result image from {shown}: {}",
                    self.root_cause(&e)
                ),
                None,
            );
            // Too many redirects will be as many next time.
            (error, retryable && !e.is_redirect())
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
        read_capped(resp, cap).await.map_err(|e| match e {
            CappedReadError::TooLarge => {
                let (e, _) = fail(
                    format!(
                        "the result image at {shown} is larger than {}; refused",
                        human_bytes(cap)
                    ),
                    None,
                );
                (e, false)
            }
            CappedReadError::Broken(e) => fail(
                format!("the download of {shown} broke off: {}", self.root_cause(&e)),
                None,
            ),
        })
    }

    /// A response header's value, cleaned.
    fn header(&self, resp: &reqwest::Response, name: &str) -> Option<String> {
        resp.headers()
            .get(name)
            .map(|v| self.untrusted.line(&String::from_utf8_lossy(v.as_bytes())))
    }

    /// The innermost cause, which is where reqwest keeps the useful words
    /// ("connection refused", "operation timed out"), cleaned: it may
    /// quote a URL the gateway chose.
    fn root_cause(&self, e: &(dyn std::error::Error + 'static)) -> String {
        let mut cur = e;
        while let Some(next) = cur.source() {
            cur = next;
        }
        self.untrusted.line(&cur.to_string())
    }

    /// A request that failed below HTTP. Billed only if it may have gone
    /// out: a request that could not be built or a connection that could
    /// not be made (refused, DNS, TLS, connect timeout) never reached the
    /// gateway.
    fn transport_error(&self, e: &reqwest::Error) -> GatewayError {
        let base = sanitize::line(&self.settings.base_url).into_owned();
        let (kind, message, billed) = if e.is_builder() {
            (
                ErrorKind::NotSent,
                format!(
                    "the request could not be built ({}), so nothing was sent. Check --base-url and the API key.",
                    self.root_cause(e)
                ),
                false,
            )
        } else if e.is_connect() {
            (
                ErrorKind::Unreachable,
                format!(
                    "could not reach the gateway at {base} ({}). Check your network and --base-url, or try --demo.",
                    self.root_cause(e)
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
                    self.root_cause(e)
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

    fn status_error(
        &self,
        status: StatusCode,
        body: &[u8],
        request_id: Option<String>,
    ) -> GatewayError {
        status_error(&self.untrusted, status, body, request_id)
    }
}

/// A 3xx to an API call: not followed, so the key never goes anywhere but
/// the base URL.
fn redirect_error(
    status: StatusCode,
    location: Option<String>,
    request_id: Option<String>,
) -> GatewayError {
    let to = location.map_or_else(
        || "somewhere it did not say".to_owned(),
        |l| sanitize::truncate(&l, 200).into_owned(),
    );
    GatewayError {
        kind: ErrorKind::Redirect,
        message: format!(
            "the gateway answered {} redirecting to {to}. pixloom follows no redirect for API calls, so the API key is only ever sent to --base-url; if you trust that address, set --base-url to it.",
            status.as_u16()
        ),
        status: Some(status.as_u16()),
        request_id,
        raw_body: None,
        attempts: 0,
        may_have_been_billed: false,
    }
}

/// `64 MiB`, `10 KiB`, `512 bytes`: the caps are powers of two.
fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    match n {
        0..KIB => format!("{n} bytes"),
        KIB..MIB => format!("{} KiB", n / KIB),
        _ => format!("{} MiB", n / MIB),
    }
}

/// A body as kept in an error: cleaned, then cut to [`RAW_BODY_LIMIT`]
/// characters.
fn cut_body(untrusted: &Untrusted, body: &[u8]) -> String {
    // Only the start is quoted: no need to clean 128 MB.
    let head = &body[..body.len().min(RAW_BODY_LIMIT * 4 + 256)];
    let text = untrusted.text(&String::from_utf8_lossy(head));
    sanitize::truncate(&text, RAW_BODY_LIMIT).into_owned()
}

/// An HTTP error status as the user sees it: what the gateway said
/// (cleaned), and what to do.
fn status_error(
    untrusted: &Untrusted,
    status: StatusCode,
    body: &[u8],
    request_id: Option<String>,
) -> GatewayError {
    let said = wire::error_message(body)
        .map(|m| sanitize::truncate(&untrusted.line(&m), 300).into_owned())
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
        raw_body: Some(cut_body(untrusted, body)),
        attempts: 0,
        may_have_been_billed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_debug_is_redacted() {
        let k = ApiKey::new("sk-canary-123").expect("key");
        assert_eq!(format!("{k:?}"), "ApiKey(<redacted>)");
        let s = Settings::new("http://x", k);
        assert!(!format!("{s:?}").contains("canary"));
    }

    #[test]
    fn base_url_with_or_without_v1() {
        for base in [
            "https://h:1",
            "https://h:1/",
            "https://h:1/v1",
            "https://h:1/v1/",
        ] {
            let key = ApiKey::new("sk-x").expect("key");
            let c = Client::new(Settings::new(base, key)).expect("client");
            assert_eq!(
                c.url("/v1/chat/completions"),
                "https://h:1/v1/chat/completions",
                "{base}"
            );
        }
    }

    /// A request reqwest could not build never left: not billed, not
    /// "the connection broke".
    #[test]
    fn a_request_that_could_not_be_built_was_not_billed() {
        let client = Client::new(Settings::new(
            "https://h",
            ApiKey::new("sk-x").expect("key"),
        ))
        .expect("client");
        let e = reqwest::Client::new()
            .get("https://h")
            .header("bad\nname", "v")
            .build()
            .expect_err("a bad header name");
        let got = client.transport_error(&e);
        assert_eq!(got.kind, ErrorKind::NotSent);
        assert!(!got.may_have_been_billed);
        assert!(
            got.message.contains("nothing was sent") && !got.message.contains("billed"),
            "{}",
            got.message
        );
    }

    #[test]
    fn status_errors_name_the_fix() {
        let untrusted = Untrusted::new(&ApiKey::new("sk-x").expect("key"));
        let e = status_error(
            &untrusted,
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
            &untrusted,
            StatusCode::BAD_GATEWAY,
            b"<html><body>502</body></html>",
            None,
        );
        assert_eq!(e.kind, ErrorKind::Server);
        assert!(e.message.contains("HTML"), "{}", e.message);
        let e = status_error(
            &untrusted,
            StatusCode::BAD_REQUEST,
            "{\"error\":\"bad \u{1b}[2Jsize\"}".as_bytes(),
            None,
        );
        assert!(!e.message.contains('\u{1b}'));
    }
}
