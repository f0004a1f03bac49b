//! The pixloom binary on a pseudo-terminal, every byte it writes counted:
//! bytes per navigation key with half-block thumbnails on screen and while
//! idle, hostile text (from saved files and live from a gateway) that must
//! reach the terminal defused, and the terminal restored after `q`,
//! SIGTERM, SIGHUP and a panic.
//!
//! The figures: `cargo test --test integration -- --nocapture tui_pty::bytes_per`.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::term::{
    PtyApp, StderrTo, app_bin, assert_screen_restored, clean_env, count, run_pixloom,
};

mod handover;
mod hostile;
mod slow_link;

/// The terminal: 120 columns, 40 rows.
const SIZE: (u16, u16) = (120, 40);

/// At most this many bytes for one `j`/`k` press with thumbnails on
/// screen (the project's target: a selection move redraws the highlight
/// and a few rows of text, never image data).
const KEY_LIMIT: usize = 2048;

/// At most this many bytes for a key that scrolls the transcript: every
/// visible cell redrawn once with both colours (120×40 cells, ~40 bytes
/// for a half-block cell with two truecolour escapes, is ~190 KB; two
/// scrolled thumbnails are ~20 KB).
const SCROLL_LIMIT: usize = 32 * 1024;

const STEP: Duration = Duration::from_secs(30);

/// The app's environment: `clean_env` plus an instant demo gateway.
fn env(dir: &Path) -> Vec<(String, String)> {
    let mut env = clean_env(dir);
    env.push(("PIXLOOM_DEMO_LATENCY".into(), "0".into()));
    env
}

/// `fox`: three sends, so the path n1 → … → n6 has three images. One
/// gateway for all three: a later turn sends the earlier images by their
/// gateway URL, which a new `--demo` gateway could not fetch.
fn fox(dir: &Path) {
    let fake = common::FakeProcess::start(&["--port", "0", "--latency", "0"]);
    let mut env = env(dir);
    env.push(("PIXLOOM_BASE_URL".into(), fake.base_url.clone()));
    env.push(("PIXLOOM_API_KEY".into(), common::key()));
    for prompt in ["a red fox in snow", "make it dusk", "add a moon"] {
        run_pixloom(dir, &env, &["send", "fox", "--prompt", prompt]);
    }
}

/// The app on `fox`, its first frame with thumbnails drawn and settled.
fn open_fox(dir: &Path) -> PtyApp {
    let app = PtyApp::spawn(
        &app_bin(),
        &["--demo", "fox"],
        dir,
        &env(dir),
        SIZE,
        StderrTo::File,
    );
    app.wait_output("thumbnails (200+ half-block cells)", STEP, |out| {
        count(out, "▀".as_bytes()) >= 200
    });
    assert!(
        app.settle(Duration::from_millis(500), Duration::from_secs(10)),
        "the first screen did not settle"
    );
    app
}

/// The bytes one key press makes the app write, once the frame settled.
fn press(app: &mut PtyApp, key: &str) -> Vec<u8> {
    let before = app.len();
    app.bytes_for(
        key.as_bytes(),
        Duration::from_secs(2),
        Duration::from_millis(300),
    );
    app.output()[before..].to_vec()
}

/// Nothing written over one idle second.
fn idle_bytes(app: &PtyApp) -> usize {
    let before = app.len();
    std::thread::sleep(Duration::from_secs(1));
    app.len() - before
}

#[test]
fn bytes_per_navigation_key_and_while_idle() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    fox(dir);
    // The path n1 … n6 is taller than the transcript: it shows n4 (part),
    // n5 and n6 (selected) with two thumbnails.
    let mut app = open_fox(dir);
    let first = app.len();
    let idle = idle_bytes(&app);

    // Selection moves among the turns on screen: n6 → n5 → n6 → n5 → n4
    // → n5 → n6. Only the highlight and a few rows of text change; no
    // image data is sent again.
    let mut moves = Vec::new();
    for key in ["k", "j", "k", "k", "j", "j"] {
        moves.push((key, press(&mut app, key)));
    }
    // Moves that scroll the transcript: to the first turn and back to the
    // last. Every thumbnail row that scrolls is redrawn: bounded, not small.
    let mut scrolls = Vec::new();
    for key in ["g", "G"] {
        scrolls.push((key, press(&mut app, key)));
    }
    let idle_after = idle_bytes(&app);

    let figures = |v: &[(&str, Vec<u8>)]| {
        v.iter()
            .map(|(k, b)| format!("{k}={}", b.len()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "bytes: first frame {first}; idle 1 s {idle}; selection moves {}; scrolling moves {}; idle 1 s after {idle_after} (limits: move {KEY_LIMIT}, scroll {SCROLL_LIMIT}, idle 0)",
        figures(&moves),
        figures(&scrolls),
    );

    assert_eq!(idle, 0, "bytes written while idle");
    assert_eq!(idle_after, 0, "bytes written while idle after moving");
    for (key, bytes) in &moves {
        assert!(
            !bytes.is_empty(),
            "{key} moved the selection but nothing was redrawn"
        );
        assert!(
            bytes.len() <= KEY_LIMIT,
            "{key} wrote {} bytes (limit {KEY_LIMIT}); all: {}",
            bytes.len(),
            figures(&moves)
        );
        assert_eq!(
            count(bytes, "▀".as_bytes()),
            0,
            "{key} sent thumbnail cells again: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    for (key, bytes) in &scrolls {
        assert!(
            count(bytes, "▀".as_bytes()) > 0,
            "{key} should scroll the thumbnails"
        );
        assert!(
            bytes.len() <= SCROLL_LIMIT,
            "{key} wrote {} bytes (limit {SCROLL_LIMIT})",
            bytes.len()
        );
    }
    app.send(b"q");
    app.wait_exit(STEP);
}

/// The API key is neither in what reached the terminal nor in any file
/// under `dir` (conversations, logs, stderr captures).
fn assert_no_key(out: &[u8], dir: &Path) {
    let key = common::key();
    assert_eq!(
        count(out, key.as_bytes()),
        0,
        "the key reached the terminal"
    );
    for file in common::files_below(dir) {
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(
            count(&bytes, key.as_bytes()),
            0,
            "the key is in {}",
            file.display()
        );
    }
}

/// How the app is stopped.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Quit,
    Term,
    Hup,
}

fn restored_after(stop: Stop) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    fox(dir);
    let mut app = open_fox(dir);
    assert_ne!(
        app.stty(),
        app.stty_before,
        "the app runs with the tty in raw mode"
    );
    match stop {
        Stop::Quit => app.send(b"q"),
        Stop::Term => app.signal(rustix::process::Signal::Term),
        Stop::Hup => app.signal(rustix::process::Signal::Hup),
    }
    // `wait_exit` also fails if the signal killed the app (unhandled).
    app.wait_exit(STEP);
    assert_eq!(
        app.stty(),
        app.stty_before,
        "the tty modes were not restored after {stop:?}"
    );
    assert_screen_restored(&app.output());
}

#[test]
fn terminal_restored_after_q() {
    restored_after(Stop::Quit);
}

#[test]
fn terminal_restored_after_sigterm() {
    restored_after(Stop::Term);
}

#[test]
fn terminal_restored_after_sighup() {
    restored_after(Stop::Hup);
}

/// Runs the app in the fox conversation, failing on purpose with
/// `PIXLOOM_DEBUG_PANIC=value` right after its first frame, stderr on the
/// same pty (as in a shell: the order of the restore and the report is
/// then the order of the bytes). Waits for it to end and for `report`;
/// checks the tty modes, the screen and that the report came after the
/// alternate screen was left. Returns the app, its bytes, the report's
/// offset and its home (the bytes and files are checked for the key).
fn fails_on_purpose(value: &str, report: &str) -> (PtyApp, Vec<u8>, usize, tempfile::TempDir) {
    use pixloom::tui::test_hooks::DEBUG_PANIC_VAR;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    fox(dir);
    let mut env = env(dir);
    env.push(("PIXLOOM_API_KEY".into(), common::key()));
    env.push((DEBUG_PANIC_VAR.into(), value.into()));
    let mut app = PtyApp::spawn(&app_bin(), &["fox"], dir, &env, SIZE, StderrTo::Tty);
    app.wait_end(STEP);
    app.wait_output("the failure's report", STEP, |out| {
        count(out, report.as_bytes()) > 0
    });
    assert_eq!(
        app.stty(),
        app.stty_before,
        "the tty modes were not restored after {value}"
    );
    let out = app.output();
    assert_screen_restored(&out);
    let left = common::term::rfind(&out, b"\x1b[?1049l").unwrap();
    let reported = common::term::rfind(&out, report.as_bytes()).unwrap();
    assert!(
        reported > left,
        "the report was printed before the alternate screen was left"
    );
    assert_no_key(&out, dir);
    (app, out, reported, home)
}

/// A panic on the UI thread (made on purpose with `PIXLOOM_DEBUG_PANIC`,
/// right after the first frame): the tty modes are restored, the
/// alternate screen left and the cursor shown *before* the panic report
/// is printed, so the report lands on the normal screen where it stays
/// readable. Neither the report nor anything saved carries the API key.
#[test]
fn terminal_restored_after_a_panic() {
    use pixloom::tui::test_hooks::DEBUG_PANIC_VALUE;
    let report = "a deliberate panic after the first frame";
    let (mut app, out, reported, _home) = fails_on_purpose(DEBUG_PANIC_VALUE, report);
    assert_eq!(
        app.wait_exit(STEP).code(),
        Some(101),
        "a panic exits with 101"
    );
    // Before the report, the cursor was shown after it was last hidden.
    let before = &out[..reported];
    let hidden = common::term::rfind(before, b"\x1b[?25l");
    let shown = common::term::rfind(before, b"\x1b[?25h");
    assert!(
        shown > hidden,
        "the report came before the cursor was shown: {:?}",
        String::from_utf8_lossy(&out[reported.saturating_sub(400)..])
    );
}

/// An allocation that fails (made on purpose: 64 TiB, after the first
/// frame) aborts the process: no panic hook, no drop runs. A 4 GB reply
/// did this once and left the terminal raw in the alternate screen. The
/// allocator now restores the terminal first, without allocating, so the
/// abort's own report lands on the normal screen.
#[test]
fn terminal_restored_after_an_allocation_fails() {
    use pixloom::tui::test_hooks::DEBUG_OOM_VALUE;
    use std::os::unix::process::ExitStatusExt as _;
    let (mut app, ..) = fails_on_purpose(DEBUG_OOM_VALUE, "memory allocation of");
    let status = app.wait_end(STEP);
    assert_eq!(
        status.signal(),
        Some(6),
        "an allocation failure aborts: {status:?}"
    );
}
