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

use crate::core::history::{self, ImageBudget, ImageForm, OutPart, RequestBody, TurnRequest};
use crate::core::model::PRICE_PER_CALL_MICRO_USD;
use crate::core::tree::{
    Blob, Conversation, ImageOrigin, ImageRef, NodeId, Outcome, TreeError, TurnError,
};
use crate::core::wire::{self, ChatMessage, ContentPart, EditsFields, ImagePayload, Reply};
use crate::gateway::{self, GatewayError, Outbound, Upload};
use crate::images::{self, ImageInfo, ImageStore};
use crate::provenance::Provenance;

/// How long the gateway keeps result URLs alive (about a day).
pub const RESULT_URL_LIFETIME: time::Duration = time::Duration::hours(24);

/// What became of one turn.
#[derive(Debug, Clone)]
pub enum TurnResult {
    Done { image: ImageRef },
    Refused { text: String },
    Failed { error: TurnError },
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
            conv.set_upload_copy(sha, blob);
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
        let node = req.node;
        let mut report = TurnReport {
            node,
            result: TurnResult::Failed {
                error: TurnError::default(),
            },
            outcome: Outcome::default(),
            upload_copies: Vec::new(),
        };
        let outbound = match self.outbound(&store, &req, &mut report.upload_copies).await {
            Ok(o) => o,
            Err(LocalFailure(message)) => {
                report.result = failed(message);
                return report;
            }
        };
        tracing::info!(%node, path = outbound.path(), model = %req.params.model, size = %req.params.size, "sending");
        match self.client.send(&outbound).await {
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
                        match self.keep_result(&store, imgs.swap_remove(0)).await {
                            Ok(image) => TurnResult::Done { image },
                            Err(LocalFailure(m)) => failed(format!("{m} The call was billed.")),
                        }
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
                                    ImageForm::RemoteUrl(u) if self.reuse_remote_urls => u.clone(),
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

    /// Downloads (if need be), checks and stores a result image before the
    /// turn may be marked done.
    async fn keep_result(
        &self,
        store: &ImageStore,
        payload: ImagePayload,
    ) -> Result<ImageRef, LocalFailure> {
        let received = OffsetDateTime::now_utc();
        let (bytes, url) = match payload {
            ImagePayload::Url(url) => {
                let bytes = self
                    .client
                    .download(&url)
                    .await
                    .map_err(|e| LocalFailure(e.message))?;
                (bytes, Some(url))
            }
            ImagePayload::Bytes { bytes, .. } => (bytes, None),
        };
        let store = store.clone();
        let original = tokio::task::spawn_blocking(move || store.keep_result(&bytes))
            .await
            .map_err(|e| LocalFailure(format!("storing the result image failed: {e}.")))?
            .map_err(|e| LocalFailure(format!("the result image was refused: {e}.")))?;
        let remote = url.map(|url| {
            Provenance::installation().remote(&original.sha256, url, received + RESULT_URL_LIFETIME)
        });
        Ok(ImageRef {
            original,
            upload: None,
            origin: ImageOrigin::Result,
            remote,
        })
    }
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
