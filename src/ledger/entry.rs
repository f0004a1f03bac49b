//! One line of the ledger and the calls its lines make up.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use pixloom_core::model::PRICE_PER_CALL_MICRO_USD;

/// One line of `ledger.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The call's id: its `sent` line and its outcome line share it.
    pub call: String,
    /// When the line was written, RFC 3339 UTC.
    pub time: String,
    #[serde(rename = "outcome")]
    pub kind: Kind,
    /// The conversation folder, absolute.
    pub conversation: String,
    pub node: String,
    pub model: String,
    pub size: String,
    /// The gateway path called (`/v1/chat/completions`, …).
    pub endpoint: String,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// What the call cost, micro USD (0 on a `sent` line).
    #[serde(default)]
    pub cost_micro_usd: u64,
}

/// What a line says about its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Written before the request goes out.
    Sent,
    /// The gateway answered with a picture: billed.
    Done,
    /// The gateway answered with a refusal: billed too.
    Refused,
    /// No usable answer, and the request may have reached the gateway
    /// (a timeout, a broken connection, a malformed 200): not known to be
    /// billed, listed so the bill can be checked against it.
    FailedMayHaveBeenBilled,
    /// Refused before it was handled (an error status, no connection):
    /// not billed. Closes its `sent` line.
    Failed,
    /// A `sent` line with no outcome line: the process stopped mid-call
    /// (never written; made when reading).
    Unknown,
}

impl Kind {
    /// The name on the line and in the listing.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sent => "sent",
            Kind::Done => "done",
            Kind::Refused => "refused",
            Kind::FailedMayHaveBeenBilled => "failed-may-have-been-billed",
            Kind::Failed => "failed",
            Kind::Unknown => "unknown",
        }
    }

    /// What a call with this outcome is counted as costing.
    pub fn cost_micro_usd(self) -> u64 {
        if self.billed() {
            PRICE_PER_CALL_MICRO_USD
        } else {
            0
        }
    }

    /// Whether the gateway answered (an image or a refusal), which it bills.
    pub fn billed(self) -> bool {
        matches!(self, Kind::Done | Kind::Refused)
    }

    /// Whether the call may have been billed without the ledger knowing:
    /// the user should check these against the bill.
    pub fn maybe_billed(self) -> bool {
        matches!(self, Kind::FailedMayHaveBeenBilled | Kind::Unknown)
    }
}

/// One call as the ledger knows it: its `sent` line and its outcome
/// (`Kind::Unknown` when none was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub entry: Entry,
    /// When the call went out (its `sent` line).
    pub sent: String,
}

impl Call {
    /// The most this call can have cost: its price when it was or may
    /// have been billed.
    pub fn at_most_micro_usd(&self) -> u64 {
        let k = self.entry.kind;
        if k.billed() || k.maybe_billed() {
            PRICE_PER_CALL_MICRO_USD
        } else {
            0
        }
    }

    /// The day (`YYYY-MM-DD`, UTC) the call went out.
    pub fn day(&self) -> &str {
        self.sent.get(..10).unwrap_or(&self.sent)
    }
}

/// The day `at` is on: its date in UTC. pixloom's one definition of a
/// day — the ledger's days (a call's is the day it was sent), `--since` /
/// `--until`, and what `budget_day` counts as today.
pub fn day_of(at: OffsetDateTime) -> Date {
    at.to_offset(time::UtcOffset::UTC).date()
}

/// [`day_of`] as `YYYY-MM-DD`, as [`Call::day`] gives it.
pub fn entry_day(at: OffsetDateTime) -> String {
    day_of(at)
        .format(time::macros::format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// `at` as RFC 3339, UTC, whole seconds.
pub(crate) fn now_rfc3339(at: OffsetDateTime) -> String {
    let at = at
        .to_offset(time::UtcOffset::UTC)
        .replace_millisecond(0)
        .unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_default()
}

/// A line's time, checked: RFC 3339 and turned to UTC.
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| t.to_offset(time::UtcOffset::UTC))
}
