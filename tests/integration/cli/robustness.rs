//! Corrupt and future files refused untouched, sends killed or interrupted
//! leaving the turn saved, and the API key in no output, log or file.

use super::*;

#[test]
fn corrupt_and_future_files_are_refused_and_left_untouched() {
    let (home, fake, k) = home_fake_key();
    let h = home.path();
    pixloom(h, &with_key(&fake, &k, &["send", "c", "--prompt", "a cat"])).ok();
    let file = h.join("c.pixloom/conversation.json");
    let good = std::fs::read(&file).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (good[..good.len() / 2].to_vec(), "damaged"),
        (b"".to_vec(), "conversation.json"),
        (
            String::from_utf8_lossy(&good)
                .replace("pixloom/1", "pixloom/2")
                .into_bytes(),
            "newer",
        ),
    ];
    for (bytes, needle) in cases {
        std::fs::write(&file, &bytes).unwrap();
        pixloom(h, &with_key(&fake, &k, &["send", "c", "--prompt", "again"])).fails_with(&[needle]);
        pixloom(h, &["show", "c"]).fails_with(&[needle]);
        assert_eq!(
            std::fs::read(&file).unwrap(),
            bytes,
            "{needle}: the file was changed"
        );
    }
}

/// `send CONV --prompt "slow one"` to `fake` (a slow one), started in the
/// background; returns once the request is at the gateway: by then the
/// pending turn must already be saved.
fn send_until_at_gateway(
    home: &Path,
    fake: &FakeProcess,
    k: &str,
    conv: &str,
    stderr: Stdio,
) -> std::process::Child {
    let child = bin()
        .current_dir(home)
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .args(with_key(fake, k, &["send", conv, "--prompt", "slow one"]))
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.requests().is_empty() {
        assert!(Instant::now() < deadline, "the request never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn a_send_killed_mid_request_leaves_the_turn_interrupted() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeProcess::start(&["--latency", "60"]);
    let k = key();
    let mut child = send_until_at_gateway(home.path(), &fake, &k, "k", Stdio::null());
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let saved = std::fs::read_to_string(home.path().join("k.pixloom/conversation.json")).unwrap();
    assert!(
        saved.contains("\"pending\""),
        "the pending turn was saved before the request"
    );
    let show = pixloom(home.path(), &["show", "k", "--json"]).ok().json();
    assert_eq!(show["nodes"][1]["status"], "interrupted");
    // The next send opens it fine and marks it interrupted for good.
    let fast = FakeProcess::start(&[]);
    pixloom(
        home.path(),
        &with_key(&fast, &k, &["send", "k", "--prompt", "next"]),
    )
    .ok();
    let saved = std::fs::read_to_string(home.path().join("k.pixloom/conversation.json")).unwrap();
    assert!(saved.contains("\"interrupted\"") && !saved.contains("\"pending\""));
}

#[test]
fn the_api_key_never_appears_in_output_logs_or_saved_files() {
    let (home, fake, k) = home_fake_key();
    let h = home.path();
    let mut seen = String::new();
    // Sends with trace logging: JSON, the images endpoint, a bad size, a
    // gateway error; then the gateway down, and `show`.
    let traced: [&[&str]; 4] = [
        &["--prompt", "one", "--json"],
        &["--prompt", "two", "--endpoint", "images"],
        &["--prompt", "three", "--size", "1024x768"],
        &["--prompt", "[fake:fault=500]"],
    ];
    let sends = traced.map(|extra| {
        let args = [&["--log-level", "trace", "send", "s"][..], extra].concat();
        with_key(&fake, &k, &args)
    });
    for args in sends.into_iter().chain([
        vec![
            "--api-key",
            k.as_str(),
            "--base-url",
            "http://127.0.0.1:9",
            "send",
            "s",
            "--prompt",
            "down",
        ],
        vec!["--log-level", "trace", "show", "s", "--json"],
    ]) {
        let r = pixloom(h, &args);
        seen.push_str(&r.stdout());
        seen.push_str(&r.stderr());
    }
    // Every other command, with the key given as a flag and in the
    // environment: text, JSON, help, errors and written files.
    let every_command: [&[&str]; 15] = [
        &["show", "s"],
        &["show", "s", "--json"],
        &["export", "s", "--format", "html", "--out", "s.html"],
        &["export", "s", "--format", "markdown", "--out", "s.md"],
        &["export", "s", "--format", "html", "--out", "s.html"],
        &["replay", "s"],
        &["replay", "missing"],
        &["fake-gateway", "--help"],
        &["send", "--help"],
        &["export", "--help"],
        &["--help"],
        &["--version"],
        &["completions", "bash"],
        &["send", "s", "--prompt", ""],
        &["send", "s", "--prompt", "bad size", "--size", "7x7"],
    ];
    for args in every_command {
        let mut flagged = vec!["--api-key", k.as_str(), "--log-level", "trace"];
        flagged.extend_from_slice(args);
        let r = pixloom(h, &flagged);
        seen.push_str(&r.stdout());
        seen.push_str(&r.stderr());
        let out = in_home(h)
            .env("PIXLOOM_API_KEY", &k)
            .args(args)
            .output()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    assert!(
        seen.contains("wrote s.md") && seen.contains("fake gateway"),
        "the commands ran"
    );
    assert!(!seen.contains(&k), "the key was printed");
    let files = common::files_below(h);
    assert!(
        files.iter().any(|f| f.ends_with("pixloom.log")),
        "a log was written: {files:?}"
    );
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(k.len()).any(|w| w == k.as_bytes()),
            "the key is in {}",
            f.display()
        );
    }
}

#[test]
fn ctrl_c_during_send_saves_the_turn_as_cancelled() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeProcess::start(&["--latency", "60"]);
    let k = key();
    let child = send_until_at_gateway(home.path(), &fake, &k, "c", Stdio::piped());
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cancelled"), "{err}");
    assert!(err.contains("may still be billed"), "{err}");
    let show = pixloom(home.path(), &["show", "c", "--json"]).ok().json();
    assert_eq!(show["nodes"][1]["status"], "cancelled");
    assert_eq!(fake.billed(), 0);
}
