//! `send --size A,B --model X,Y`: one prompt fanned out into a grid of
//! sibling turns, one billed call per cell, each sent with its own size and
//! model; the price said first; every list checked before anything is sent.

use super::*;

/// `send c --prompt P ARGS` with the fake and its key.
fn send(home: &Path, fake: &FakeProcess, k: &str, prompt: &str, extra: &[&str]) -> Run {
    let args = [&["send", "c", "--prompt", prompt][..], extra].concat();
    pixloom(home, &with_key(fake, k, &args))
}

/// What the gateway was asked, one `size · model` per request, sorted (the
/// cells run in parallel, so they arrive in any order). A model without a
/// `size` field had the size written into its prompt: said as `(prompt) S`.
fn asked(fake: &FakeProcess) -> Vec<String> {
    let mut seen: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| {
            let body = &r["json"];
            let model = body["model"].as_str().unwrap().to_owned();
            let size = match body["size"].as_str() {
                Some(s) => s.to_owned(),
                None => {
                    let prompt = body["messages"].to_string();
                    let s = ["1280x720", "2048x1152"]
                        .into_iter()
                        .find(|s| prompt.contains(s))
                        .unwrap_or("none");
                    format!("(prompt) {s}")
                }
            };
            format!("{size} · {model}")
        })
        .collect();
    seen.sort();
    seen
}

#[test]
fn a_grid_sends_one_call_per_cell_with_its_size_and_model_and_lists_each_cell() {
    let (home, fake, k) = home_fake_key();
    let h = home.path();
    let r = send(
        h,
        &fake,
        &k,
        "a lighthouse",
        &[
            "--size",
            "1280x720,2048x1152",
            "--model",
            "gpt-image-2-vip,gpt-image-2-all",
            "--json",
        ],
    )
    .ok();
    // The price, before anything else is said.
    let first = r.stderr().lines().next().unwrap_or_default().to_owned();
    assert_eq!(
        first,
        "pixloom: a grid of 4 calls (2 sizes × 2 models × 1 variant), $0.12 at $0.03 each"
    );
    assert_eq!(
        asked(&fake),
        [
            "(prompt) 1280x720 · gpt-image-2-all",
            "(prompt) 2048x1152 · gpt-image-2-all",
            "1280x720 · gpt-image-2-vip",
            "2048x1152 · gpt-image-2-vip",
        ]
    );
    assert_eq!(fake.billed(), 4, "billed = cells");
    let j = r.json();
    let cells: Vec<String> = j["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert!(c["latency_ms"].as_u64().is_some(), "{c}");
            format!(
                "{} {} {} {} {}",
                c["node"].as_str().unwrap(),
                c["size"].as_str().unwrap(),
                c["model"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
                c["cost_usd"]
            )
        })
        .collect();
    // Rows of sizes by columns of models, in the order given.
    assert_eq!(
        cells,
        [
            "n2 1280x720 gpt-image-2-vip done 0.03",
            "n3 1280x720 gpt-image-2-all done 0.03",
            "n4 2048x1152 gpt-image-2-vip done 0.03",
            "n5 2048x1152 gpt-image-2-all done 0.03",
        ]
    );
    assert_eq!(j["cost_usd"].as_f64(), Some(0.12));
    // The cells are siblings under the one user turn.
    let show = pixloom(h, &["show", "c", "--json"]).ok().json();
    let parents: Vec<&str> = show["nodes"].as_array().unwrap()[1..]
        .iter()
        .map(|n| n["parent"].as_str().unwrap())
        .collect();
    assert_eq!(parents, ["n1"; 4]);

    // With variants: each cell that many times; the text output names the
    // cell, its latency and cost on each line.
    let r = send(
        h,
        &fake,
        &k,
        "at night",
        &["--size", "1280x720,2048x1152", "--variants", "2"],
    )
    .ok();
    assert!(
        r.stderr()
            .contains("a grid of 4 calls (2 sizes × model gpt-image-2-vip × 2 variants), $0.12"),
        "{}",
        r.stderr()
    );
    let out = r.stdout();
    let lines: Vec<&str> = out.lines().filter(|l| l.contains(" s · $0.03")).collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("2048x1152 · gpt-image-2-vip"))
            .count(),
        2,
        "{out}"
    );
    assert!(out.contains("cost $0.12 (4 billed call(s))"), "{out}");
    // The new user turn shows its prompt.
    assert!(
        out.lines()
            .any(|l| l.contains("user") && l.ends_with("\"at night\"")),
        "{out}"
    );
    assert_eq!(fake.billed(), 8);

    // A plain send is no grid: no price line, and JSON still lists its cell.
    let r = send(h, &fake, &k, "plain", &["--json"]).ok();
    assert_eq!(r.stderr(), "");
    assert_eq!(r.json()["cells"].as_array().unwrap().len(), 1);
}

#[test]
fn every_list_is_checked_before_anything_is_sent_or_saved() {
    let (home, fake, k) = home_fake_key();
    let h = home.path();
    let fails = |r: Run, needles: &[&str]| {
        assert!(!r.out.status.success(), "should fail: {}", r.stdout());
        let err = r.stderr();
        for n in needles {
            assert!(err.contains(n), "stderr lacks {n:?}: {err}");
        }
    };
    // One bad size refuses the list, naming it and the size to use.
    fails(
        send(h, &fake, &k, "x", &["--size", "1280x720,1024x768"]),
        &["1024x768", "1280x960"],
    );
    fails(
        send(h, &fake, &k, "x", &["--size", "1280x720,1280x720"]),
        &["1280x720 is listed twice"],
    );
    fails(
        send(h, &fake, &k, "x", &["--model", "gpt-image-2-vip,,x"]),
        &["empty model"],
    );
    // Too many calls at once: the arithmetic and what to change.
    let r = send(
        h,
        &fake,
        &k,
        "x",
        &[
            "--size",
            "1280x720,2048x1152,3840x2160",
            "--model",
            "gpt-image-2-vip,gpt-image-2-all",
            "--variants",
            "3",
        ],
    )
    .fails_with(&["18 calls", "at most 16", "--variants"]);
    assert!(!r.stderr().contains("$"), "no price for a refused grid");
    // A cell its model cannot make (gpt-image-2-all makes no 4K), in a
    // grid or alone: refused before the question, the folder or a call.
    send(
        h,
        &fake,
        &k,
        "x",
        &[
            "--size",
            "2048x1152,3840x2160",
            "--model",
            "gpt-image-2-vip,gpt-image-2-all",
        ],
    )
    .fails_with(&["the cell 3840x2160 × gpt-image-2-all", "makes no 4K"]);
    send(
        h,
        &fake,
        &k,
        "x",
        &["--size", "3840x2160", "--model", "gpt-image-2-all"],
    )
    .fails_with(&["gpt-image-2-all makes no 4K picture", "gpt-image-2-vip"]);
    // Only `send` makes grids; elsewhere a list is refused, saying so.
    pixloom(
        h,
        &with_key(&fake, &k, &["replay", "c", "--size", "1280x720,2048x1152"]),
    )
    .fails_with(&["a list of sizes makes a grid", "pixloom send"]);
    pixloom(
        h,
        &with_key(
            &fake,
            &k,
            &["--model", "gpt-image-2-vip,gpt-image-2-all", "c"],
        ),
    )
    .fails_with(&["a list of models makes a grid", "give one model here"]);
    assert!(fake.requests().is_empty(), "nothing was sent");
    assert_eq!(fake.billed(), 0);
    assert!(!h.join("c.pixloom").exists(), "nothing was created");
}

#[test]
fn a_refused_cell_is_said_and_the_others_are_kept_and_listed() {
    // The first request to arrive is refused (billed, as the gateway does).
    let (home, fake, k) = (
        tempfile::tempdir().unwrap(),
        FakeProcess::start(&["--fail", "refuse"]),
        key(),
    );
    let r = send(
        home.path(),
        &fake,
        &k,
        "a lighthouse",
        &["--model", "gpt-image-2-vip,gpt-image-2-all", "--json"],
    );
    assert!(!r.out.status.success(), "a refused cell fails the command");
    assert!(
        r.stderr().contains("refused the prompt") && r.stderr().contains("Rephrase"),
        "{}",
        r.stderr()
    );
    let j = r.json();
    let cells = j["cells"].as_array().unwrap();
    let mut status: Vec<&str> = cells
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    status.sort_unstable();
    assert_eq!(status, ["done", "refused"]);
    // What the output says was spent is what the fake billed.
    let spent: f64 = cells.iter().map(|c| c["cost_usd"].as_f64().unwrap()).sum();
    assert_eq!(fake.billed(), 2);
    assert!((spent - 0.06).abs() < 1e-9, "{spent}");
    // The done cell's picture is stored.
    let done = cells.iter().find(|c| c["status"] == "done").unwrap();
    let node = j["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == done["node"])
        .unwrap();
    assert!(Path::new(node["image"].as_str().unwrap()).is_file());
}
