//! `pixloom rerun`: a saved path's user turns sent again, live, as a new
//! branch beside the original (issue 13 §1). The plan is the core's
//! (`tree/rerun.rs`); this runs its steps one after another, each under
//! the answer of the one before, saving after each.

use clap::Args;
use color_eyre::eyre::{Result, WrapErr as _, eyre};
use time::OffsetDateTime;

use super::Session;
use super::send::{keep_spare_copy, report, tell_unsaved, tell_unstored};
use crate::convfile::{self, ConvFolder};
use crate::engine::{Engine, TurnResult};
use pixloom_core::tree::rerun::{RerunError, RerunPlan};
use pixloom_core::tree::{Conversation, NodeId, Received, Status};

#[derive(Debug, Args)]
pub struct RerunArgs {
    /// The conversation: NAME or NAME.pixloom.
    pub conv: String,
    /// The first turn to send again (a user turn, or a picture: the turn
    /// that made it).
    #[arg(long, value_name = "NODE")]
    pub(crate) from: NodeId,
    /// The last turn to send again [default: the end of the branch below
    /// --from].
    #[arg(long, value_name = "NODE")]
    pub(crate) to: Option<NodeId>,
    /// Print the new nodes as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Send without asking, even above `confirm_above` calls.
    #[arg(long)]
    pub(crate) yes: bool,
}

pub(super) async fn run(session: &Session, args: RerunArgs) -> Result<()> {
    // Every earlier picture and reference goes as its local copy: the
    // links of a path saved long ago are dead.
    let dir = convfile::conversation_dir(&args.conv);
    let (folder, loaded) = ConvFolder::open(&dir)?;
    // Every call is in the ledger, as `send`'s are.
    let engine = session
        .engine()?
        .without_remote_urls()
        .with_ledger(session.ledger_for(&folder.dir));
    let mut conv = loaded.conv;
    let fallback = session.params_for(&conv);
    let plan = conv
        .plan_rerun(args.from, args.to, &session.flags, &fallback)
        .map_err(|e| match e {
            // The change, not the node, is what to fix.
            RerunError::Refused { .. } => eyre!("{e}; nothing was sent or billed"),
            _ => eyre!(
                "{e} in {}. Run `pixloom show {}` to list the nodes.",
                dir.display(),
                args.conv
            ),
        })?;
    // Nothing is sent unless every step can be: a missing reference stops
    // the run before the first call is billed.
    if let Some(line) = convfile::missing_reference(&folder.store, &plan.references()) {
        return Err(eyre!("{line}"));
    }
    eprintln!("pixloom: {}", price_line(&plan, &session.flags));
    // The spend limits and the question above `confirm_above`, as `send`.
    super::send::spend_gate(
        session,
        &conv,
        plan.calls() as u64,
        args.yes,
        OffsetDateTime::now_utc(),
    )?;

    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut parent = plan.parent;
    let mut ids = Vec::new();
    let total = plan.steps.len();
    for (i, step) in plan.steps.iter().enumerate() {
        let (user, answer) = conv.add_rerun_step(parent, step, OffsetDateTime::now_utc())?;
        ids.extend([user, answer]);
        // Saved before the request goes out: a crash leaves it `interrupted`.
        folder.save(&conv)?;
        let step_result = run_step(&engine, &folder, &mut conv, answer, &mut interrupt).await;
        tell_unstored(&conv, &[answer], &dir, step_result.is_ok());
        if let Err(e) = step_result {
            tell_unsaved(&conv, &folder.store, &[answer]);
            return Err(e);
        }
        let status = conv.node(answer)?.status();
        if !args.json {
            eprintln!(
                "pixloom: step {}/{total}: {} → {user} {answer} {}",
                i + 1,
                step.source,
                status.map_or_else(String::new, |s| s.to_string())
            );
        }
        if status != Some(Status::Done) {
            let done = i;
            return report(&conv, &folder.store, &ids, args.json, false).wrap_err(format!(
                "step {} of {total} (re-running {}) did not finish; the {done} step(s) before it are saved",
                i + 1,
                step.source
            ));
        }
        parent = Some(answer);
    }
    report(&conv, &folder.store, &ids, args.json, false)
}

/// The price said before anything is sent: calls × $0.03, and what changes.
fn price_line(plan: &RerunPlan, change: &pixloom_core::settings::TurnSettings) -> String {
    let changed = crate::tui::state::rerun::changed(change);
    let what = if changed.is_empty() {
        "nothing changed".to_owned()
    } else {
        changed.join(", ")
    };
    format!(
        "re-running {} turn(s) as a new branch ({what}): {}",
        plan.calls(),
        crate::tui::state::rerun::price_of_calls(plan.calls())
    )
}

/// Sends one pending turn and applies its answer, saving as it goes (the
/// picture's link as soon as it arrives, the answer when it is stored).
/// Ctrl-C cancels it (it may still be billed) and ends the run.
async fn run_step(
    engine: &Engine,
    folder: &ConvFolder,
    conv: &mut Conversation,
    answer: NodeId,
    interrupt: &mut tokio::signal::unix::Signal,
) -> Result<()> {
    let req = match engine.plan(conv, answer) {
        Ok(req) => req,
        Err(e) => {
            let error = pixloom_core::tree::TurnError {
                message: e.to_string(),
                ..Default::default()
            };
            conv.fail(answer, error, Default::default())?;
            folder.save(conv)?;
            return Ok(());
        }
    };
    let (tx, mut noted) = tokio::sync::mpsc::unbounded_channel();
    let (engine, store) = (engine.clone(), folder.store.clone());
    let mut job = tokio::spawn(async move {
        let note = move |node, r: &Received, rid: Option<&str>| {
            let _ = tx.send((node, r.clone(), rid.map(str::to_owned)));
        };
        engine.run_noting(store, req, &note).await
    });
    let report = loop {
        tokio::select! {
            biased;
            Some((node, received, rid)) = noted.recv() => {
                if conv.note_received(node, received, rid).is_ok() {
                    folder.save(conv)?;
                }
            }
            joined = &mut job => break joined.map_err(|e| eyre!("a request task failed: {e}"))?,
            _ = interrupt.recv() => {
                job.abort();
                let _ = conv.cancel(answer);
                folder.save(conv)?;
                return Err(eyre!("cancelled at {answer} (a request already sent may still be billed); the steps before it are saved"));
            }
        }
    };
    report.apply(conv)?;
    if let TurnResult::Unstored {
        received,
        bytes: Some(bytes),
        ..
    } = &report.result
    {
        keep_spare_copy(conv, answer, received, bytes);
    }
    folder.save(conv)?;
    Ok(())
}
