//! Send, show and export round trip, the demo without a key, and the one
//! clear line for every error a user can cause.

use super::*;

#[test]
fn send_show_export_round_trip() {
    let (home, fake, k) = home_fake_key();
    let send = |args: &[&str]| {
        let args = [&["send"][..], args].concat();
        pixloom(home.path(), &with_key(&fake, &k, &args))
    };
    let r = send(&[
        "fox",
        "--prompt",
        "a red fox",
        "--size",
        "1280x720",
        "--json",
    ])
    .ok();
    let j = r.json();
    let nodes = j["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(
        (nodes[0]["id"].as_str(), nodes[0]["role"].as_str()),
        (Some("n1"), Some("user"))
    );
    assert_eq!(nodes[1]["status"], "done");
    assert_eq!(
        (nodes[1]["width"].as_u64(), nodes[1]["height"].as_u64()),
        (Some(1280), Some(720))
    );
    assert!(Path::new(nodes[1]["image"].as_str().unwrap()).is_file());
    assert!(nodes[1]["request_id"].as_str().unwrap().starts_with("req_"));
    assert_eq!(j["cost_usd"].as_f64(), Some(0.03));

    // Refine from the first result (--from n2) with three variants.
    let r = send(&[
        "fox.pixloom",
        "--prompt",
        "make it night",
        "--from",
        "n2",
        "--variants",
        "3",
        "--json",
    ])
    .ok();
    let j = r.json();
    assert_eq!(j["nodes"].as_array().unwrap().len(), 4);
    assert_eq!(j["cost_usd"].as_f64(), Some(0.09));
    assert_eq!(fake.billed(), 4);

    let show = pixloom(home.path(), &["show", "fox", "--json"]).ok().json();
    let ids: Vec<&str> = show["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["n1", "n2", "n3", "n4", "n5", "n6"]);
    assert_eq!(show["nodes"][2]["parent"], "n2");
    let text = pixloom(home.path(), &["show", "fox"]).ok().stdout();
    assert!(text.contains("a red fox") && text.contains("└─"), "{text}");

    let html = home.path().join("fox.html");
    pixloom(
        home.path(),
        &[
            "export",
            "fox",
            "--format",
            "html",
            "--out",
            html.to_str().unwrap(),
        ],
    )
    .ok();
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<img").count(), 4);
    assert!(page.contains("data:image/") && page.contains("make it night"));
    assert!(!page.contains("src=\"http"), "self-contained");
    let md = home.path().join("fox.md");
    pixloom(
        home.path(),
        &[
            "export",
            "fox",
            "--format",
            "markdown",
            "--out",
            md.to_str().unwrap(),
        ],
    )
    .ok();
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.contains("![n2](fox_files/"), "{md}");
}

#[test]
fn the_demo_needs_no_key() {
    let home = tempfile::tempdir().unwrap();
    let demo_send = |prompt: &str| {
        let out = in_home(home.path())
            .env("PIXLOOM_DEMO_LATENCY", "0")
            .args(["--demo", "send", "demo", "--prompt", prompt, "--json"])
            .output()
            .unwrap();
        let out = Run { out }.ok().out;
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let j = demo_send("a lighthouse at dusk");
    assert_eq!(j["nodes"][1]["status"], "done");
    // A second demo run refines the first result: that run's fake gateway
    // (and its URLs) are gone, so the image must travel as a local copy.
    let j = demo_send("now in fog");
    assert_eq!(j["nodes"][1]["status"], "done", "{j}");
}

#[test]
fn user_errors_are_one_clear_line_and_change_nothing() {
    let (home, fake, k) = home_fake_key();
    let h = home.path();
    // No key at all.
    pixloom(
        h,
        &["--base-url", &fake.base_url, "send", "c", "--prompt", "x"],
    )
    .fails_with(&["no API key", "PIXLOOM_API_KEY", "--demo"]);
    // `send c --prompt x` with the fake, the key and `extra`.
    let send = |extra: &[&str]| {
        let args = [&["send", "c", "--prompt", "x"][..], extra].concat();
        pixloom(h, &with_key(&fake, &k, &args))
    };
    // Bad sizes, with the suggestion.
    send(&["--size", "1024x768"]).fails_with_clap(&["1280x960"]);
    send(&["--size", "2048X1152"]).fails_with_clap(&["2048x1152"]);
    // Missing file, not an image, a directory.
    send(&["--image", "nope.png"]).fails_with(&["nope.png"]);
    std::fs::write(h.join("notes.txt"), "hello").unwrap();
    send(&["--image", "notes.txt"]).fails_with(&["notes.txt", "not an image"]);
    // A wrong key: the turn fails with directions, and is saved as failed.
    pixloom(
        h,
        &with_key(&fake, "sk-wrong", &["send", "c", "--prompt", "x"]),
    )
    .fails_with(&["401", "PIXLOOM_API_KEY"]);
    let show = pixloom(h, &["show", "c", "--json"]).ok().json();
    assert_eq!(show["nodes"][1]["status"], "failed");
    // Nothing was billed by any of it, and no request left for the bad inputs.
    assert_eq!(fake.billed(), 0);
    assert_eq!(
        fake.requests().len(),
        1,
        "only the wrong-key request reached the gateway"
    );
    // Gateway down.
    let down = common::down_url();
    pixloom(
        h,
        &[
            "--base-url",
            &down,
            "--api-key",
            &k,
            "send",
            "d",
            "--prompt",
            "x",
        ],
    )
    .fails_with(&["could not reach the gateway"]);
    // Unknown node for --from.
    send(&["--from", "n99"]).fails_with(&["n99"]);
}

impl Run {
    /// clap prints usage after its error; only the first line matters.
    fn fails_with_clap(self, needles: &[&str]) -> Self {
        assert!(!self.out.status.success());
        let err = self.stderr();
        for n in needles {
            assert!(err.contains(n), "stderr lacks {n:?}: {err}");
        }
        self
    }
}
