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

mod download;
mod error;
mod key;
pub mod retry;
mod status;
mod untrusted;

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;

pub use error::{ErrorKind, GatewayError, RAW_BODY_LIMIT, SetupError, check_base_url};
pub use key::{ApiKey, KeyError};
pub use retry::{OnRetry, RetryNote, RetryPolicy};
pub(crate) use untrusted::Untrusted;

use crate::images::{CappedReadError, read_capped};
use crate::sanitize;
use error::human_bytes;
use pixloom_core::wire::{self, EditsFields, MalformedReply, Reply};
use status::{cut_body, redirect_error, status_error};

/// The largest API reply read: a 4K PNG as base64 is at most about 45 MB,
/// so this holds two with room to spare; anything larger is refused
/// unread, whatever `Content-Length` says.
pub const REPLY_CAP: u64 = 128 * 1024 * 1024;

/// Redirects a result download may follow.
pub const MAX_DOWNLOAD_REDIRECTS: usize = 5;

/// How the client talks to the gateway.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Like `https://api.apiyi.com` (no trailing `/v1`).
    pub(crate) base_url: String,
    pub api_key: ApiKey,
    pub(crate) connect_timeout: Duration,
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
    pub(crate) file_name: String,
    pub(crate) mime: &'static str,
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
    pub(crate) elapsed: Duration,
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
    pub(crate) async fn send_observed(
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
                        about_model: false,
                        timed_out: false,
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
                        about_model: false,
                        timed_out: false,
                    },
                    None,
                )),
            };
        }
        Err((self.status_error(status, &body, request_id), retry_after))
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
                    "the request could not be built ({}), so nothing was sent.",
                    self.root_cause(e)
                ),
                false,
            )
        } else if e.is_connect() {
            (
                ErrorKind::Unreachable,
                format!(
                    "could not reach the gateway at {base} ({}).",
                    self.root_cause(e)
                ),
                false,
            )
        } else if e.is_timeout() {
            (
                ErrorKind::NoAnswer,
                "the gateway did not answer in time. The request was sent and may have been billed.".to_owned(),
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
            about_model: false,
            timed_out: kind == ErrorKind::NoAnswer && e.is_timeout(),
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

#[cfg(test)]
mod tests;
