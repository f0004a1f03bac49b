//! Runs turns: a [`TurnRequest`] (pure, from the tree) becomes an HTTP
//! exchange, the result image is downloaded, checked and stored, and a
//! [`TurnReport`] comes back to be applied to the tree by its owner.
//!
//! The engine never holds the tree: the CLI and the TUI own it, save it,
//! and apply reports as they arrive, so a late report for a node the user
//! has left still lands on that node (and one for a deleted or cancelled
//! node is dropped by the tree, which only settles pending turns).

use bytes::Bytes;
use time::OffsetDateTime;

use crate::gateway::{self, GatewayError, Outbound, Upload};
use crate::images::{self, ImageInfo, ImageStore};
use crate::provenance::Provenance;
use pixloom_core::history::{self, ImageBudget, ImageForm, OutPart, RequestBody, TurnRequest};
use pixloom_core::model::PRICE_PER_CALL_MICRO_USD;
use pixloom_core::tree::{
    Blob, Conversation, ImageOrigin, ImageRef, NodeId, Outcome, Received, TreeError, TurnError,
};
use pixloom_core::wire::{self, ChatMessage, ContentPart, EditsFields, ImagePayload, Reply};

/// How long the gateway keeps result URLs alive (about a day).
pub const RESULT_URL_LIFETIME: time::Duration = time::Duration::hours(24);

/// What became of one turn.
///
/// The states of a turn (docs/reliability.md, "Paid results"):
/// `pending` → `done` | `refused` | `failed` (billed or not, said in the
/// error) | `unstored` (the picture arrived and was billed but is not on
/// disk) → `done` once stored.
#[derive(Debug, Clone)]
pub enum TurnResult {
    Done {
        image: ImageRef,
    },
    Refused {
        text: String,
    },
    Failed {
        error: TurnError,
    },
    /// The picture arrived (billed) but is not stored: `bytes` holds it
    /// when it came whole, `received` where else it can be had.
    Unstored {
        received: Received,
        error: TurnError,
        bytes: Option<Bytes>,
    },
}

/// Called once per turn as soon as the gateway answers with a picture,
/// before it is downloaded or stored: the driver records it in the tree
/// and saves, so a crash from there on still says where the picture is.
pub type OnReceived<'a> = &'a (dyn Fn(NodeId, &Received, Option<&str>) + Send + Sync);

/// What became of a received picture.
#[derive(Debug, Clone)]
pub enum Kept {
    Stored(Box<ImageRef>),
    /// The bytes are not a usable image: the gateway's fault, still billed.
    Refused(String),
    /// Not stored (yet): why, and the bytes if they are in hand.
    Unstored {
        reason: String,
        bytes: Option<Bytes>,
    },
}

/// A finished turn, addressed to its node.
#[derive(Debug, Clone)]
pub struct TurnReport {
    pub node: NodeId,
    pub result: TurnResult,
    pub outcome: Outcome,
    /// Upload copies prepared on the way, to record in the tree so they are
    /// not prepared again: `(original sha256, prepared blob)`.
    pub upload_copies: Vec<(String, Blob)>,
}

impl TurnReport {
    /// Settles the node. A node that is no longer pending (cancelled,
    /// deleted) refuses the report, which is then dropped.
    pub fn apply(&self, conv: &mut Conversation) -> Result<(), TreeError> {
        for (sha, blob) in &self.upload_copies {
            let seal = Provenance::installation().upload_seal(sha, &blob.sha256);
            conv.set_upload_copy(sha, blob, &seal);
        }
        match &self.result {
            TurnResult::Done { image } => {
                conv.complete(self.node, image.clone(), self.outcome.clone())
            }
            TurnResult::Refused { text } => {
                conv.refuse(self.node, text.clone(), self.outcome.clone())
            }
            TurnResult::Failed { error } => {
                conv.fail(self.node, error.clone(), self.outcome.clone())
            }
            TurnResult::Unstored {
                received, error, ..
            } => conv.hold(
                self.node,
                received.clone(),
                error.clone(),
                self.outcome.clone(),
            ),
        }
    }
}

/// The gateway client plus request shaping. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    client: gateway::Client,
    budget: ImageBudget,
    /// Whether gateway URLs of earlier results may be sent instead of the
    /// local copies. Off under `--demo`: each demo run starts a new fake
    /// gateway, so URLs from an earlier run are dead however young.
    reuse_remote_urls: bool,
}

/// A failure before or after the exchange (local files, the result image).
struct LocalFailure(String);

impl Engine {
    pub fn new(client: gateway::Client, budget: ImageBudget) -> Self {
        Engine {
            client,
            budget,
            reuse_remote_urls: true,
        }
    }

    /// Sends every earlier image from its local copy, never by URL.
    #[must_use]
    pub fn without_remote_urls(mut self) -> Self {
        self.reuse_remote_urls = false;
        self
    }

    /// The gateway client, for fetching a paid picture from its link.
    pub fn client(&self) -> &gateway::Client {
        &self.client
    }

    /// Builds the request for pending turn `node` from the tree as it is now.
    pub fn plan(
        &self,
        conv: &Conversation,
        node: NodeId,
    ) -> Result<TurnRequest, history::HistoryError> {
        history::build_request(conv, node, self.budget, OffsetDateTime::now_utc())
    }

    /// Runs one planned turn to the end. Never panics, never returns early
    /// without a report: every outcome is a [`TurnResult`].
    pub async fn run(&self, store: ImageStore, req: TurnRequest) -> TurnReport {
        self.run_noting(store, req, &|_, _, _| {}).await
    }

    /// [`Engine::run`], calling `on_received` as soon as a picture arrives.
    pub async fn run_noting(
        &self,
        store: ImageStore,
        req: TurnRequest,
        on_received: OnReceived<'_>,
    ) -> TurnReport {
        self.run_watched(store, req, on_received, &|_, _| {}).await
    }

    /// [`Engine::run_noting`], also telling `on_retry` before each retry.
    pub async fn run_watched(
        &self,
        store: ImageStore,
        req: TurnRequest,
        on_received: OnReceived<'_>,
        on_retry: &(dyn Fn(NodeId, &gateway::RetryNote) + Send + Sync),
    ) -> TurnReport {
        let node = req.node;
        let mut report = TurnReport {
            node,
            result: TurnResult::Failed {
                error: TurnError::default(),
            },
            outcome: Outcome::default(),
            upload_copies: Vec::new(),
        };
        let on_retry = |note: &gateway::RetryNote| on_retry(node, note);
        let mut reuse = self.reuse_remote_urls;
        let sent = loop {
            let outbound = match self
                .outbound(&store, &req, reuse, &mut report.upload_copies)
                .await
            {
                Ok(o) => o,
                Err(LocalFailure(message)) => {
                    report.result = failed(message);
                    return report;
                }
            };
            tracing::info!(%node, path = outbound.path(), model = %req.params.model, size = %req.params.size, "sending");
            let sent = self.client.send_observed(&outbound, &on_retry).await;
            match &sent {
                // The gateway may forget a result before the expiry it
                // gave (a restart, a purge): a refusal of the request
                // itself, when it carried gateway URLs, is answered once
                // more with every image from its local copy.
                Err(e) if reuse && sends_remote_urls(&req) && rejects_request(e) => {
                    tracing::warn!(%node, status = ?e.status, "the gateway refused a request that reused its URLs; sending local copies instead");
                    reuse = false;
                }
                _ => break sent,
            }
        };
        match sent {
            Ok(ok) => {
                report.outcome = Outcome {
                    request_id: ok.request_id.clone(),
                    latency_ms: Some(u64::try_from(ok.elapsed.as_millis()).unwrap_or(u64::MAX)),
                    // Both an image and a refusal may be billed.
                    cost_micro_usd: PRICE_PER_CALL_MICRO_USD,
                    attempts: ok.attempts,
                };
                report.result = match ok.reply {
                    Reply::Refusal(text) => TurnResult::Refused { text },
                    Reply::Images(mut imgs) => {
                        let payload = imgs.swap_remove(0);
                        let (received, bytes) = received_of(payload, OffsetDateTime::now_utc());
                        on_received(node, &received, ok.request_id.as_deref());
                        self.keep_result(&store, received, bytes).await
                    }
                };
            }
            Err(e) => {
                report.outcome = Outcome {
                    request_id: e.request_id.clone(),
                    latency_ms: None,
                    cost_micro_usd: 0,
                    attempts: e.attempts,
                };
                report.result = TurnResult::Failed {
                    error: turn_error(&e),
                };
            }
        }
        report
    }

    async fn outbound(
        &self,
        store: &ImageStore,
        req: &TurnRequest,
        reuse_remote_urls: bool,
        copies: &mut Vec<(String, Blob)>,
    ) -> Result<Outbound, LocalFailure> {
        let model = req.params.model.as_str();
        match &req.body {
            RequestBody::Chat { messages, size } => {
                let mut wire_messages = Vec::with_capacity(messages.len());
                for m in messages {
                    let mut content = Vec::with_capacity(m.parts.len());
                    for p in &m.parts {
                        content.push(match p {
                            OutPart::Text(text) => ContentPart::Text { text: text.clone() },
                            OutPart::Image(img) => {
                                let url = match &img.form {
                                    ImageForm::RemoteUrl(u) if reuse_remote_urls => u.clone(),
                                    ImageForm::RemoteUrl(_) | ImageForm::LocalCopy => {
                                        let (bytes, info) =
                                            upload_bytes(store, &img.image, copies).await?;
                                        images::data_url(&bytes, &info)
                                    }
                                };
                                ContentPart::ImageUrl {
                                    image_url: wire::ImageUrl { url },
                                }
                            }
                        });
                    }
                    wire_messages.push(ChatMessage {
                        role: m.role,
                        content,
                    });
                }
                let body = wire::ChatRequest {
                    model,
                    messages: wire_messages,
                    size: size.clone(),
                    stream: false,
                };
                json(req.body.path(), &body)
            }
            RequestBody::Generations { prompt, size } => {
                let body = wire::GenerationsRequest {
                    model,
                    prompt,
                    size: size.clone(),
                    response_format: "url",
                };
                json(req.body.path(), &body)
            }
            RequestBody::Edits {
                prompt,
                images: refs,
                size,
            } => {
                let mut files = Vec::with_capacity(refs.len());
                for (i, img) in refs.iter().enumerate() {
                    let (bytes, info) = upload_bytes(store, img, copies).await?;
                    files.push(Upload {
                        file_name: format!("image{}.{}", i + 1, info.format.ext()),
                        mime: info.format.mime(),
                        bytes: Bytes::from(bytes),
                    });
                }
                Ok(Outbound::Edits {
                    fields: EditsFields {
                        model: model.to_owned(),
                        prompt: prompt.clone(),
                        size: size.clone(),
                        response_format: "url",
                    },
                    files,
                })
            }
        }
    }

    /// Downloads (if need be), checks and stores a result image before
    /// the turn may be marked done; anything local that fails leaves the
    /// turn `unstored`, never a lost picture.
    async fn keep_result(
        &self,
        store: &ImageStore,
        mut received: Received,
        bytes: Option<Bytes>,
    ) -> TurnResult {
        let kept = keep_received(
            Some(&self.client),
            store,
            &mut received,
            bytes,
            OffsetDateTime::now_utc(),
        )
        .await;
        match kept {
            Kept::Stored(image) => TurnResult::Done { image: *image },
            Kept::Refused(m) => TurnResult::Failed {
                error: TurnError {
                    message: format!("the result image was refused: {m}. The call was billed."),
                    may_have_been_billed: true,
                    ..TurnError::default()
                },
            },
            Kept::Unstored { reason, bytes } => TurnResult::Unstored {
                received,
                error: TurnError {
                    message: format!(
                        "the picture arrived (the call was billed) but is not stored: {reason}"
                    ),
                    may_have_been_billed: true,
                    ..TurnError::default()
                },
                bytes,
            },
        }
    }
}

/// What the gateway's answer says about the picture, and its bytes when
/// they came inline.
fn received_of(payload: ImagePayload, now: OffsetDateTime) -> (Received, Option<Bytes>) {
    match payload {
        ImagePayload::Url(url) => (
            Received {
                url: Some(url),
                expires_at: Some(now + RESULT_URL_LIFETIME),
                sha256: None,
                spare_copy: None,
                seal: None,
            },
            None,
        ),
        ImagePayload::Bytes { bytes, .. } => (
            Received {
                url: None,
                expires_at: None,
                sha256: None,
                spare_copy: None,
                seal: None,
            },
            Some(Bytes::from(bytes)),
        ),
    }
}

/// Stores a received picture: from `bytes` when in hand, else from the
/// spare copy if it still has the recorded content, else from the
/// gateway's link while it is alive. `client` (no key is sent with
/// downloads) may be absent: then only what is in hand can be stored.
/// Records the content's hash in `received` once known.
pub async fn keep_received(
    client: Option<&gateway::Client>,
    store: &ImageStore,
    received: &mut Received,
    bytes: Option<Bytes>,
    now: OffsetDateTime,
) -> Kept {
    let bytes = match bytes {
        Some(b) => b,
        None => match spare_copy(received).await {
            Some(b) => b,
            None => match (&received.url, client) {
                (Some(url), Some(client)) if received.url_alive(now) => {
                    match client.download(url).await {
                        Ok(b) => Bytes::from(b),
                        Err(e) => {
                            return Kept::Unstored {
                                reason: format!("downloading it failed: {}", e.message),
                                bytes: None,
                            };
                        }
                    }
                }
                (Some(_), None) => {
                    return Kept::Unstored {
                        reason: "fetching it from its link needs an API key configured".into(),
                        bytes: None,
                    };
                }
                (Some(_), Some(_)) => {
                    return Kept::Unstored {
                        reason: "its link has expired and no copy is left".into(),
                        bytes: None,
                    };
                }
                (None, _) => {
                    return Kept::Unstored {
                        reason: "no copy of it is left and the gateway gave no link".into(),
                        bytes: None,
                    };
                }
            },
        },
    };
    let (store, held) = (store.clone(), bytes.clone());
    let stored = tokio::task::spawn_blocking(move || -> Result<Blob, Kept> {
        let info = images::accept_result(&held).map_err(|e| Kept::Refused(e.to_string()))?;
        store.put(&held, &info).map_err(|e| Kept::Unstored {
            reason: e.to_string(),
            bytes: Some(held.clone()),
        })
    })
    .await
    .unwrap_or_else(|e| {
        Err(Kept::Unstored {
            reason: format!("storing it failed: {e}"),
            bytes: Some(bytes.clone()),
        })
    });
    match stored {
        Ok(original) => Kept::Stored(Box::new(ImageRef {
            remote: received.url.clone().map(|url| {
                let expires_at = received.expires_at.unwrap_or(now + RESULT_URL_LIFETIME);
                Provenance::installation().remote(&original.sha256, url, expires_at)
            }),
            original,
            upload: None,
            upload_seal: None,
            origin: ImageOrigin::Result,
        })),
        Err(kept) => {
            if let Kept::Unstored { bytes: Some(b), .. } = &kept {
                received.sha256 = Some(sha256_hex(b));
            }
            kept
        }
    }
}

/// The spare copy's bytes, if the file is there with the recorded content
/// (it lives outside the folder and its path comes from a file that can be
/// edited, so it is checked, never trusted: a regular file, no larger than
/// a result download may be, with the recorded hash).
async fn spare_copy(received: &Received) -> Option<Bytes> {
    use std::io::Read as _;
    let (path, want) = (received.spare_copy.clone()?, received.sha256.clone()?);
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(path).ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() > images::MAX_DOWNLOAD_BYTES {
            return None;
        }
        let mut bytes = Vec::new();
        file.take(images::MAX_DOWNLOAD_BYTES)
            .read_to_end(&mut bytes)
            .ok()?;
        (sha256_hex(&bytes) == want).then(|| Bytes::from(bytes))
    })
    .await
    .ok()
    .flatten()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn json(path: &'static str, body: &impl serde::Serialize) -> Result<Outbound, LocalFailure> {
    serde_json::to_vec(body)
        .map(|b| Outbound::Json {
            path,
            body: Bytes::from(b),
        })
        .map_err(|e| LocalFailure(format!("could not encode the request: {e}")))
}

fn failed(message: String) -> TurnResult {
    TurnResult::Failed {
        error: TurnError {
            message,
            ..TurnError::default()
        },
    }
}

/// The turn's copy of a gateway error.
/// Whether the request names any image by a gateway URL.
fn sends_remote_urls(req: &TurnRequest) -> bool {
    match &req.body {
        RequestBody::Chat { messages, .. } => messages.iter().any(|m| {
            m.parts.iter().any(|p| {
                matches!(
                    p,
                    OutPart::Image(img) if matches!(img.form, ImageForm::RemoteUrl(_))
                )
            })
        }),
        RequestBody::Generations { .. } | RequestBody::Edits { .. } => false,
    }
}

/// A refusal of the request as sent (400, 404, 410, 422): not billed, and
/// possibly caused by a gateway URL the gateway no longer has.
fn rejects_request(e: &GatewayError) -> bool {
    matches!(
        e.kind,
        gateway::ErrorKind::BadRequest | gateway::ErrorKind::NotFound
    ) && !e.may_have_been_billed
}

pub fn turn_error(e: &GatewayError) -> TurnError {
    TurnError {
        message: e.message.clone(),
        http_status: e.status,
        may_have_been_billed: e.may_have_been_billed,
        raw_body: e.raw_body.clone(),
    }
}

/// The bytes to send for an image: its prepared copy, preparing (and
/// storing) one now if it has none and the original is not fit to send.
async fn upload_bytes(
    store: &ImageStore,
    image: &ImageRef,
    copies: &mut Vec<(String, Blob)>,
) -> Result<(Vec<u8>, ImageInfo), LocalFailure> {
    let known = image.upload.clone().or_else(|| {
        copies
            .iter()
            .find(|(s, _)| *s == image.original.sha256)
            .map(|(_, b)| b.clone())
    });
    let (store2, original) = (store.clone(), image.original.clone());
    let (bytes, info, new_blob) =
        tokio::task::spawn_blocking(move || -> Result<_, images::ImageError> {
            if let Some(blob) = known {
                let bytes = store2.read(&blob)?;
                let info = images::inspect(&bytes)?;
                return Ok((bytes, info, None));
            }
            let bytes = store2.read(&original)?;
            let prepared = images::prepare_upload(&bytes)?;
            if prepared.bytes == bytes {
                return Ok((prepared.bytes, prepared.info, None));
            }
            let blob = store2.put(&prepared.bytes, &prepared.info)?;
            Ok((prepared.bytes, prepared.info, Some(blob)))
        })
        .await
        .map_err(|e| LocalFailure(format!("preparing an image failed: {e}")))?
        .map_err(|e| LocalFailure(e.to_string()))?;
    if let Some(b) = new_blob {
        copies.push((image.original.sha256.clone(), b));
    }
    Ok((bytes, info))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::{ImageKind, testimg};

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    fn link() -> Received {
        Received {
            url: Some("http://127.0.0.1:9/files/x.png".into()),
            expires_at: Some(OffsetDateTime::now_utc() + RESULT_URL_LIFETIME),
            sha256: None,
            spare_copy: None,
            seal: None,
        }
    }

    /// The injected failure: a store whose folder is a file.
    fn broken_store(dir: &std::path::Path) -> ImageStore {
        std::fs::write(dir.join("images"), b"in the way").unwrap();
        ImageStore::at(dir.join("images"))
    }

    #[test]
    fn a_store_failure_keeps_the_bytes_and_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let png = Bytes::from(testimg::encoded(ImageKind::Png, 8, 8));
        let mut r = link();
        let kept = rt().block_on(keep_received(
            None,
            &broken_store(dir.path()),
            &mut r,
            Some(png.clone()),
            OffsetDateTime::now_utc(),
        ));
        match kept {
            Kept::Unstored { bytes, reason } => {
                assert_eq!(bytes, Some(png.clone()));
                assert!(reason.contains("images"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.sha256, Some(sha256_hex(&png)));
        // The same bytes once the folder is back: stored, link kept.
        std::fs::remove_file(dir.path().join("images")).unwrap();
        let store = ImageStore::open(dir.path().join("images")).unwrap();
        let kept = rt().block_on(keep_received(
            None,
            &store,
            &mut r,
            Some(png.clone()),
            OffsetDateTime::now_utc(),
        ));
        let Kept::Stored(image) = kept else {
            panic!("{kept:?}")
        };
        assert_eq!(store.read(&image.original).unwrap(), png);
        assert_eq!(image.remote.unwrap().url, link().url.unwrap());
    }

    #[test]
    fn bytes_that_are_no_image_are_refused_not_held() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path()).unwrap();
        let kept = rt().block_on(keep_received(
            None,
            &store,
            &mut link(),
            Some(Bytes::from_static(b"<html>not a picture</html>")),
            OffsetDateTime::now_utc(),
        ));
        assert!(matches!(kept, Kept::Refused(_)), "{kept:?}");
    }

    #[test]
    fn a_spare_copy_is_taken_only_as_a_small_regular_file_with_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path().join("images")).unwrap();
        let png = testimg::encoded(ImageKind::Png, 8, 8);
        let copy = dir.path().join("spare.png");
        std::fs::write(&copy, &png).unwrap();
        let try_with = |path: &str, sha: String| {
            let mut r = Received {
                spare_copy: Some(path.to_owned()),
                seal: None,
                sha256: Some(sha),
                ..link()
            };
            rt().block_on(keep_received(
                None,
                &store,
                &mut r,
                None,
                OffsetDateTime::now_utc(),
            ))
        };
        let other = sha256_hex(b"something else");
        let path = copy.display().to_string();
        // Edited content, a device that never ends, a folder: not taken;
        // without a client the link cannot be tried either.
        for (p, sha) in [
            (path.as_str(), other.clone()),
            ("/dev/zero", other.clone()),
            ("/", other),
        ] {
            match try_with(p, sha) {
                Kept::Unstored {
                    bytes: None,
                    reason,
                } => {
                    assert!(reason.contains("API key"), "{reason}");
                }
                kept => panic!("{p}: {kept:?}"),
            }
        }
        assert!(matches!(try_with(&path, sha256_hex(&png)), Kept::Stored(_)));
    }

    #[test]
    fn an_expired_link_with_nothing_in_hand_says_the_picture_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path()).unwrap();
        let client = gateway::Client::new(gateway::Settings::new(
            "http://127.0.0.1:9",
            gateway::ApiKey::new("k").expect("a sendable key"),
        ))
        .unwrap();
        let mut r = link();
        let later = OffsetDateTime::now_utc() + RESULT_URL_LIFETIME * 2;
        let kept = rt().block_on(keep_received(Some(&client), &store, &mut r, None, later));
        match kept {
            Kept::Unstored { reason, .. } => assert!(reason.contains("expired"), "{reason}"),
            kept => panic!("{kept:?}"),
        }
    }
}
