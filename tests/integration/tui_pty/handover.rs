//! One screen handing the terminal to the next: the start screen to the
//! app (Enter), a replay to the app (`P`). The app's graphics probe must
//! be the only reader of the terminal when it asks: seen in xterm, the
//! start screen's key reader, still in its poll, took the probe's replies,
//! so the app fell back to half-blocks and xterm's XTVERSION reply arrived
//! as keys (`e` opened an edit, "rm(379)" was typed in the composer).
//!
//! The pty plays xterm: it answers every DA query the app writes, at
//! once, with XTVERSION and a DA that lists sixel.

use super::*;

/// What xterm -ti vt340 answers to `CSI > q` and `CSI c`.
const XTERM_REPLIES: &[u8] = b"\x1bP>|XTerm(379)\x1b\\\x1b[?63;1;2;4;6;9;15;16;22;28c";

/// The app's log (`clean_env` puts the state folder under `dir`).
fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("state/pixloom/pixloom.log")).unwrap_or_default()
}

/// Waits until the log says graphics were detected `probes` times.
fn detected(dir: &Path, probes: usize) {
    common::term::poll_until(
        "the graphics detection in the log",
        STEP,
        || (log(dir).matches("graphics detected").count() >= probes).then_some(()),
        || log(dir),
    );
}

/// Waits for the `probes`-th detection; it must have found sixel.
fn detected_sixel(dir: &Path, probes: usize) {
    detected(dir, probes);
    let log = log(dir);
    let last = log
        .lines()
        .rfind(|l| l.contains("graphics detected"))
        .unwrap_or_default();
    assert!(last.contains("Sixel"), "{last}");
}

/// `pixloom ARGS` on `fox`'s folder, in a pty that answers as xterm.
fn as_xterm(dir: &Path, args: &[&str]) -> PtyApp {
    fox(dir);
    let mut env = env(dir);
    env.retain(|(k, _)| k != "TERM");
    env.push(("TERM".into(), "xterm".into()));
    PtyApp::spawn_answering(
        &app_bin(),
        args,
        dir,
        &env,
        SIZE,
        StderrTo::File,
        XTERM_REPLIES,
    )
}

/// What the app wrote since `from`: no reply of the terminal typed as keys.
fn no_reply_typed(app: &PtyApp, from: usize) {
    let after = String::from_utf8_lossy(&app.output()[from..]).into_owned();
    assert!(
        !after.contains("rm(379)"),
        "replies typed as keys:\n{after}"
    );
    assert!(
        !after.contains("beside n1"),
        "a reply opened an edit:\n{after}"
    );
}

#[test]
fn the_app_after_the_start_screen_reads_its_probe_replies_not_keys() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut app = as_xterm(dir, &[]);
    app.wait_output("the start screen listing fox", STEP, |out| {
        count(out, b"fox") > 0
    });
    let from = app.len();
    app.send(b"\r");
    detected_sixel(dir, 1);
    app.wait_output("the app's first frame", STEP, |out| {
        count(&out[from..], b"reply under") > 0
    });
    assert!(
        app.settle(Duration::from_millis(300), Duration::from_secs(10)),
        "the app did not settle"
    );
    no_reply_typed(&app, from);
    app.send(b"q");
    app.wait_exit(STEP);
}

#[test]
fn the_app_after_a_replay_reads_its_probe_replies_not_keys() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut app = as_xterm(dir, &["--demo", "replay", "fox"]);
    detected(dir, 1);
    app.wait_output("the replay", STEP, |out| count(out, b"turn 1 of") > 0);
    let from = app.len();
    app.send(b"P");
    detected_sixel(dir, 2);
    app.wait_output("the re-run question", STEP, |out| {
        count(&out[from..], b"re-run from here") > 0
    });
    no_reply_typed(&app, from);
    // Esc keeps the path as it was; q leaves.
    app.send(b"\x1b");
    app.wait_output("the question closed", STEP, |out| {
        count(&out[from..], b"q quit") > 0
    });
    app.send(b"q");
    app.wait_exit(STEP);
}
