//! The fake gateway: a real HTTP server on loopback that behaves like the
//! image gateway its docs describe (`/work/shared/api-docs`, distilled in
//! `API-NOTES.md`). Tests, benchmarks and `--demo` talk to it.
//!
//! - The three endpoints, with the gateway's validation (models, the 30
//!   sizes, forbidden fields, image formats, the 10 MB limit) and every
//!   documented response shape, carrying real PNGs of the requested size
//!   that follow the prompt (and the reference image, for edits).
//! - Result URLs on its own `/files/…`, which expire.
//! - Injectable trouble: [`Fault`]s queued in [`FakeConfig::faults`] or
//!   pushed later, forced [`Shape`]s, latency, and per-request steering by
//!   header (`x-fake-fault`, `x-fake-shape`, `x-fake-latency`) or by
//!   directives in the prompt (`[fake:refuse]`, `[fake:fault=500]`,
//!   `[fake:shape=chat-markdown]`, `[fake:latency=0.2]`, `[fake:hold]` until
//!   `POST /__fake/release`).
//! - A log of what came in ([`RecordedRequest`]; never the API key) and of
//!   downloads, also served as JSON on `/__fake/…` for out-of-process tests.
//!
//! Module map: `server` routes and answers, `validate` checks requests,
//! `picture` draws, `store` keeps files and logs, `conn` is the accept
//! loop, `faults` the fault and shape names, `cli` the `fake` subcommand.

// Public means another crate uses it: everything else is pub(crate) at most.
#![warn(unreachable_pub)]

pub mod cli;
mod conn;
mod faults;
mod picture;
mod refimage;
mod request;
mod respond;
mod server;
mod store;
mod validate;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use faults::{Echo, Fault, ParseNameError, Shape};
pub use picture::mean_abs_difference;
pub use refimage::MAX_IMAGE_BYTES;

/// The response header that names each exchange.
pub(crate) const REQUEST_ID: &str = "request-id";

/// A fresh request id, `req_` and 16 hex digits.
pub(crate) fn new_request_id() -> String {
    format!("req_{:016x}", rand::random::<u64>())
}

/// How the fake behaves. `Default` is a well-behaved gateway that answers
/// at once.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Delay before answering each valid API request (not 401/400s).
    pub latency: Duration,
    /// Applied to successive valid API requests in order, then normal
    /// behaviour. A header or prompt directive takes precedence and leaves
    /// the queue alone.
    pub faults: Vec<Fault>,
    /// Force a response shape for every request; `None`: each endpoint's
    /// documented default (chat and edits `data[].url`, generations
    /// `b64_json`), or what `response_format` asks for.
    pub shape: Option<Shape>,
    /// `Some(k)`: only `Bearer k` is accepted. `None`: any bearer token
    /// starting with `sk-`.
    pub api_key: Option<String>,
    /// How long result URLs live (24 h, as the docs say); 404 afterwards.
    pub url_ttl: Duration,
    /// How long [`Fault::Hang`] waits before answering 504, so the client's
    /// timeout fires first.
    pub hang_for: Duration,
    /// Mixed into every picture with the draw's number: the same seed and
    /// the same sequence of requests give the same pictures; every answer
    /// is a new picture. `0` by default (and in `fake-gateway` without
    /// `--seed`), so tests are repeatable; `--demo` picks a fresh one.
    pub seed: u64,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            latency: Duration::ZERO,
            faults: Vec::new(),
            shape: None,
            api_key: None,
            url_ttl: Duration::from_secs(24 * 60 * 60),
            hang_for: Duration::from_secs(600),
            seed: 0,
        }
    }
}

/// One API request as the fake saw it. The Authorization header's value is
/// never kept: only whether it was there and accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// `/v1/chat/completions`, `/v1/images/generations` or `/v1/images/edits`.
    pub path: String,
    /// The `model` field, if the body had one.
    pub model: Option<String>,
    /// Whether the bearer token was accepted.
    pub authorized: bool,
    /// The JSON body, if it parsed. Strings over 4096 characters (data
    /// URLs) are shortened to their first 64 characters followed by
    /// `…[N chars, sha256 HEX]`, the hash being of the whole string.
    pub json: Option<serde_json::Value>,
    /// The multipart parts, in the order they were sent.
    pub multipart: Vec<RecordedPart>,
    /// The status answered; 0 while unanswered (a hang in progress) or when
    /// the connection was dropped without an answer.
    pub status: u16,
    /// The `request-id` header of the answer.
    pub request_id: String,
    /// Whether an Authorization header was present at all.
    pub has_authorization: bool,
    /// When the whole request had been read: microseconds on the fake's
    /// own monotonic clock (comparable between its records only).
    #[serde(default)]
    pub received_us: u64,
    /// When the answer was ready, on the same clock (`None` while
    /// unanswered, or dropped).
    #[serde(default)]
    pub answered_us: Option<u64>,
}

/// One multipart part of a recorded request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedPart {
    /// The form field name (`model`, `prompt`, `image[]`, …).
    pub name: String,
    /// The file name, for file parts.
    pub file_name: Option<String>,
    /// The part's own Content-Type, if it had one.
    pub content_type: Option<String>,
    /// Bytes in the part.
    pub len: usize,
    /// The value of a text field (a part without a file name).
    pub text: Option<String>,
    /// Hex SHA-256 of the part's bytes.
    pub sha256: String,
}

/// One `GET /files/…` (a result download).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadRecord {
    /// `/files/{id}.png`.
    pub path: String,
    /// Whether the client sent an Authorization header (it should not: the
    /// real files are on a CDN, and the key must not travel there).
    pub had_authorization: bool,
    /// 200, or 404 for an expired or unknown file.
    pub status: u16,
}

/// A running fake gateway. Dropping it stops the server too; `shutdown`
/// also waits for every connection to close.
pub struct FakeGateway {
    shared: Arc<server::Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl FakeGateway {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start(cfg: FakeConfig) -> std::io::Result<FakeGateway> {
        FakeGateway::start_on(0, cfg).await
    }

    /// Starts on `127.0.0.1:port` (0: a free port).
    pub(crate) async fn start_on(port: u16, cfg: FakeConfig) -> std::io::Result<FakeGateway> {
        let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(server::Shared::new(cfg, addr));
        let (stop, stop_rx) = watch::channel(false);
        let router = server::router(Arc::clone(&shared));
        let task = tokio::spawn(conn::accept_loop(
            listener,
            router,
            Arc::clone(&shared.conns),
            stop_rx,
        ));
        Ok(FakeGateway {
            shared,
            stop,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`: the client's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// The API requests received, in order (not downloads, not `/__fake`).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Result downloads (`GET /files/…`), in order.
    pub fn download_log(&self) -> Vec<DownloadRecord> {
        self.shared.downloads()
    }

    /// Calls billed: each image returned and each refusal; never an error,
    /// hang, drop, truncated or empty answer.
    pub fn billed(&self) -> u64 {
        self.shared.billed()
    }

    /// Bytes the oversize faults have handed to the connection so far: a
    /// client that stops reading at its cap stops this count near the cap
    /// (plus what the sockets buffer).
    pub fn streamed_bytes(&self) -> u64 {
        self.shared.streamed_bytes()
    }

    /// Queues more faults behind those waiting.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.push_faults(faults);
    }

    /// Forces a shape for every later request (`None`: documented defaults).
    pub fn set_shape(&self, shape: Option<Shape>) {
        self.shared.set_shape(shape);
    }

    /// TCP connections open right now.
    pub fn open_connections(&self) -> usize {
        self.shared.conns.open()
    }

    /// Waits until at most `n` connections are open; false if that did not
    /// happen `within` (a client closes its pooled connections lazily).
    pub async fn wait_open_connections_at_most(&self, n: usize, within: Duration) -> bool {
        self.shared.conns.wait_at_most(n, within).await
    }

    /// Moves the fake's clock forward, so URL expiry can be tested without
    /// waiting: a URL is dead once `url_ttl` has passed on this clock.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.advance_clock(by);
    }

    /// Stops accepting, closes every connection and waits for them.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.shared
            .conns
            .wait_at_most(0, Duration::from_secs(5))
            .await;
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
