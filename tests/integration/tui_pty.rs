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

use common::term::{PtyApp, app_bin, assert_screen_restored, clean_env, count, run_pixloom};

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
    let app = PtyApp::spawn(&app_bin(), &["--demo", "fox"], dir, &env(dir), SIZE);
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

/// Text from the gateway and from saved files, full of terminal controls:
/// ESC, CSI, OSC (title, clipboard, hyperlink), DCS, every C1 control,
/// a flood of 1000 BELs and the bidi overrides and isolates. Each
/// sequence is followed by its own marker word, so the check below looks
/// for the sequence *from the text* and is not fooled by the app's own
/// escape sequences.
fn hostile() -> String {
    let c1: String = ('\u{80}'..='\u{9f}').collect();
    [
        "HOSTILE-",
        "\x1b]52;c;SE9TVElMRQ==\x07", // OSC 52: write the clipboard
        "\x1b]0;PWNED-TITLE\x07",     // OSC 0: set the window title
        "\x1b]2;PWNED-TITLE2\x1b\\",  // OSC 2, ST-terminated
        "\x1b]8;;ssh://evil.example/\x1b\\LINKED\x1b]8;;\x1b\\", // OSC 8 hyperlink
        "\x1b[2JCLEARED",             // CSI: clear the screen
        "\x1b[31mREDTEXT",            // CSI: red
        "\x1b[5;31mBLINKRED",         // CSI: blinking red
        "\x1bP$qm\x1b\\",             // DCS: request status
        "\x1bcRESET",                 // ESC c: reset the terminal
        "BELL\x07BELL",               // BEL
        "\u{9b}7;31mC1CSI",           // C1 CSI
        "\u{9d}0;C1OSC\u{9c}",        // C1 OSC … ST
        &format!("C1ALL{c1}C1END"),   // U+0080–U+009F
        &format!("FLOOD{}FLOOD", "\x07".repeat(1000)), // a BEL flood
        "\u{202e}REVERSED\u{202c}",   // bidi override … pop
        "\u{202d}LTR\u{202a}LRE\u{202b}RLE", // the other embeddings
        "\u{2066}ISOLATE\u{2067}RLI\u{2068}FSI\u{2069}", // bidi isolates
        "\u{200e}\u{200f}\u{61c}MARKS", // direction marks
        "-END",
    ]
    .concat()
}

/// What may never reach the terminal, whatever the app itself writes:
/// the app rings no bell, sets no title or clipboard on its own (nothing
/// here presses `y`), makes no hyperlink, sends no DCS (the graphics
/// probe sends none to a VT220 without graphics), and writes no C1
/// control or bidi character. Those are banned outright; the CSI and ESC
/// sequences, which the app uses too (and ST, which ends its graphics
/// probe), are banned followed by the text's marker.
fn forbidden() -> Vec<(String, Vec<u8>)> {
    let mut list: Vec<(String, Vec<u8>)> = [
        ("BEL", &b"\x07"[..]),
        ("OSC", b"\x1b]"),
        ("DCS", b"\x1bP"),
        ("CSI 2J from the text", b"\x1b[2JCLEARED"),
        ("CSI red from the text", b"\x1b[31mREDTEXT"),
        ("CSI blink from the text", b"\x1b[5;31mBLINKRED"),
        ("ESC c from the text", b"\x1bcRESET"),
    ]
    .into_iter()
    .map(|(what, bytes)| (what.to_owned(), bytes.to_vec()))
    .collect();
    let chars = ('\u{80}'..='\u{9f}')
        .chain('\u{202a}'..='\u{202e}')
        .chain('\u{2066}'..='\u{2069}')
        .chain(['\u{200e}', '\u{200f}', '\u{61c}']);
    for c in chars {
        list.push((
            format!("U+{:04X}", u32::from(c)),
            c.to_string().into_bytes(),
        ));
    }
    list
}

/// Every forbidden sequence found in `out`, with the bytes around its
/// last occurrence.
fn forbidden_in(out: &[u8]) -> Vec<String> {
    forbidden()
        .into_iter()
        .filter_map(|(what, bytes)| {
            let at = common::term::rfind(out, &bytes)?;
            let around = &out[at.saturating_sub(60)..(at + 60).min(out.len())];
            Some(format!(
                "{what} ×{}: {:?}",
                count(out, &bytes),
                String::from_utf8_lossy(around)
            ))
        })
        .collect()
}

/// The check catches every sequence when nothing defuses it: the hostile
/// text itself trips every entry but the ones only the app could write.
#[test]
fn the_hostile_text_check_can_fail() {
    let raw = hostile();
    let found = forbidden_in(raw.as_bytes());
    assert_eq!(found.len(), forbidden().len(), "{found:#?}");
}

/// A gateway of the test's own that answers each API request with the
/// next canned reply (status, content type, body), whatever was asked, so
/// its text can be anything. Returns the base URL and how many requests
/// came in. Each connection serves one exchange and closes.
fn canned_gateway(replies: Vec<(u16, &'static str, String)>) -> (String, Arc<AtomicUsize>) {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&served);
    let replies = Mutex::new(replies.into_iter());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            // The whole request first: an answer to a half-read request
            // may reach the client as a reset.
            let mut req = Vec::new();
            let mut buf = [0u8; 64 * 1024];
            let body_at = loop {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break None,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
                if let Some(i) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
            };
            let Some(body_at) = body_at else { continue };
            let head = String::from_utf8_lossy(&req[..body_at]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            while req.len() < body_at + len {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let (status, content_type, body) = replies.lock().unwrap().next().unwrap_or((
                500,
                "application/json",
                r#"{"error":{"message":"no more canned replies"}}"#.to_owned(),
            ));
            let _ = conn.write_all(
                format!(
                    "HTTP/1.1 {status} Canned\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nrequest-id: req_canned\r\nretry-after: 0\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    (base, served)
}

/// Hostile text from every source on a real pty: a prompt, a label, a
/// title, an error message, a raw body and a request id loaded from a
/// saved conversation; then, live from the gateway, an error message, a
/// refusal and a 502 page. All reach the screen (their markers are
/// there), none with its controls.
#[test]
fn hostile_text_reaches_the_terminal_without_its_controls() {
    let hostile = hostile();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // A failed turn under a hostile prompt, made for real…
    let prompt = format!("PROMPT{hostile} [fake:fault=500]");
    // (It exits non-zero: the turn failed, as asked.)
    std::process::Command::new(app_bin())
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
    conv["title"] = format!("TITLE{hostile}").into();
    conv["titled"] = true.into();
    let nodes = conv["nodes"].as_array_mut().unwrap();
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    nodes[0]["label"] = format!("LABEL{hostile}").into();
    let turn = &mut nodes[1]["turn"];
    assert_eq!(turn["status"], "failed", "{turn}");
    turn["error"]["message"] = format!("ERROR{hostile}").into();
    turn["error"]["raw_body"] = format!("BODY{hostile}").into();
    turn["request_id"] = format!("REQ{hostile}").into();
    std::fs::write(&file, serde_json::to_string_pretty(&conv).unwrap()).unwrap();

    // The gateway's own words, hostile: a 400's message, a refusal, and a
    // 502 page (three times: it is retried twice).
    let error = serde_json::json!({"error": {
        "message": format!("GWERROR{hostile}"),
        "type": "invalid_request_error",
    }});
    let refusal = serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-image-2-vip",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": format!("GWREFUSAL{hostile}")}}],
    });
    let page = format!("<html><body>GWPAGE{hostile}</body></html>");
    let (base, served) = canned_gateway(vec![
        (400, "application/json", error.to_string()),
        (200, "application/json", refusal.to_string()),
        (502, "text/html", page.clone()),
        (502, "text/html", page.clone()),
        (502, "text/html", page),
    ]);
    let mut env = env(dir);
    env.push(("PIXLOOM_BASE_URL".into(), base));
    env.push(("PIXLOOM_API_KEY".into(), common::key()));

    let mut app = PtyApp::spawn(&app_bin(), &["hostile"], dir, &env, SIZE);
    // The first screen (its status bar shows the session cost), settled,
    // checked before anything else: undefused text garbles the screen, so
    // waiting for a marker first would only time out.
    app.wait_output("the first screen", STEP, |out| count(out, b" $0.00 ") > 0);
    let settle = |app: &PtyApp| {
        assert!(app.settle(Duration::from_millis(300), Duration::from_secs(10)));
    };
    settle(&app);
    assert_defused(&app.output());
    assert!(
        count(&app.output(), b"PROMPTHOSTILE-") > 0,
        "the hostile prompt is not on the first screen"
    );
    // The saved failed turn's error in full, then its details, then back.
    for (keys, marker) in [
        (&b"G"[..], None),
        (b"E", Some("ERRORHOSTILE-")),
        (b"\x1b", None),
        (b"I", Some("REQHOSTILE-")),
        (b"\x1b", None),
    ] {
        app.send(keys);
        if let Some(m) = marker {
            app.wait_output(m, STEP, |out| count(out, m.as_bytes()) > 0);
        }
        settle(&app);
    }
    // Three live turns, each answered with hostile text: (requests made
    // by then, what shows the answer arrived, what its error detail shows).
    for (n, arrived, detail) in [
        (1, "GWERRORHOSTILE-", Some("invalid_request_error")),
        (2, "GWREFUSALHOSTILE-", None),
        (5, "an HTML error page", Some("GWPAGEHOSTILE-")),
    ] {
        app.send(format!("ilive turn {n}\r").as_bytes());
        app.wait_output(arrived, STEP, |out| count(out, arrived.as_bytes()) > 0);
        assert_eq!(served.load(Ordering::SeqCst), n, "requests so far");
        settle(&app);
        // Out of the composer (the turn is over: nothing to cancel).
        app.send(b"\x1b");
        settle(&app);
        if let Some(marker) = detail {
            let before = app.len();
            app.send(b"E");
            app.wait_output(marker, STEP, |out| {
                count(&out[before..], marker.as_bytes()) > 0
            });
            settle(&app);
            app.send(b"\x1b");
            settle(&app);
        }
    }
    app.send(b"q");
    app.wait_exit(STEP);

    let out = app.output();
    for marker in [
        "TITLEHOSTILE-",
        "PROMPTHOSTILE-",
        "LABELHOSTILE-",
        "ERRORHOSTILE-",
        "BODYHOSTILE-",
        "REQHOSTILE-",
        "GWERRORHOSTILE-",
        "GWREFUSALHOSTILE-",
        "GWPAGEHOSTILE-",
    ] {
        assert!(
            count(&out, marker.as_bytes()) > 0,
            "{marker} never reached the screen: the check would prove nothing"
        );
    }
    // The text's words reach the screen, its controls do not.
    for word in ["CLEARED", "REDTEXT", "LINKED", "C1END", "FLOOD", "REVERSED"] {
        assert!(count(&out, word.as_bytes()) > 0, "{word} never shown");
    }
    assert_defused(&out);
    assert_no_key(&out, dir);
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

fn assert_defused(out: &[u8]) {
    let found = forbidden_in(out);
    assert!(
        found.is_empty(),
        "{} kinds of terminal control from the hostile text reached the terminal:\n{}",
        found.len(),
        found.join("\n")
    );
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
    let mut app = PtyApp::spawn_stderr_on_tty(&app_bin(), &["fox"], dir, &env, SIZE);
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
