//! The routes beside the API: result files, the redirect loop, and the
//! `/__fake/…` control and inspection routes tests use out of process.

use super::*;

pub(super) async fn file(
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
pub(super) async fn redirect_loop(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let rid = new_request_id();
    let mut resp = respond::raw(302, "text/plain; charset=utf-8", "", &rid);
    resp.headers_mut().insert(
        header::LOCATION,
        axum::http::HeaderValue::from_static("/__fake/redirect-loop"),
    );
    sh.log_download("/__fake/redirect-loop".to_owned(), &headers, 302);
    resp
}

pub(super) async fn list_requests(State(sh): State<Arc<Shared>>) -> Json<Vec<RecordedRequest>> {
    Json(sh.requests())
}

pub(super) async fn list_downloads(State(sh): State<Arc<Shared>>) -> Json<Vec<DownloadRecord>> {
    Json(sh.downloads())
}

pub(super) async fn stats(State(sh): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({
        "billed": sh.billed(),
        "requests": sh.seen.load(Ordering::SeqCst),
        "downloads": lock(&sh.downloads).len(),
        "open_connections": sh.conns.open(),
        "queued_faults": lock(&sh.faults).len(),
    }))
}

/// `POST /__fake/faults` with `["500","429",…]`.
pub(super) async fn push_faults(State(sh): State<Arc<Shared>>, body: Body) -> Response {
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
pub(super) async fn set_shape(State(sh): State<Arc<Shared>>, body: Body) -> Response {
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

pub(super) async fn not_found(req: Request) -> impl IntoResponse {
    let rid = new_request_id();
    let msg = format!("Invalid URL ({} {})", req.method(), req.uri().path());
    respond::error(&ApiError::new(404, msg), &rid)
}

/// `POST /__fake/release`: every `[fake:hold]` request, waiting or to
/// come, answers now.
pub(super) async fn release(State(sh): State<Arc<Shared>>) -> Response {
    sh.released.send_replace(true);
    respond::json_response(200, &json!({"released": true}), &new_request_id())
}
