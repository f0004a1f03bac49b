//! Routes and the answer to each API request: auth, then the body, then
//! validation, then latency, then a fault or a picture.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use super::conn::{ConnKill, Conns};
use super::faults::{Echo, Fault, Shape};
use super::request::{ApiError, Ctx};
use super::store::{self, Files, Lookup};
use super::validate::{self, Endpoint, Job, Want};
use super::{DownloadRecord, FakeConfig, RecordedRequest, new_request_id, picture, respond};

mod control;
mod intake;

use intake::{Incoming, MAX_BODY, auth, clock_us, header_value, read_body, record_of};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge the fake: the data stays usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// State shared by every connection.
pub(crate) struct Shared {
    pub(crate) addr: SocketAddr,
    pub(crate) conns: Arc<Conns>,
    latency: Duration,
    api_key: Option<String>,
    url_ttl: Duration,
    hang_for: Duration,
    shape: Mutex<Option<Shape>>,
    faults: Mutex<VecDeque<Fault>>,
    records: Mutex<VecDeque<RecordedRequest>>,
    seen: AtomicU64,
    /// The seed every picture mixes in ([`FakeConfig::seed`]).
    seed: u64,
    /// Pictures drawn so far: each answer draws the next one, so no two
    /// answers carry the same picture (as with the real gateway).
    draws: AtomicU64,
    downloads: Mutex<VecDeque<DownloadRecord>>,
    billed: AtomicU64,
    /// Bytes handed out by the oversize faults.
    streamed: Arc<AtomicU64>,
    files: Mutex<Files>,
    clock_offset: Mutex<Duration>,
    /// Becomes true with `POST /__fake/release`: `[fake:hold]` requests
    /// answer then.
    pub(crate) released: tokio::sync::watch::Sender<bool>,
}

impl Shared {
    pub(crate) fn new(cfg: FakeConfig, addr: SocketAddr) -> Shared {
        Shared {
            addr,
            conns: Arc::new(Conns::new()),
            latency: cfg.latency,
            released: tokio::sync::watch::Sender::new(false),
            api_key: cfg.api_key,
            url_ttl: cfg.url_ttl,
            hang_for: cfg.hang_for,
            shape: Mutex::new(cfg.shape),
            faults: Mutex::new(cfg.faults.into()),
            records: Mutex::new(VecDeque::new()),
            seen: AtomicU64::new(0),
            seed: cfg.seed,
            draws: AtomicU64::new(0),
            downloads: Mutex::new(VecDeque::new()),
            billed: AtomicU64::new(0),
            streamed: Arc::new(AtomicU64::new(0)),
            files: Mutex::new(Files::default()),
            clock_offset: Mutex::new(Duration::ZERO),
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn now(&self) -> Instant {
        Instant::now() + *lock(&self.clock_offset)
    }

    pub(crate) fn advance_clock(&self, by: Duration) {
        *lock(&self.clock_offset) += by;
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.records).iter().cloned().collect()
    }

    pub(crate) fn downloads(&self) -> Vec<DownloadRecord> {
        lock(&self.downloads).iter().cloned().collect()
    }

    pub(crate) fn billed(&self) -> u64 {
        self.billed.load(Ordering::SeqCst)
    }

    pub(crate) fn streamed_bytes(&self) -> u64 {
        self.streamed.load(Ordering::SeqCst)
    }

    fn bill(&self) {
        self.billed.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.faults).extend(faults);
    }

    pub(crate) fn set_shape(&self, shape: Option<Shape>) {
        *lock(&self.shape) = shape;
    }

    fn record(&self, r: RecordedRequest) {
        self.seen.fetch_add(1, Ordering::SeqCst);
        let mut records = lock(&self.records);
        records.push_back(r);
        while records.len() > store::MAX_RECORDS {
            records.pop_front();
        }
    }

    fn set_status(&self, request_id: &str, status: u16) {
        if let Some(r) = lock(&self.records)
            .iter_mut()
            .rev()
            .find(|r| r.request_id == request_id)
        {
            r.status = status;
            r.answered_us = Some(clock_us());
        }
    }

    fn log_download(&self, path: String, headers: &HeaderMap, status: u16) {
        let mut log = lock(&self.downloads);
        log.push_back(DownloadRecord {
            path,
            had_authorization: headers.contains_key(header::AUTHORIZATION),
            status,
        });
        while log.len() > store::MAX_RECORDS {
            log.pop_front();
        }
    }

    fn own_file(&self, id: &str) -> Option<Bytes> {
        match lock(&self.files).get(id, self.now(), self.url_ttl) {
            Lookup::Found(b) => Some(b),
            Lookup::Expired | Lookup::Missing => None,
        }
    }
}

/// Every route of the fake.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/images/generations", post(generations))
        .route("/v1/images/edits", post(edits))
        .route("/files/{name}", get(control::file))
        .route("/__fake/requests", get(control::list_requests))
        .route("/__fake/downloads", get(control::list_downloads))
        .route("/__fake/stats", get(control::stats))
        .route("/__fake/faults", post(control::push_faults))
        .route("/__fake/shape", post(control::set_shape))
        .route("/__fake/release", post(control::release))
        .route("/__fake/redirect-loop", get(control::redirect_loop))
        .fallback(control::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

async fn chat(State(sh): State<Arc<Shared>>, req: Request) -> Response {
    api(sh, Endpoint::Chat, "/v1/chat/completions", req).await
}

async fn generations(State(sh): State<Arc<Shared>>, req: Request) -> Response {
    api(sh, Endpoint::Generations, "/v1/images/generations", req).await
}

async fn edits(State(sh): State<Arc<Shared>>, req: Request) -> Response {
    api(sh, Endpoint::Edits, "/v1/images/edits", req).await
}

/// What the handler does in the end.
enum Outcome {
    Answer(Response),
    /// Close the connection without a response.
    Drop,
}

async fn api(sh: Arc<Shared>, ep: Endpoint, path: &str, req: Request) -> Response {
    let rid = new_request_id();
    let headers = req.headers().clone();
    let kill = req.extensions().get::<ConnKill>().cloned();
    let (has_auth, authorized) = auth(&headers, sh.api_key.as_deref());
    // The whole request is read first: a hang or a drop happens after the
    // client has sent everything, as with a real upstream.
    let body = read_body(ep, req).await;
    sh.record(record_of(
        path,
        &rid,
        has_auth,
        authorized,
        body.as_ref().ok(),
    ));
    let outcome = match answer(&sh, ep, &headers, has_auth, authorized, body, &rid).await {
        Ok(o) => o,
        Err(e) => Outcome::Answer(respond::error(&e, &rid)),
    };
    match outcome {
        Outcome::Answer(resp) => {
            sh.set_status(&rid, resp.status().as_u16());
            tracing::debug!(path, request_id = %rid, status = resp.status().as_u16(), "fake gateway answered");
            resp
        }
        Outcome::Drop => match kill {
            Some(k) => {
                tracing::debug!(path, request_id = %rid, "fake gateway drops the connection");
                k.pull();
                // The connection task drops this future with the socket.
                std::future::pending::<Response>().await
            }
            None => {
                // Served outside the fake's own accept loop: nothing to pull.
                let resp = respond::error(
                    &ApiError::new(500, "drop fault: no connection to close"),
                    &rid,
                );
                sh.set_status(&rid, 500);
                resp
            }
        },
    }
}

async fn answer(
    sh: &Arc<Shared>,
    ep: Endpoint,
    headers: &HeaderMap,
    has_auth: bool,
    authorized: bool,
    body: Result<Incoming, ApiError>,
    rid: &str,
) -> Result<Outcome, ApiError> {
    if !authorized {
        let msg = if has_auth {
            "Incorrect API key provided. Check the Bearer token."
        } else {
            "You didn't provide an API key. Send it as `Authorization: Bearer sk-…`."
        };
        return Err(ApiError::new(401, msg));
    }
    let body = body?;
    // What an echoing fault sends back.
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let header_fault: Option<Fault> = header_value(headers, "x-fake-fault")?;
    let header_shape: Option<Shape> = header_value(headers, "x-fake-shape")?;
    let header_latency: Option<f64> = header_value(headers, "x-fake-latency")?;
    let header_latency = header_latency
        .map(Duration::try_from_secs_f64)
        .transpose()
        .map_err(|e| ApiError::bad(format!("header x-fake-latency: {e}")))?;
    // Decoding reference images is CPU work: off the runtime.
    let for_lookup = Arc::clone(sh);
    let job = tokio::task::spawn_blocking(move || {
        let own_file = |id: &str| for_lookup.own_file(id);
        let ctx = Ctx {
            port: for_lookup.addr.port(),
            own_file: &own_file,
        };
        match (ep, &body) {
            (Endpoint::Chat, Incoming::Json(v)) => validate::chat(v, &ctx),
            (Endpoint::Generations, Incoming::Json(v)) => validate::generations(v),
            (Endpoint::Edits, Incoming::Form(parts)) => validate::edits(parts),
            _ => Err(ApiError::bad("unexpected body type")),
        }
    })
    .await
    .map_err(|e| ApiError::new(500, format!("the fake could not validate: {e}")))??;
    let fault = match header_fault.or_else(|| job.directives.fault.clone()) {
        Some(f) => Some(f),
        None => lock(&sh.faults).pop_front(),
    };
    let latency = header_latency
        .or(job.directives.latency)
        .unwrap_or(sh.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if job.directives.hold {
        // The sender lives in `sh`, so waiting cannot fail.
        let _ = sh.released.subscribe().wait_for(|released| *released).await;
    }
    match fault {
        None => {}
        Some(Fault::Drop) => return Ok(Outcome::Drop),
        Some(Fault::Hang) => {
            tokio::time::sleep(sh.hang_for).await;
            return Err(ApiError::new(504, "The upstream did not answer in time."));
        }
        Some(Fault::Refusal) => {
            sh.bill();
            let body = respond::chat_body(&job.model, respond::REFUSAL_TEXT, &job.prompt, (0, 0));
            return Ok(Outcome::Answer(respond::json_response(200, &body, rid)));
        }
        Some(Fault::Oversize(n)) => {
            let streamed = Arc::clone(&sh.streamed);
            return Ok(Outcome::Answer(respond::oversize(n, None, streamed, rid)));
        }
        Some(Fault::OversizeClaimed(n)) => {
            let streamed = Arc::clone(&sh.streamed);
            return Ok(Outcome::Answer(respond::oversize(
                u64::MAX,
                Some(n),
                streamed,
                rid,
            )));
        }
        Some(Fault::Echo(Echo::Refusal)) => {
            sh.bill();
            let body =
                respond::chat_body(&job.model, &respond::echo_text(&auth), &job.prompt, (0, 0));
            let mut resp = respond::json_response(200, &body, rid);
            respond::echo_headers(&mut resp, &auth);
            return Ok(Outcome::Answer(resp));
        }
        Some(Fault::Echo(Echo::Url)) => {}
        Some(f) => {
            return Ok(Outcome::Answer(respond::fault(
                &f,
                &sh.base_url(),
                &auth,
                rid,
            )));
        }
    }
    // An echo in the URL: the image is real, its URL carries the key.
    let echo_query = matches!(fault, Some(Fault::Echo(Echo::Url)))
        .then(|| format!("?token={}", auth.rsplit(' ').next().unwrap_or_default()));
    let echoes = echo_query.is_some();
    let shape = if echoes { Some(Shape::DataUrl) } else { None };
    let shape = shape
        .or(header_shape)
        .or(job.directives.shape)
        .or(*lock(&sh.shape))
        .unwrap_or_else(|| ep.default_shape(job.format));
    // Numbered in the order answers are drawn: one client sending in turn
    // meets the same sequence on every run with the same seed.
    let draw = picture::Draw {
        seed: sh.seed,
        number: sh.draws.fetch_add(1, Ordering::SeqCst),
    };
    // Drawing, encoding and serialising are CPU work: off the runtime.
    let for_files = Arc::clone(sh);
    let body = tokio::task::spawn_blocking(move || -> Result<String, ApiError> {
        let (png, size) = render(&job, draw)?;
        let url = shape.has_url().then(|| {
            let id = lock(&for_files.files).insert(png.clone(), for_files.now());
            format!(
                "{}/files/{id}.png{}",
                for_files.base_url(),
                echo_query.as_deref().unwrap_or_default()
            )
        });
        let answer = respond::ImageAnswer {
            model: &job.model,
            prompt: &job.prompt,
            png: &png,
            url: url.as_deref(),
            size,
        };
        respond::image_body(shape, &answer)
            .map_err(|e| ApiError::new(500, format!("the fake could not serialise: {e}")))
    })
    .await
    .map_err(|e| ApiError::new(500, format!("the fake could not draw: {e}")))??;
    sh.bill();
    let mut resp = respond::raw(200, "application/json", body, rid);
    if echoes {
        respond::echo_headers(&mut resp, &auth);
    }
    Ok(Outcome::Answer(resp))
}

/// Draws the result (CPU-bound: runs on the blocking pool).
fn render(job: &Job, draw: picture::Draw) -> Result<(Bytes, (u32, u32)), ApiError> {
    let reference = job
        .reference
        .as_ref()
        .map(|b| image::load_from_memory(b))
        .transpose()
        .map_err(|e| ApiError::bad(format!("the reference image does not decode: {e}")))?;
    let (w, h) = match job.want {
        Want::Exact(s) => (s.width, s.height),
        Want::Auto => picture::auto_size(
            &job.prompt,
            reference.as_ref().map(|r| (r.width(), r.height())),
        ),
        Want::FromPrompt => picture::all_model_size(&job.prompt),
    };
    let img = match (&reference, job.directives.disc) {
        (_, Some(colour)) => picture::disc(colour, w, h),
        (Some(r), None) => picture::derive(r, &job.prompt, draw, w, h),
        (None, None) => picture::generate(&job.prompt, draw, w, h),
    };
    let png = picture::encode_png(&img)
        .map_err(|e| ApiError::new(500, format!("PNG encoding failed: {e}")))?;
    Ok((Bytes::from(png), (w, h)))
}
