//! Runs turns: a [`TurnRequest`] (pure, from the tree) becomes an HTTP
//! exchange, the result image is downloaded, checked and stored, and a
//! [`TurnReport`] comes back to be applied to the tree by its owner.
//!
//! The engine never holds the tree: the CLI and the TUI own it, save it,
//! and apply reports as they arrive, so a late report for a node the user
//! has left still lands on that node (and one for a deleted or cancelled
//! node is dropped by the tree, which only settles pending turns).

mod keep;
mod outbound;
mod report;

use bytes::Bytes;
use time::OffsetDateTime;

use crate::gateway::{self, GatewayError};
use crate::images::ImageStore;
use crate::ledger::{self, Ledger};
use pixloom_core::history::{self, ImageBudget, ImageForm, OutPart, RequestBody, TurnRequest};
use pixloom_core::model::PRICE_PER_CALL_MICRO_USD;
use pixloom_core::tree::{Conversation, NodeId, Outcome, Received, TurnError};
use pixloom_core::wire::Reply;

pub use keep::{Kept, RESULT_URL_LIFETIME, keep_received};
pub use report::{OnReceived, TurnReport, TurnResult};

use keep::received_of;
use outbound::{LocalFailure, outbound};

/// The gateway client plus request shaping. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    client: gateway::Client,
    budget: ImageBudget,
    /// Whether gateway URLs of earlier results may be sent instead of the
    /// local copies. Off under `--demo`: each demo run starts a new fake
    /// gateway, so URLs from an earlier run are dead however young.
    reuse_remote_urls: bool,
    /// Where every call that goes out is recorded (off unless set).
    ledger: Ledger,
}

impl Engine {
    pub fn new(client: gateway::Client, budget: ImageBudget) -> Self {
        Engine {
            client,
            budget,
            reuse_remote_urls: true,
            ledger: Ledger::default(),
        }
    }

    /// Records every call this engine makes in `ledger`.
    #[must_use]
    pub fn with_ledger(mut self, ledger: Ledger) -> Self {
        self.ledger = ledger;
        self
    }

    /// Sends every earlier image from its local copy, never by URL.
    #[must_use]
    pub(crate) fn without_remote_urls(mut self) -> Self {
        self.reuse_remote_urls = false;
        self
    }

    /// The gateway client, for fetching a paid picture from its link.
    pub(crate) fn client(&self) -> &gateway::Client {
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
    pub(crate) async fn run_noting(
        &self,
        store: ImageStore,
        req: TurnRequest,
        on_received: OnReceived<'_>,
    ) -> TurnReport {
        self.run_watched(store, req, on_received, &|_, _| {}).await
    }

    /// [`Engine::run_noting`], also telling `on_retry` before each retry.
    pub(crate) async fn run_watched(
        &self,
        store: ImageStore,
        req: TurnRequest,
        on_received: OnReceived<'_>,
        on_retry: &(dyn Fn(NodeId, &gateway::RetryNote) + Send + Sync),
    ) -> TurnReport {
        let node = req.node;
        let mut report = TurnReport::failed(node, String::new());
        let on_retry = |note: &gateway::RetryNote| on_retry(node, note);
        let mut reuse = self.reuse_remote_urls;
        let sent = loop {
            let outbound = match outbound(&store, &req, reuse, &mut report.upload_copies).await {
                Ok(o) => o,
                Err(LocalFailure(message)) => {
                    report.result = TurnResult::failed(message);
                    return report;
                }
            };
            tracing::info!(%node, path = outbound.path(), model = %req.params.model, size = %req.params.size, "sending");
            let (call, warning) = self.ledger.sent(&req);
            report.ledger_warning = report.ledger_warning.take().or(warning);
            let sent = self.client.send_observed(&outbound, &on_retry).await;
            let warning = match &sent {
                Ok(ok) => self.ledger.settle(
                    call,
                    match ok.reply {
                        Reply::Refusal(_) => ledger::Kind::Refused,
                        Reply::Images(_) => ledger::Kind::Done,
                    },
                    ok.request_id.as_deref(),
                    Some(millis(ok.elapsed)),
                ),
                Err(e) => self.ledger.settle(
                    call,
                    if e.may_have_been_billed {
                        ledger::Kind::FailedMayHaveBeenBilled
                    } else {
                        ledger::Kind::Failed
                    },
                    e.request_id.as_deref(),
                    None,
                ),
            };
            report.ledger_warning = report.ledger_warning.take().or(warning);
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
                    latency_ms: Some(millis(ok.elapsed)),
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

/// A latency in whole milliseconds.
fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

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

/// The turn's copy of a gateway error.
pub(crate) fn turn_error(e: &GatewayError) -> TurnError {
    TurnError {
        message: crate::advice::gateway(e),
        http_status: e.status,
        may_have_been_billed: e.may_have_been_billed,
        raw_body: e.raw_body.clone(),
    }
}

#[cfg(test)]
mod tests;
