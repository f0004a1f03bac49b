//! `pixloom send`: one new turn (and its variants) from the shell.

use clap::Args;
use color_eyre::eyre::{Result, eyre};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::task::JoinSet;

use super::progress::{self, Progress};
use super::{Session, output};
use crate::convfile::{self, ConvFolder};
use crate::engine::TurnResult;
use crate::gateway;
use crate::images::{self, ImageStore};
use crate::sanitize;
use pixloom_core::grid::GridSpec;
use pixloom_core::model::PRICE_PER_CALL_MICRO_USD;
use pixloom_core::tree::{
    Conversation, MAX_VARIANTS, NodeId, Outcome, Part, Received, Role, Status, TurnError,
};

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The conversation: NAME or NAME.pixloom (created if missing).
    pub conv: String,
    /// What to make or change.
    #[arg(long, short)]
    pub(crate) prompt: String,
    /// A reference image: a local file or an http(s) URL (repeatable).
    #[arg(long = "image", short = 'i', value_name = "PATH_OR_URL")]
    pub images: Vec<String>,
    /// Put the new turn under this node (a branch) instead of the selected one.
    #[arg(long, value_name = "NODE")]
    pub(crate) from: Option<NodeId>,
    /// How many variants to make in parallel (each is a billed call); with
    /// a --size or --model list (a grid), that many of each cell.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=MAX_VARIANTS as i64))]
    pub(crate) variants: u8,
    /// Send without asking, however many variants (see `confirm_above`).
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// Print the result as JSON (and no progress lines on stderr, which a
    /// terminal otherwise gets while the gateway works).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Serialize)]
struct SendOutput {
    nodes: Vec<NodeOut>,
    /// Each new turn with what it was asked with, its latency and cost
    /// (one entry a call: a grid's cells, each variant of each).
    cells: Vec<CellOut>,
    cost_usd: f64,
}

#[derive(Debug, Serialize)]
struct CellOut {
    node: NodeId,
    size: String,
    model: String,
    endpoint: String,
    status: Option<Status>,
    latency_ms: Option<u64>,
    cost_usd: f64,
}

/// Micro-dollars to dollars: exact for whole cents.
#[allow(clippy::cast_precision_loss)]
fn usd(micro: u64) -> f64 {
    micro as f64 / 1e6
}

#[derive(Debug, Serialize)]
struct NodeOut {
    id: NodeId,
    role: Role,
    status: Option<Status>,
    image: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// A user turn's prompt, shortened, for the text listing (the JSON
    /// has the ids; `pixloom show --json` the whole text).
    #[serde(skip)]
    prompt: Option<String>,
}

/// The longest prompt the listing shows, in characters.
const PROMPT_SHOWN: usize = 60;

pub(super) async fn run(session: &Session, grid: &GridSpec, args: SendArgs) -> Result<()> {
    // Everything a user can get wrong is checked before the file changes.
    let engine = session.engine()?;
    if args.prompt.trim().is_empty() {
        return Err(eyre!(
            "the prompt is empty. Say what you want to see: --prompt 'a red fox in snow'"
        ));
    }
    let calls = grid
        .calls(usize::from(args.variants))
        .map_err(|e| eyre!("{e}"))?;
    let now = OffsetDateTime::now_utc();
    let dir = convfile::conversation_dir(&args.conv);
    if !dir.exists() {
        // A new conversation's turns take the flags and the config: its
        // cells are checked before its folder is made.
        let fresh = pixloom_core::tree::Conversation::new("", now);
        grid.cells(&session.params_for(&fresh), usize::from(args.variants))
            .map_err(|e| eyre!("{e}"))?;
    }
    let (folder, loaded) = ConvFolder::open_or_create(&dir, now)?;
    let engine = engine.with_ledger(session.ledger_for(&folder.dir));
    let mut conv = loaded.conv;
    // Flags, then what was last picked in this conversation, then config;
    // a grid's lists over that, one cell each (a cell a model cannot
    // make is refused here, before the question).
    let params = session.params_for(&conv);
    let cells = grid
        .cells(&params, usize::from(args.variants))
        .map_err(|e| eyre!("{e}"))?;
    // Before anything changes or is sent: the limits, then the question
    // (a grid's calls are its cells × variants).
    spend_gate(session, &conv, calls as u64, args.yes, now)?;
    if let Some(from) = args.from {
        conv.node(from).map_err(|e| {
            eyre!(
                "--from {from}: {e} in {}. Run `pixloom show {}` to list the nodes.",
                dir.display(),
                args.conv
            )
        })?;
    }
    let mut parts = vec![Part::Text {
        text: args.prompt.clone(),
    }];
    for source in &args.images {
        parts.push(Part::Image {
            image: images::import_reference(source, |s| s.into(), &folder.store).await?,
        });
    }

    let parent = args.from.or(conv.selected);
    let user = conv.add_user(parent, parts, now)?;
    for refused in &conv.settings.refused {
        eprintln!(
            "pixloom: not used from {}: {} — using {} · {} · {} instead",
            dir.display(),
            crate::sanitize::line(refused),
            params.size,
            crate::sanitize::line(&params.model),
            params.endpoint
        );
    }
    if grid.is_grid() {
        // The price first: each cell is a billed call.
        eprintln!(
            "pixloom: a grid of {calls} calls ({}), ${:.2} at ${:.2} each",
            grid_shape(grid, &params, args.variants),
            usd(PRICE_PER_CALL_MICRO_USD * calls as u64),
            usd(PRICE_PER_CALL_MICRO_USD)
        );
    }
    let pending = conv.add_pending_each(user, &cells, now)?;
    // Saved before any request goes out: a crash leaves `interrupted` turns.
    folder.save(&conv)?;

    // Listening before any request goes out: a Ctrl-C from here on cancels
    // and saves (`ctrl_c()` would listen only once the loop first polls it,
    // and a Ctrl-C before that killed the process with requests out).
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut jobs = JoinSet::new();
    // A picture's link and request id, as soon as it arrives: recorded and
    // saved before it is downloaded and stored.
    let (noted_tx, mut noted) = tokio::sync::mpsc::unbounded_channel();
    // Each retry as it is made, for the progress lines.
    let (retry_tx, mut retries) = tokio::sync::mpsc::unbounded_channel();
    let mut sent = Vec::new();
    for &id in &pending {
        match engine.plan(&conv, id) {
            Ok(req) => {
                let (engine, store) = (engine.clone(), folder.store.clone());
                let (tx, rtx) = (noted_tx.clone(), retry_tx.clone());
                jobs.spawn(async move {
                    let note = move |node, r: &Received, rid: Option<&str>| {
                        let _ = tx.send((node, r.clone(), rid.map(str::to_owned)));
                    };
                    let retried = move |node, n: &gateway::RetryNote| {
                        let _ = rtx.send((node, n.clone()));
                    };
                    engine.run_watched(store, req, &note, &retried).await
                });
                sent.push(id);
            }
            Err(e) => {
                let error = TurnError {
                    message: e.to_string(),
                    ..TurnError::default()
                };
                conv.fail(id, error, Outcome::default())?;
            }
        }
    }
    drop((noted_tx, retry_tx));
    let started = std::time::Instant::now();
    let mut progress = Progress::new(
        Progress::on_stderr(args.json),
        &conv,
        &params,
        &sent,
        started,
    );
    progress.draw(started);
    let mut tick = tokio::time::interval(progress::TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Requests are out from here: a failed save ends nothing, every answer
    // is still applied and saved when possible, and what could not be
    // written is printed at the end (`tell_unsaved`).
    let mut save_error = folder.save(&conv).err();
    loop {
        tokio::select! {
            biased;
            Some((node, received, rid)) = noted.recv() => {
                progress.received(node);
                if conv.note_received(node, received, rid).is_ok() {
                    save_error = folder.save(&conv).err();
                }
            }
            Some((node, note)) = retries.recv() => {
                progress.retry(node, note, std::time::Instant::now());
            }
            joined = jobs.join_next() => match joined {
                None => break,
                Some(Ok(report)) => {
                    if let Some(w) = &report.ledger_warning {
                        eprintln!("pixloom: {}", crate::sanitize::line(w));
                    }
                    if let Err(e) = report.apply(&mut conv) {
                        tracing::warn!(node = %report.node, "dropped a report: {e}");
                    } else if let TurnResult::Unstored { received, bytes: Some(bytes), .. } = &report.result {
                        keep_spare_copy(&mut conv, report.node, received, bytes);
                    }
                    save_error = folder.save(&conv).err();
                    if let Some(status) = conv.node(report.node).ok().and_then(|n| n.status()) {
                        progress.finished(report.node, status, std::time::Instant::now());
                    }
                }
                Some(Err(e)) => return Err(eyre!("a request task failed: {e}")),
            },
            _ = tick.tick() => {}
            _ = interrupt.recv() => {
                jobs.abort_all();
                for &id in &pending {
                    let _ = conv.cancel(id);
                }
                folder.save(&conv)?;
                return Err(eyre!("cancelled (a request already sent may still be billed); the turns are saved as cancelled and can be retried"));
            }
        }
        progress.draw(std::time::Instant::now());
    }
    progress.clear();

    let mut ids = vec![user];
    ids.extend(&pending);
    tell_unstored(&conv, &pending, &dir, save_error.is_none());
    if let Some(e) = save_error {
        tell_unsaved(&conv, &folder.store, &pending);
        return Err(e.into());
    }
    report(&conv, &folder.store, &ids, args.json, grid.is_grid())
}

/// `2 sizes × 2 models × 1 variant`, as the price line says it.
fn grid_shape(grid: &GridSpec, base: &pixloom_core::tree::RequestParams, variants: u8) -> String {
    let sizes = grid.sizes.len().max(1);
    let models = grid.models.len().max(1);
    let name = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let size = if grid.sizes.len() > 1 {
        name(sizes, "size", "sizes")
    } else {
        format!("size {}", grid.sizes.first().unwrap_or(&base.size))
    };
    let model = if grid.models.len() > 1 {
        name(models, "model", "models")
    } else {
        format!(
            "model {}",
            sanitize::line(grid.models.first().unwrap_or(&base.model))
        )
    };
    format!(
        "{size} × {model} × {}",
        name(usize::from(variants), "variant", "variants")
    )
}

/// The process ends, so a picture held only in memory is written to the
/// system's temporary folder (private, never overwriting) and the turn
/// records where, with the content's hash to check it by. Best effort:
/// the link in the turn remains either way.
/// Before `calls` billed requests from `conv`: the spend limits, then the
/// question above `confirm_above` (skipped with `--yes`). `send` and
/// `rerun` pass here before anything changes or is sent.
pub(super) fn spend_gate(
    session: &Session,
    conv: &Conversation,
    calls: u64,
    yes: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let budgets = session.config.budgets;
    let spent = crate::budget::Spent {
        day: match budgets.day {
            Some(_) => {
                crate::budget::spent_today(now)
                    .map_err(|e| eyre!(e))?
                    .micro_usd
            }
            None => 0,
        },
        conversation: conv.total_cost_micro_usd(),
    };
    budgets.check(calls, spent).map_err(|e| eyre!(e))?;
    if budgets.asks_first(calls) && !yes {
        confirm(calls, budgets.confirm_above)?;
    }
    Ok(())
}

/// Asks on the terminal before `calls` requests at once; without a
/// terminal to ask on, refuses with what to pass.
fn confirm(calls: u64, above: u8) -> Result<()> {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    let question = crate::budget::Budgets::question(calls);
    let how = format!(
        "pass --yes to send them (more than confirm_above = {above} in config.toml asks first)"
    );
    if !std::io::stdin().is_terminal() {
        return Err(eyre!("not sent: {question} No terminal to ask on: {how}"));
    }
    eprint!("pixloom: {question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(eyre!(
            "not sent: you said no. To send without asking, {how}"
        ))
    }
}

pub(super) fn keep_spare_copy(
    conv: &mut Conversation,
    node: NodeId,
    received: &Received,
    bytes: &[u8],
) {
    let ext = images::inspect(bytes).map_or("bin", |i| i.format.ext());
    let written = tempfile::Builder::new()
        .prefix(&format!("pixloom-{node}-"))
        .suffix(&format!(".{ext}"))
        .tempfile()
        .and_then(|mut f| {
            std::io::Write::write_all(&mut f, bytes)?;
            f.as_file().sync_all()?;
            f.keep().map_err(|e| e.error)
        });
    match written {
        Ok((_, path)) => {
            let received = Received {
                spare_copy: Some(path.display().to_string()),
                sha256: Some(pixloom_core::hex::sha256(bytes)),
                ..received.clone()
            };
            let _ = conv.update_received(node, received);
        }
        Err(e) => tracing::warn!(%node, "no spare copy of the picture: {e}"),
    }
}

/// For each turn whose paid picture is not stored: where it is and how to
/// get it, on stderr (the conversation file says the same when `saved`).
pub(super) fn tell_unstored(
    conv: &Conversation,
    ids: &[NodeId],
    dir: &std::path::Path,
    saved: bool,
) {
    for &id in ids {
        let Some(t) = conv.node(id).ok().and_then(|n| n.turn.as_ref()) else {
            continue;
        };
        if t.status != Status::Unstored {
            continue;
        }
        let Some(r) = &t.received else { continue };
        let rid = t.request_id.as_deref().unwrap_or("none");
        eprintln!(
            "{id}: the picture arrived and was billed (request id {}) but is not stored in {}.",
            sanitize::line(rid),
            dir.display()
        );
        if let Some(p) = &r.spare_copy {
            eprintln!("{id}: a copy is at {}", sanitize::line(p));
        }
        if let (Some(url), Some(t)) = (&r.url, r.expires_at) {
            // Only an http(s) link is offered to a shell, quoted.
            let url = sanitize::line(url);
            if (url.starts_with("https://") || url.starts_with("http://")) && !url.contains('\'') {
                eprintln!(
                    "{id}: until {} it can be fetched with: curl -fo {id}.png '{url}'",
                    crate::tui::state::utc_minute(t)
                );
            }
        }
        if saved {
            eprintln!(
                "{id}: free some space, then open the conversation (`pixloom {}`) and press S to store it.",
                dir.display()
            );
        } else {
            eprintln!(
                "{id}: conversation.json could not record this either: save the link above and fetch the picture before it expires (reopening shows {id} as interrupted; retrying it would bill again)."
            );
        }
    }
}

/// The last save failed: what the file does not say, on stderr, so the
/// user can recover it.
pub(super) fn tell_unsaved(conv: &Conversation, store: &ImageStore, ids: &[NodeId]) {
    for &id in ids {
        let Some(n) = conv.node(id).ok() else {
            continue;
        };
        let Some(t) = &n.turn else { continue };
        let rid = sanitize::line(t.request_id.as_deref().unwrap_or("none")).into_owned();
        match (t.status, n.images().next()) {
            (Status::Done, Some(img)) => eprintln!(
                "{id}: the picture is stored at {} (request id {rid}), but conversation.json could not record it.",
                super::image_path(store, &img.original)
            ),
            (Status::Unstored, _) => {} // said by `tell_unstored`
            (s, _) => {
                eprintln!("{id}: {s} (request id {rid}); conversation.json could not record it.")
            }
        }
    }
}

/// Prints the new nodes; fails (non-zero exit) if any turn did not finish.
pub(super) fn report(
    conv: &Conversation,
    store: &ImageStore,
    ids: &[NodeId],
    json: bool,
    grid: bool,
) -> Result<()> {
    let mut nodes = Vec::with_capacity(ids.len());
    let mut cells = Vec::new();
    let mut cost = 0u64;
    let mut failures = Vec::new();
    for &id in ids {
        let n = conv.node(id)?;
        let image = n.images().next();
        let turn = n.turn.as_ref();
        cost += turn.map_or(0, |t| t.cost_micro_usd);
        let error = turn.and_then(|t| match t.status {
            Status::Done => None,
            Status::Refused => Some(format!(
                "the gateway refused the prompt ({}). Rephrase it and send again.",
                n.text().trim_end_matches('.')
            )),
            _ => Some(
                t.error
                    .as_ref()
                    .map_or_else(|| t.status.to_string(), |e| e.message.clone()),
            ),
        });
        if let Some(e) = &error {
            failures.push(format!("{id}: {}", sanitize::line(e)));
        }
        if let Some(t) = turn {
            cells.push(CellOut {
                node: id,
                size: t.request.size.to_string(),
                model: t.request.model.clone(),
                endpoint: t.request.endpoint.to_string(),
                status: Some(t.status),
                latency_ms: t.latency_ms,
                cost_usd: usd(t.cost_micro_usd),
            });
        }
        nodes.push(NodeOut {
            id,
            role: n.role,
            status: n.status(),
            image: (n.role == Role::Assistant)
                .then(|| image.map(|i| super::image_path(store, &i.original)))
                .flatten(),
            width: image.map(|i| i.original.width),
            height: image.map(|i| i.original.height),
            request_id: turn.and_then(|t| t.request_id.clone()),
            error,
            prompt: (n.role == Role::User).then(|| {
                let prompt = n.text();
                let text = sanitize::line(prompt.lines().next().unwrap_or_default());
                format!("\"{}\"", sanitize::truncate(&text, PROMPT_SHOWN))
            }),
        });
    }
    let cost_usd = usd(cost);
    if json {
        output::print_json(&SendOutput {
            nodes,
            cells,
            cost_usd,
        })?;
    } else {
        let mut text = String::new();
        for n in &nodes {
            // A grid's cell: what it was asked with, its latency and cost.
            let cell =
                cells
                    .iter()
                    .find(|c| grid && c.node == n.id)
                    .map_or_else(String::new, |c| {
                        let secs = c.latency_ms.map_or_else(
                            || "-".to_owned(),
                            |ms| format!("{:.1} s", ms as f64 / 1e3),
                        );
                        format!(
                            "{} · {} · {secs} · ${:.2}  ",
                            c.size,
                            sanitize::line(&c.model),
                            c.cost_usd
                        )
                    });
            let what = match (&n.image, &n.error) {
                (Some(p), _) => format!(
                    "{}x{}  {}",
                    n.width.unwrap_or(0),
                    n.height.unwrap_or(0),
                    sanitize::line(p)
                ),
                (None, Some(e)) => sanitize::line(e).into_owned(),
                (None, None) => n.prompt.clone().unwrap_or_default(),
            };
            let status = n
                .status
                .map_or_else(|| "user".to_owned(), |s| s.to_string());
            text.push_str(&format!("{}  {status:<9} {cell}{what}\n", n.id));
        }
        text.push_str(&format!(
            "cost ${cost_usd:.2} ({} billed call(s))\n",
            cost / PRICE_PER_CALL_MICRO_USD
        ));
        output::print_text(&text)?;
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(eyre!("{}", failures.join("; ")))
    }
}
