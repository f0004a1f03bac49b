//! `pixloom rerun`: a saved path sent again as a new branch, against a
//! fresh fake gateway (the one that made the path is gone, and its result
//! links with it).

use super::*;

/// `fox`: three steps made against a fake that is then stopped —
/// n1 "a red fox" (+ a reference), n2; n3 `second` under n2, n4;
/// n5 "in snow" under n4, n6. Returns the home and the reference's file.
fn saved_path(second: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (home, old, k) = home_fake_key();
    let h = home.path();
    let reference = common::png_file(h, "ref.png", 64, 48, [200, 40, 40]);
    let send = |args: &[&str]| {
        pixloom(
            h,
            &with_key(&old, &k, &[&["send", "fox"][..], args].concat()),
        )
    };
    send(&[
        "--prompt",
        "a red fox",
        "--image",
        reference.to_str().unwrap(),
    ])
    .ok();
    // The second step may be made to fail (a fault directive); the third
    // refines its answer either way.
    send(&["--prompt", second, "--from", "n2"]);
    send(&["--prompt", "in snow", "--from", "n4"]).ok();
    drop(old);
    let conv = saved(h);
    let ref_sha = conv["nodes"][0]["parts"][1]["image"]["original"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = std::fs::read_dir(h.join("fox.pixloom/images"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(&ref_sha)
        })
        .unwrap();
    (home, file)
}

/// The ids of a list of nodes, in one line.
fn ids_of(nodes: &Value) -> String {
    let mut line = String::new();
    for n in nodes.as_array().unwrap() {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(n["id"].as_str().unwrap());
    }
    line
}

fn saved(h: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(h.join("fox.pixloom/conversation.json")).unwrap())
        .unwrap()
}

fn node<'a>(conv: &'a Value, id: &str) -> &'a Value {
    conv["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id)
        .unwrap()
}

fn rerun(h: &Path, fake: &FakeProcess, args: &[&str]) -> Run {
    let k = key();
    pixloom(
        h,
        &with_key(fake, &k, &[&["rerun", "fox"][..], args].concat()),
    )
}

#[test]
fn a_path_runs_again_with_another_model_as_a_new_branch_from_local_copies() {
    let (home, _) = saved_path("at night");
    let h = home.path();
    let before = saved(h);
    let fake = FakeProcess::start(&[]);
    let r = rerun(
        h,
        &fake,
        &["--from", "n1", "--model", "gpt-image-2-all", "--json"],
    )
    .ok();
    assert!(
        r.stderr().contains("re-running 3 turn(s) as a new branch (model gpt-image-2-all): 3 call(s) × $0.03 = $0.09"),
        "{}",
        r.stderr()
    );
    let j = r.json();
    assert_eq!(ids_of(&j["nodes"]), "n7 n8 n9 n10 n11 n12");
    assert_eq!(j["cost_usd"].as_f64(), Some(0.09));
    assert_eq!(fake.billed(), 3);

    let after = saved(h);
    // The original six nodes are exactly as they were.
    for i in 0..6 {
        assert_eq!(after["nodes"][i], before["nodes"][i]);
    }
    // The new branch: same prompts, each under the new answer before it.
    for (user, parent, prompt) in [
        ("n7", None, "a red fox"),
        ("n9", Some("n8"), "at night"),
        ("n11", Some("n10"), "in snow"),
    ] {
        let n = node(&after, user);
        assert_eq!(n["parent"].as_str(), parent);
        assert_eq!(n["parts"][0]["text"], prompt);
    }
    assert_eq!(
        node(&after, "n7")["parts"][1]["image"]["original"],
        before["nodes"][0]["parts"][1]["image"]["original"]
    );
    for answer in ["n8", "n10", "n12"] {
        let t = &node(&after, answer)["turn"];
        assert_eq!(
            (t["status"].as_str(), t["request"]["model"].as_str()),
            (Some("done"), Some("gpt-image-2-all"))
        );
    }
    // Every picture went as its local copy, never as a link (the old
    // fake's are dead; even the new fake's own are not used).
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    let text = serde_json::to_string(&requests).unwrap();
    assert!(!text.contains("/files/"), "a link was sent: {text}");
    // Step 2 refines the new picture (n8), not the old one (n2).
    let picture = |id: &str| {
        let blob = &node(&after, id)["parts"][0]["image"]["original"];
        let name = format!(
            "{}.{}",
            blob["sha256"].as_str().unwrap(),
            blob["ext"].as_str().unwrap()
        );
        let bytes = std::fs::read(h.join("fox.pixloom/images").join(name)).unwrap();
        let url = pixloom::images::data_url(&bytes, &pixloom::images::inspect(&bytes).unwrap());
        pixloom_core::hex::sha256(url.as_bytes())
    };
    let second = serde_json::to_string(&requests[1]).unwrap();
    assert!(
        second.contains(&picture("n8")),
        "step 2 does not carry n8: {second}"
    );
    assert!(
        !second.contains(&picture("n2")),
        "step 2 carries the old n2"
    );
}

#[test]
fn to_stops_the_run_and_the_branch_starts_beside_from() {
    let (home, _) = saved_path("at night");
    let h = home.path();
    let fake = FakeProcess::start(&[]);
    let r = rerun(
        h,
        &fake,
        &["--from", "n3", "--to", "n4", "--size", "2048x1152"],
    )
    .ok();
    assert!(r.stdout().contains("n8  done"), "{}", r.stdout());
    assert_eq!(fake.billed(), 1);
    // The history above n3 holds n2, made by the stopped fake: its link is
    // dead, so it went as the local copy.
    let sent = serde_json::to_string(&fake.requests()).unwrap();
    assert!(
        !sent.contains("/files/") && sent.contains("data:image/png"),
        "{sent}"
    );
    let after = saved(h);
    assert_eq!(node(&after, "n7")["parent"], "n2");
    assert_eq!(node(&after, "n8")["turn"]["request"]["size"], "2048x1152");
    assert_eq!(after["nodes"].as_array().unwrap().len(), 8);
}

#[test]
fn a_missing_reference_stops_the_run_before_anything_is_billed() {
    let (home, reference) = saved_path("at night");
    let h = home.path();
    std::fs::remove_file(&reference).unwrap();
    let file = h.join("fox.pixloom/conversation.json");
    let before = std::fs::read(&file).unwrap();
    let fake = FakeProcess::start(&[]);
    rerun(h, &fake, &["--from", "n1"]).fails_with(&[
        "n1's reference image is not usable",
        "nothing was sent or billed",
        "Put the file back",
        reference.file_name().unwrap().to_str().unwrap(),
    ]);
    assert_eq!((fake.billed(), fake.requests().len()), (0, 0));
    assert_eq!(std::fs::read(&file).unwrap(), before, "the file changed");
    // A node that is not there, or not below --from: one line, nothing sent.
    rerun(h, &fake, &["--from", "n3", "--to", "n2"])
        .fails_with(&["n2 is not on the path below n3", "pixloom show fox"]);
    rerun(h, &fake, &["--from", "n99"]).fails_with(&["there is no node n99"]);
    // A change a step's model cannot make: refused before anything else,
    // naming the step and what to pick instead.
    let to_4k_all = [
        "--from",
        "n3",
        "--model",
        "gpt-image-2-all",
        "--size",
        "3840x2160",
    ];
    let r = rerun(h, &fake, &to_4k_all).fails_with(&[
        "refused for n3: gpt-image-2-all makes no 4K picture (3840x2160)",
        "pick a 1K or 2K size, or gpt-image-2-vip",
        "nothing was sent or billed",
    ]);
    assert!(!r.stderr().contains("pixloom show"), "{}", r.stderr());
    assert_eq!(fake.requests().len(), 0);
}

#[test]
fn a_failing_step_ends_the_run_keeping_the_steps_before_it() {
    let (home, _) = saved_path("at night [fake:fault=400]");
    let h = home.path();
    let fake = FakeProcess::start(&[]);
    let r = rerun(h, &fake, &["--from", "n1", "--json"]);
    assert!(!r.out.status.success());
    let err = r.stderr();
    let last = err.trim().lines().last().unwrap();
    assert!(
        last.contains(
            "step 2 of 3 (re-running n3) did not finish; the 1 step(s) before it are saved"
        ),
        "{err}"
    );
    assert!(last.contains("n10: "), "{err}");
    assert_eq!(fake.billed(), 1);
    let after = saved(h);
    assert_eq!(node(&after, "n8")["turn"]["status"], "done");
    assert_eq!(node(&after, "n10")["turn"]["status"], "failed");
    assert_eq!(
        after["nodes"].as_array().unwrap().len(),
        10,
        "step 3 was added"
    );
    // The JSON still lists what was made.
    assert_eq!(r.json()["nodes"].as_array().unwrap().len(), 4);
}

#[test]
fn ctrl_c_cancels_the_running_step_saved_as_cancelled_and_ends_the_rerun() {
    let (home, _) = saved_path("at night");
    let h = home.path();
    // Every answer takes a minute: Ctrl-C comes while step 1 (n8) runs.
    let fake = FakeProcess::start(&["--latency", "60"]);
    let k = key();
    let args = with_key(&fake, &k, &["rerun", "fox", "--from", "n1"]);
    let child = in_home(h)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let waited = Instant::now();
    while fake.requests().is_empty() {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "step 1 never sent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status();
    assert!(sent.unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cancelled at n8") && err.contains("the steps before it are saved"),
        "{err}"
    );
    let after = saved(h);
    assert_eq!(node(&after, "n8")["turn"]["status"], "cancelled");
    assert_eq!(
        after["nodes"].as_array().unwrap().len(),
        8,
        "no step after it"
    );
}

#[test]
fn a_rerun_passes_the_spend_limits_first_and_lands_in_the_ledger() {
    let (home, _) = saved_path("at night");
    let h = home.path();
    let before = saved(h);
    let fake = FakeProcess::start(&[]);
    // The path cost $0.09; three more calls would pass a $0.15 limit.
    let refused = rerun(h, &fake, &["--from", "n1", "--budget-conversation", "0.15"]);
    assert!(!refused.out.status.success());
    assert!(
        refused.stderr().contains("not sent:")
            && refused.stderr().contains("--budget-conversation"),
        "{}",
        refused.stderr()
    );
    assert_eq!(fake.billed(), 0);
    assert_eq!(saved(h), before, "nothing added");
    // Above `confirm_above` (3 calls > 2) it asks, and without a terminal
    // refuses until --yes.
    std::fs::create_dir_all(h.join("config/pixloom")).unwrap();
    std::fs::write(h.join("config/pixloom/config.toml"), "confirm_above = 2\n").unwrap();
    let asked = rerun(h, &fake, &["--from", "n1"]);
    assert!(asked.stderr().contains("--yes"), "{}", asked.stderr());
    assert_eq!(fake.billed(), 0);
    rerun(h, &fake, &["--from", "n1", "--yes"]).ok();
    assert_eq!(fake.billed(), 3);
    // Every re-run call is in the ledger.
    let ledger = std::fs::read_to_string(h.join("state/pixloom/ledger.jsonl")).unwrap();
    let done = ledger
        .lines()
        .filter(|l| l.contains("\"done\"") && l.contains("fox.pixloom"))
        .count();
    assert!(done >= 3, "{ledger}");
}
