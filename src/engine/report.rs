//! What a turn comes back as: its [`TurnResult`] addressed to its node.

use bytes::Bytes;

use crate::provenance::Provenance;
use pixloom_core::tree::{
    Blob, Conversation, ImageRef, NodeId, Outcome, Received, TreeError, TurnError,
};

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

impl TurnResult {
    /// A failure that was not billed: `message` says why.
    pub(crate) fn failed(message: String) -> TurnResult {
        TurnResult::Failed {
            error: TurnError {
                message,
                ..TurnError::default()
            },
        }
    }
}

/// Called once per turn as soon as the gateway answers with a picture,
/// before it is downloaded or stored: the driver records it in the tree
/// and saves, so a crash from there on still says where the picture is.
pub type OnReceived<'a> = &'a (dyn Fn(NodeId, &Received, Option<&str>) + Send + Sync);

/// A finished turn, addressed to its node.
#[derive(Debug, Clone)]
pub struct TurnReport {
    pub node: NodeId,
    pub result: TurnResult,
    pub(crate) outcome: Outcome,
    /// Upload copies prepared on the way, to record in the tree so they are
    /// not prepared again: `(original sha256, prepared blob)`.
    pub(crate) upload_copies: Vec<(String, Blob)>,
    /// Set when the ledger could not be written (the first time in this
    /// process only): the driver shows it once; the turn is unaffected.
    pub ledger_warning: Option<String>,
}

impl TurnReport {
    /// The report of a turn that failed before anything was billed or
    /// received: `message` says why. The one way such a report is built
    /// (the engine, and a driver whose task could not run the turn).
    pub(crate) fn failed(node: NodeId, message: String) -> TurnReport {
        TurnReport {
            node,
            result: TurnResult::failed(message),
            outcome: Outcome::default(),
            upload_copies: Vec::new(),
            ledger_warning: None,
        }
    }

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
