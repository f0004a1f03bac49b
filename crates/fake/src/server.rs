//! Routes and the answer to each API request: auth, then the body, then
//! validation, then latency, then a fault or a picture.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
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
use super::validate::{self, Endpoint, FormPart, Job, Want};
use super::{
    DownloadRecord, FakeConfig, RecordedPart, RecordedRequest, new_request_id, picture, respond,
};

/// The largest request body read (several 10 MB images, base64-encoded).
const MAX_BODY: usize = 128 * 1024 * 1024;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge the fake: the data stays usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// State shared by every connection.
pub(crate) struct Shared {
    pub addr: SocketAddr,
    pub conns: Arc<Conns>,
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
}

impl Shared {
    pub(crate) fn new(cfg: FakeConfig, addr: SocketAddr) -> Shared {
        Shared {
            addr,
            conns: Arc::new(Conns::new()),
            latency: cfg.latency,
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
        .route("/files/{name}", get(file))
        .route("/__fake/requests", get(list_requests))
        .route("/__fake/downloads", get(list_downloads))
        .route("/__fake/stats", get(stats))
        .route("/__fake/faults", post(push_faults))
        .route("/__fake/shape", post(set_shape))
        .route("/__fake/redirect-loop", get(redirect_loop))
        .fallback(not_found)
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

/// A request body as it arrived.
enum Incoming {
    Json(Value),
    Form(Vec<FormPart>),
}

/// Reads the whole body: JSON for chat and generations, multipart for edits.
async fn read_body(ep: Endpoint, req: Request) -> Result<Incoming, ApiError> {
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
fn auth(headers: &HeaderMap, key: Option<&str>) -> (bool, bool) {
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

fn header_value<T: std::str::FromStr>(
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

fn record_of(
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
                sha256: store::sha256_hex(&p.data),
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
fn clock_us() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
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
    let img = match &reference {
        Some(r) => picture::derive(r, &job.prompt, draw, w, h),
        None => picture::generate(&job.prompt, draw, w, h),
    };
    let png = picture::encode_png(&img)
        .map_err(|e| ApiError::new(500, format!("PNG encoding failed: {e}")))?;
    Ok((Bytes::from(png), (w, h)))
}

async fn file(
    State(sh): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lookup = match name.strip_suffix(".png") {
        Some(id) => lock(&sh.files).get(id, sh.now(), sh.url_ttl),
        None => Lookup::Missing,
    };
    let rid = new_request_id();
    let resp = match lookup {
        Lookup::Found(png) => respond::raw(200, "image/png", png, &rid),
        Lookup::Expired | Lookup::Missing => {
            respond::raw(404, "text/plain; charset=utf-8", "404 Not Found", &rid)
        }
    };
    sh.log_download(format!("/files/{name}"), &headers, resp.status().as_u16());
    resp
}

/// `GET /__fake/redirect-loop`: a 302 to itself, forever; each hop is
/// logged with the downloads.
async fn redirect_loop(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let rid = new_request_id();
    let mut resp = respond::raw(302, "text/plain; charset=utf-8", "", &rid);
    resp.headers_mut().insert(
        header::LOCATION,
        axum::http::HeaderValue::from_static("/__fake/redirect-loop"),
    );
    sh.log_download("/__fake/redirect-loop".to_owned(), &headers, 302);
    resp
}

async fn list_requests(State(sh): State<Arc<Shared>>) -> Json<Vec<RecordedRequest>> {
    Json(sh.requests())
}

async fn list_downloads(State(sh): State<Arc<Shared>>) -> Json<Vec<DownloadRecord>> {
    Json(sh.downloads())
}

async fn stats(State(sh): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({
        "billed": sh.billed(),
        "requests": sh.seen.load(Ordering::SeqCst),
        "downloads": lock(&sh.downloads).len(),
        "open_connections": sh.conns.open(),
        "queued_faults": lock(&sh.faults).len(),
    }))
}

/// `POST /__fake/faults` with `["500","429",…]`.
async fn push_faults(State(sh): State<Arc<Shared>>, body: Body) -> Response {
    let rid = new_request_id();
    let parsed = async {
        let bytes = to_bytes(body, 1 << 20)
            .await
            .map_err(|e| ApiError::bad(format!("body: {e}")))?;
        let names: Vec<String> = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad(format!("expected a JSON list of fault names: {e}")))?;
        names
            .iter()
            .map(|n| n.parse::<Fault>().map_err(|e| ApiError::bad(e.0)))
            .collect::<Result<Vec<_>, _>>()
    }
    .await;
    match parsed {
        Ok(faults) => {
            let n = faults.len();
            sh.push_faults(faults);
            respond::json_response(200, &json!({"queued": n}), &rid)
        }
        Err(e) => respond::error(&e, &rid),
    }
}

/// `POST /__fake/shape` with `{"shape":"chat-markdown"}` or `{"shape":null}`.
async fn set_shape(State(sh): State<Arc<Shared>>, body: Body) -> Response {
    let rid = new_request_id();
    let parsed = async {
        let bytes = to_bytes(body, 1 << 16)
            .await
            .map_err(|e| ApiError::bad(format!("body: {e}")))?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| ApiError::bad(format!("{e}")))?;
        match v.get("shape") {
            Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => s.parse::<Shape>().map(Some).map_err(|e| ApiError::bad(e.0)),
            _ => Err(ApiError::bad("expected {\"shape\": NAME or null}")),
        }
    }
    .await;
    match parsed {
        Ok(shape) => {
            sh.set_shape(shape);
            respond::json_response(200, &json!({"shape": shape.map(|s| s.to_string())}), &rid)
        }
        Err(e) => respond::error(&e, &rid),
    }
}

async fn not_found(req: Request) -> impl IntoResponse {
    let rid = new_request_id();
    let msg = format!("Invalid URL ({} {})", req.method(), req.uri().path());
    respond::error(&ApiError::new(404, msg), &rid)
}
