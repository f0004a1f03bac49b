//! `pixloom ledger`: the calls in the spending ledger (docs/ledger.md)
//! with totals per day, model and outcome; `--refusals` lists exactly the
//! refused calls (request id and time), for the gateway's credit request.
//! Reads the file only: no key, no config, no lock.

use std::collections::BTreeMap;

use clap::Args;
use color_eyre::eyre::{Result, eyre};
use serde::Serialize;
use time::Date;
use time::macros::format_description;

use crate::ledger::{self, Call, Kind};
use crate::sanitize;

use super::output;

#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// Only calls sent on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", value_parser = day)]
    pub(crate) since: Option<Date>,
    /// Only calls sent on or before this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", value_parser = day)]
    pub(crate) until: Option<Date>,
    /// Only the refused calls (billed): time and request id, for a credit request.
    #[arg(long)]
    pub(crate) refusals: bool,
    /// Print JSON.
    #[arg(long, conflicts_with = "csv")]
    pub(crate) json: bool,
    /// Print CSV (a header line, then one line per call).
    #[arg(long)]
    pub(crate) csv: bool,
}

/// `--since` / `--until`: a calendar day.
fn day(s: &str) -> std::result::Result<Date, String> {
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("use a day as YYYY-MM-DD (like 2026-12-01), not {s:?}"))
}

pub(super) fn run(args: &LedgerArgs) -> Result<()> {
    let path = ledger::default_path().ok_or_else(|| {
        eyre!("no state directory: set HOME or XDG_STATE_HOME (the ledger is STATE/pixloom/ledger.jsonl)")
    })?;
    let read = ledger::read(&path).map_err(|e| {
        eyre!(crate::errline::line(
            format!("could not read the ledger ({e})"),
            "Check the file's permissions",
            path.display()
        ))
    })?;
    for w in &read.warnings {
        eprintln!(
            "pixloom: {}",
            sanitize::line(&crate::errline::with_path(w, path.display()))
        );
    }
    let calls = select(read.calls, args);
    if args.json {
        output::print_json(&Listing::new(&calls, args.refusals))
    } else if args.csv {
        output::print_text(&csv(&calls))
    } else {
        output::print_text(&text(&calls, args.refusals))
    }
}

/// The calls the flags ask for, in the order they went out.
pub(crate) fn select(calls: Vec<Call>, args: &LedgerArgs) -> Vec<Call> {
    let fmt = format_description!("[year]-[month]-[day]");
    let since = args.since.and_then(|d| d.format(fmt).ok());
    let until = args.until.and_then(|d| d.format(fmt).ok());
    calls
        .into_iter()
        .filter(|c| since.as_deref().is_none_or(|s| c.day() >= s))
        .filter(|c| until.as_deref().is_none_or(|u| c.day() <= u))
        .filter(|c| !args.refusals || c.entry.kind == Kind::Refused)
        .collect()
}

/// Totals of a group of calls.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub(crate) struct Totals {
    pub calls: u64,
    /// Calls the gateway answered (an image or a refusal): billed.
    pub billed_calls: u64,
    pub billed_usd: f64,
    /// Calls that may have been billed (failed after it may have reached
    /// the gateway, or whose outcome is unknown): check them on the bill.
    pub maybe_billed_calls: u64,
    pub maybe_billed_usd: f64,
    #[serde(skip)]
    billed_micro: u64,
    #[serde(skip)]
    maybe_micro: u64,
}

impl Totals {
    fn add(&mut self, c: &Call) {
        let k = c.entry.kind;
        self.calls += 1;
        if k.billed() {
            self.billed_calls += 1;
            self.billed_micro += c.entry.cost_micro_usd;
        }
        if k.maybe_billed() {
            self.maybe_billed_calls += 1;
            self.maybe_micro += c.at_most_micro_usd();
        }
        self.billed_usd = usd(self.billed_micro);
        self.maybe_billed_usd = usd(self.maybe_micro);
    }
}

fn usd(micro: u64) -> f64 {
    micro as f64 / 1e6
}

/// The totals: all, per day, per model, per outcome.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Summary {
    pub all: Totals,
    pub by_day: BTreeMap<String, Totals>,
    pub by_model: BTreeMap<String, Totals>,
    pub by_outcome: BTreeMap<&'static str, Totals>,
}

pub(crate) fn summary(calls: &[Call]) -> Summary {
    let mut s = Summary::default();
    for c in calls {
        s.all.add(c);
        s.by_day.entry(c.day().to_owned()).or_default().add(c);
        s.by_model.entry(c.entry.model.clone()).or_default().add(c);
        s.by_outcome.entry(c.entry.kind.name()).or_default().add(c);
    }
    s
}

#[derive(Debug, Serialize)]
struct CallJson<'a> {
    sent: &'a str,
    time: &'a str,
    outcome: &'static str,
    request_id: Option<&'a str>,
    model: &'a str,
    size: &'a str,
    endpoint: &'a str,
    conversation: &'a str,
    node: &'a str,
    latency_ms: Option<u64>,
    cost_usd: f64,
}

#[derive(Debug, Serialize)]
struct Listing<'a> {
    calls: Vec<CallJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    totals: Option<Summary>,
}

impl<'a> Listing<'a> {
    fn new(calls: &'a [Call], refusals: bool) -> Self {
        Listing {
            calls: calls
                .iter()
                .map(|c| CallJson {
                    sent: &c.sent,
                    time: &c.entry.time,
                    outcome: c.entry.kind.name(),
                    request_id: c.entry.request_id.as_deref(),
                    model: &c.entry.model,
                    size: &c.entry.size,
                    endpoint: &c.entry.endpoint,
                    conversation: &c.entry.conversation,
                    node: &c.entry.node,
                    latency_ms: c.entry.latency_ms,
                    cost_usd: usd(c.entry.cost_micro_usd),
                })
                .collect(),
            totals: (!refusals).then(|| summary(calls)),
        }
    }
}

/// One line per call, then the totals (not for `--refusals`).
pub(crate) fn text(calls: &[Call], refusals: bool) -> String {
    let mut out = String::new();
    if calls.is_empty() {
        out.push_str("no calls in the ledger for this choice\n");
        return out;
    }
    // A header and columns as wide as their widest cell.
    let rows: Vec<[String; 10]> = calls
        .iter()
        .map(|c| {
            let e = &c.entry;
            let outcome = match e.kind {
                Kind::Unknown => "may have been billed (outcome unknown)",
                k => k.name(),
            };
            [
                c.sent.clone(),
                sanitize::line(e.request_id.as_deref().unwrap_or("-")).into_owned(),
                outcome.to_owned(),
                sanitize::line(&e.model).into_owned(),
                sanitize::line(&e.size).into_owned(),
                sanitize::line(&e.endpoint).into_owned(),
                sanitize::line(&e.node).into_owned(),
                e.latency_ms.map_or("-".to_owned(), |ms| format!("{ms} ms")),
                format!("${:.2}", usd(e.cost_micro_usd)),
                sanitize::line(&e.conversation).into_owned(),
            ]
        })
        .collect();
    let header = [
        "sent",
        "request id",
        "outcome",
        "model",
        "size",
        "endpoint",
        "node",
        "latency",
        "cost",
        "conversation",
    ]
    .map(str::to_owned);
    let width = |i: usize| {
        std::iter::once(&header)
            .chain(&rows)
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    for r in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if refusals {
        out.push_str(&format!("{} refused calls (billed)\n", calls.len()));
        return out;
    }
    let s = summary(calls);
    let row = |name: &str, t: &Totals| {
        format!(
            "  {name:<30} {:>5} calls  billed {:>3} = ${:.2}  may have been billed {:>3} = ${:.2}\n",
            t.calls, t.billed_calls, t.billed_usd, t.maybe_billed_calls, t.maybe_billed_usd
        )
    };
    out.push_str("\nper day:\n");
    for (k, t) in &s.by_day {
        out.push_str(&row(k, t));
    }
    out.push_str("per model:\n");
    for (k, t) in &s.by_model {
        out.push_str(&row(&sanitize::line(k), t));
    }
    out.push_str("per outcome:\n");
    for (k, t) in &s.by_outcome {
        out.push_str(&row(k, t));
    }
    out.push_str(&row("total", &s.all));
    out
}

/// CSV: a header, then one line per call; cells quoted, and a cell that
/// a spreadsheet would read as a formula starts with `'`.
pub(crate) fn csv(calls: &[Call]) -> String {
    let mut out = String::from(
        "sent,time,outcome,request_id,model,size,endpoint,conversation,node,latency_ms,cost_usd\n",
    );
    for c in calls {
        let e = &c.entry;
        let cells = [
            c.sent.clone(),
            e.time.clone(),
            e.kind.name().to_owned(),
            e.request_id.clone().unwrap_or_default(),
            e.model.clone(),
            e.size.clone(),
            e.endpoint.clone(),
            e.conversation.clone(),
            e.node.clone(),
            e.latency_ms.map(|m| m.to_string()).unwrap_or_default(),
            format!("{:.2}", usd(e.cost_micro_usd)),
        ];
        let line: Vec<String> = cells.iter().map(|v| csv_cell(v)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

fn csv_cell(v: &str) -> String {
    let v = sanitize::line(v);
    let guarded = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.into_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}
