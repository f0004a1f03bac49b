//! The ledger's random sessions (seeded): `pixloom send` and `pixloom
//! rerun` against a `pixloom fake-gateway` process — variants, re-runs of
//! saved paths, refusals, faults, timeouts, a re-run failing at a middle
//! step, and a send and a re-run each killed while the fake holds its
//! request — and each time the ledger's billed total is the fake's billed
//! count × $0.03.

use super::{PRICE_MICRO_USD, home, in_home, key, ledger_json, run, with_key};
use crate::common::FakeProcess;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};
use serde_json::Value;

/// One send of a random session: the prompt's directive, variants, and
/// the request timeout (short for a hang).
fn step(rng: &mut StdRng, i: usize) -> (String, u8, Option<&'static str>) {
    let variants = rng.random_range(1..=3u8);
    match rng.random_range(0..6) {
        0 => (format!("fox {i} [fake:refuse]"), variants, None),
        1 => (format!("fox {i} [fake:fault=500]"), variants, None),
        2 => (format!("fox {i} [fake:fault=hang]"), 1, Some("0.5")),
        3 => (format!("fox {i} [fake:fault=truncated]"), 1, None),
        _ => (format!("fox {i}"), variants, None),
    }
}

/// Waits (bounded) until the fake has received `n` API requests.
fn wait_for_requests(fake: &FakeProcess, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.requests().len() < n {
        assert!(Instant::now() < deadline, "the fake never got request {n}");
        std::thread::yield_now();
    }
}

/// The conversation `fox` as `pixloom show --json` gives it.
fn show(home: &Path) -> Value {
    let out = run(home, &["show", "fox", "--json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn nodes(conv: &Value) -> &Vec<Value> {
    conv["nodes"].as_array().unwrap()
}

/// The last user turn whose prompt is `prompt`.
fn user_turn<'a>(conv: &'a Value, prompt: &str) -> &'a Value {
    nodes(conv)
        .iter()
        .rev()
        .find(|n| n["role"] == "user" && n["text"] == prompt)
        .unwrap_or_else(|| panic!("no turn {prompt:?}: {conv:#}"))
}

fn id(node: &Value) -> String {
    node["id"].as_str().unwrap().to_owned()
}

/// The (first) answer to the last user turn `prompt`.
fn answer_to(conv: &Value, prompt: &str) -> String {
    user_turn(conv, prompt)["children"][0]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The user turns on the selected path: (id, prompt).
fn path_turns(conv: &Value) -> Vec<(String, String)> {
    conv["selected_path"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|id| nodes(conv).iter().find(|n| n["id"] == *id))
        .filter(|n| n["role"] == "user")
        .map(|n| (id(n), n["text"].as_str().unwrap().to_owned()))
        .collect()
}

/// `pixloom rerun fox ARGS --yes` (a long path is above `confirm_above`).
fn rerun(home: &Path, fake: &FakeProcess, k: &str, args: &[&str]) -> std::process::Output {
    let args = [&["rerun", "fox"][..], args, &["--yes"]].concat();
    run(home, &with_key(fake, k, &args))
}

/// A random re-run of part of the selected path — FROM..TO among its user
/// turns, never across a `hang` (a re-run has no short timeout to end
/// it) — as it was, with another model or another size. A step that
/// fails (a fault, a refusal in the saved prompt) ends it, as it should.
fn random_rerun(rng: &mut StdRng, home: &Path, fake: &FakeProcess, k: &str) {
    let turns = path_turns(&show(home));
    let hangs = |i: usize| turns[i].1.contains("hang");
    let starts: Vec<usize> = (0..turns.len()).filter(|&i| !hangs(i)).collect();
    if starts.is_empty() {
        return;
    }
    let from = starts[rng.random_range(0..starts.len())];
    let end = (from..turns.len())
        .take_while(|&i| !hangs(i))
        .last()
        .unwrap();
    let to = rng.random_range(from..=end);
    let change: &[&str] = match rng.random_range(0..3) {
        0 => &[],
        1 => &["--model", "gpt-image-2-all"],
        _ => &["--size", "1280x720"],
    };
    let range = ["--from", &turns[from].0, "--to", &turns[to].0];
    rerun(home, fake, k, &[&range[..], change].concat());
}

/// A path of three turns whose middle one fails (a 500 or a refusal, by
/// the seed), re-run whole: step 1 is billed, step 2 fails (or is
/// refused and billed) as the original did, step 3 is never sent.
fn rerun_failing_in_the_middle(rng: &mut StdRng, home: &Path, fake: &FakeProcess, k: &str) {
    let fault = if rng.random_bool(0.5) {
        "[fake:refuse]"
    } else {
        "[fake:fault=500]"
    };
    let prompts = [
        "an owl".to_owned(),
        format!("an owl at night {fault}"),
        "an owl in snow".to_owned(),
    ];
    run(
        home,
        &with_key(fake, k, &["send", "fox", "--prompt", &prompts[0]]),
    );
    for w in prompts.windows(2) {
        let under = answer_to(&show(home), &w[0]);
        let args = ["send", "fox", "--prompt", &w[1], "--from", &under];
        run(home, &with_key(fake, k, &args));
    }
    let from = id(user_turn(&show(home), &prompts[0]));
    let before = fake.requests().len();
    let out = rerun(home, fake, k, &["--from", &from]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("step 2 of 3"), "{err}");
    assert_eq!(fake.requests().len(), before + 2, "step 3 was sent: {err}");
}

/// Runs `args` and kills it once the fake has received `n` requests (the
/// last one held by `[fake:hold]`).
fn killed_at(home: &Path, fake: &FakeProcess, k: &str, args: &[&str], n: usize) {
    let mut child = in_home(home)
        .args(with_key(fake, k, args))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_requests(fake, n);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn ledger_total_equals_the_fakes_bill_in_random_sessions() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in [1u64, 2, 3] {
        let mut rng = StdRng::seed_from_u64(seed);
        let home = home();
        let h = home.path();
        let fake = FakeProcess::start(&[]);
        let k = key();
        let steps = rng.random_range(3..=6);
        for i in 0..steps {
            let (prompt, variants, timeout) = step(&mut rng, i);
            let variants = variants.to_string();
            let mut args = vec!["send", "fox", "--prompt", &prompt, "--variants", &variants];
            if let Some(t) = timeout {
                args.extend(["--request-timeout", t]);
            }
            // Failures are expected (faults); the ledger must count them all.
            run(h, &with_key(&fake, &k, &args));
        }
        for _ in 0..rng.random_range(2..=3) {
            random_rerun(&mut rng, h, &fake, &k);
        }
        rerun_failing_in_the_middle(&mut rng, h, &fake, &k);

        // Crashes mid-call: a send, then a re-run at its second step, each
        // killed while the fake holds its request; released after both.
        run(
            h,
            &with_key(&fake, &k, &["send", "fox", "--prompt", "fox calm"]),
        );
        let under = answer_to(&show(h), "fox calm");
        let held = ["send", "fox", "--prompt", "fox held [fake:hold]"];
        let before = fake.requests().len();
        killed_at(
            h,
            &fake,
            &k,
            &[&held[..], &["--from", &under]].concat(),
            before + 1,
        );
        let conv = show(h);
        let (calm, held) = (
            id(user_turn(&conv, "fox calm")),
            id(user_turn(&conv, "fox held [fake:hold]")),
        );
        let rerun_args = ["rerun", "fox", "--from", &calm, "--to", &held, "--yes"];
        killed_at(h, &fake, &k, &rerun_args, before + 3);
        fake.release();
        // One more call after the release: the held ones were answered first.
        run(
            h,
            &with_key(&fake, &k, &["send", "fox", "--prompt", "fox after"]),
        );

        let j = ledger_json(h, &[]);
        let calls = j["calls"].as_array().unwrap();
        let conv = show(h);
        // The killed send's turn and the killed re-run step's are unknown;
        // the re-run's first step, sent before, is done.
        let mut unknown: Vec<&str> = calls
            .iter()
            .filter(|c| c["outcome"] == "unknown")
            .map(|c| c["node"].as_str().unwrap())
            .collect();
        unknown.sort_unstable();
        let mut killed = [
            answer_to(&conv, "fox held [fake:hold]"),
            nodes(&conv)
                .iter()
                .find(|n| n["role"] == "user" && n["text"] == "fox held [fake:hold]")
                .map(|n| n["children"][0].as_str().unwrap().to_owned())
                .unwrap(),
        ];
        killed.sort_unstable();
        assert_eq!(unknown, killed, "seed {seed}: the killed calls: {j:#}");
        let step1 = answer_to(&conv, "fox calm");
        assert!(
            calls
                .iter()
                .any(|c| c["node"] == step1.as_str() && c["outcome"] == "done"),
            "seed {seed}: the re-run's step 1 ({step1}): {j:#}"
        );
        // The fake, like a gateway that stops work for a client gone,
        // did not bill the killed calls: the ledger lists them apart, as
        // "may have been billed", and its billed total is the bill.
        let all = &j["totals"]["all"];
        let billed = fake.billed();
        let micro = |v: &Value| (v.as_f64().unwrap() * 1e6).round() as u64;
        assert_eq!(
            micro(&all["billed_usd"]),
            billed * PRICE_MICRO_USD,
            "seed {seed}: {j:#}"
        );
        assert_eq!(all["billed_calls"].as_u64(), Some(billed), "seed {seed}");
        let maybe = |o: &str| j["totals"]["by_outcome"][o]["calls"].as_u64().unwrap_or(0);
        assert_eq!(
            all["maybe_billed_calls"].as_u64(),
            Some(maybe("unknown") + maybe("failed-may-have-been-billed")),
            "seed {seed}: {j:#}"
        );
        for c in calls {
            seen.insert(c["outcome"].as_str().unwrap().to_owned());
        }
        assert_eq!(
            calls.len(),
            fake.requests().len(),
            "seed {seed}: one call per request the fake received"
        );
    }
    // The seeds cover every outcome.
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        [
            "done",
            "failed",
            "failed-may-have-been-billed",
            "refused",
            "unknown"
        ]
    );
}
