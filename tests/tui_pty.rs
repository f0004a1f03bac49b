//! The release binary on a pseudo-terminal, every byte it writes counted:
//! bytes per navigation key with half-block thumbnails on screen and while
//! idle, hostile text that must reach the terminal defused, and the
//! terminal restored after `q`, SIGTERM and SIGHUP.
//!
//! The figures: `cargo test --test tui_pty -- --nocapture bytes_per`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::term::{PtyApp, assert_screen_restored, clean_env, count, release_bin, run_pixloom};

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
    let app = PtyApp::spawn(&release_bin(), &["--demo", "fox"], dir, &env(dir), SIZE);
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

/// Text from the gateway and from saved files, full of terminal controls.
/// Every marker is unique, so the check below cannot be fooled by the
/// app's own (legitimate) escape sequences.
const HOSTILE: &str = concat!(
    "HOSTILE-",
    "\x1b]52;c;SE9TVElMRQ==\x07", // OSC 52: write the clipboard
    "\x1b]0;PWNED-TITLE\x07",     // OSC 0: set the window title
    "\x1b]2;PWNED-TITLE2\x1b\\",  // OSC 2, ST-terminated
    "\x1b[5;31mBLINKRED",         // CSI: blinking red
    "\x1bP$qm\x1b\\",             // DCS: request status
    "BELL\x07BELL",               // BEL
    "\u{9b}7;31mC1CSI",           // C1 CSI
    "\u{9d}0;C1OSC\u{9c}",        // C1 OSC … ST
    "\u{202e}REVERSED\u{202c}",   // bidi override
    "\u{2066}ISOLATE\u{2069}",    // bidi isolate
    "-END"
);

/// Byte strings that must never appear in what the app writes.
const FORBIDDEN: &[(&str, &[u8])] = &[
    ("OSC 52", b"\x1b]52;c;SE9T"),
    ("OSC 0 title", b"\x1b]0;PWNED"),
    ("OSC 2 title", b"\x1b]2;PWNED"),
    ("BEL after the title", b"PWNED-TITLE\x07"),
    ("BEL after the clipboard", b"SE9TVElMRQ==\x07"),
    ("BEL between BELLs", b"BELL\x07BELL"),
    ("CSI blink", b"\x1b[5;31mBLINKRED"),
    ("DCS", b"\x1bP$qm"),
    ("C1 CSI", "\u{9b}".as_bytes()),
    ("C1 OSC", "\u{9d}".as_bytes()),
    ("C1 ST", "\u{9c}".as_bytes()),
    ("bidi override", "\u{202e}".as_bytes()),
    ("bidi pop", "\u{202c}".as_bytes()),
    ("bidi isolate", "\u{2066}".as_bytes()),
    ("bidi pop isolate", "\u{2069}".as_bytes()),
];

#[test]
fn hostile_text_reaches_the_terminal_without_its_controls() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // A failed turn under a hostile prompt, made for real…
    let prompt = format!("PROMPT{HOSTILE} [fake:fault=500]");
    // (It exits non-zero: the turn failed, as asked.)
    std::process::Command::new(release_bin())
        .args(["--demo", "send", "hostile", "--prompt", &prompt])
        .current_dir(dir)
        .env_clear()
        .envs(env(dir))
        .output()
        .unwrap();
    // …then its error message, body, label and the title made hostile too,
    // as a file copied from elsewhere could be.
    let file = dir.join("hostile.pixloom/conversation.json");
    let mut conv: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    conv["title"] = format!("TITLE{HOSTILE}").into();
    let nodes = conv["nodes"].as_array_mut().unwrap();
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    nodes[0]["label"] = format!("LABEL{HOSTILE}").into();
    let turn = &mut nodes[1]["turn"];
    assert_eq!(turn["status"], "failed", "{turn}");
    turn["error"]["message"] = format!("ERROR{HOSTILE}").into();
    turn["error"]["raw_body"] = format!("BODY{HOSTILE}").into();
    turn["request_id"] = format!("REQ{HOSTILE}").into();
    std::fs::write(&file, serde_json::to_string_pretty(&conv).unwrap()).unwrap();

    let mut app = PtyApp::spawn(&release_bin(), &["hostile"], dir, &env(dir), SIZE);
    app.wait_output("the hostile prompt on screen", STEP, |out| {
        count(out, b"PROMPTHOSTILE-") > 0
    });
    let settle = |app: &PtyApp| {
        assert!(app.settle(Duration::from_millis(300), Duration::from_secs(10)));
    };
    settle(&app);
    // The failed turn's error in full, then its details, then back.
    app.send(b"G");
    settle(&app);
    app.send(b"E");
    app.wait_output("the hostile error detail", STEP, |out| {
        count(out, b"ERRORHOSTILE-") > 0
    });
    settle(&app);
    app.send(b"\x1b");
    settle(&app);
    app.send(b"I");
    settle(&app);
    app.send(b"\x1b");
    settle(&app);
    app.send(b"q");
    app.wait_exit(STEP);

    let out = app.output();
    for marker in ["TITLEHOSTILE-", "PROMPTHOSTILE-", "ERRORHOSTILE-"] {
        assert!(
            count(&out, marker.as_bytes()) > 0,
            "{marker} never reached the screen: the check would prove nothing"
        );
    }
    for (what, bytes) in FORBIDDEN {
        let n = count(&out, bytes);
        let at = common::term::rfind(&out, bytes).unwrap_or(0);
        assert_eq!(
            n,
            0,
            "{what} from the hostile text reached the terminal; around it: {:?}",
            String::from_utf8_lossy(&out[at.saturating_sub(80)..(at + 80).min(out.len())])
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
        Stop::Term => app.signal(rustix::process::Signal::TERM),
        Stop::Hup => app.signal(rustix::process::Signal::HUP),
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
