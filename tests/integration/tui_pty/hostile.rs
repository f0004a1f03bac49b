//! Hostile text, from saved files and live from a gateway, reaches the
//! terminal without its controls.

use super::*;

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

    let mut app = PtyApp::spawn(&app_bin(), &["hostile"], dir, &env, SIZE, StderrTo::File);
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

fn assert_defused(out: &[u8]) {
    let found = forbidden_in(out);
    assert!(
        found.is_empty(),
        "{} kinds of terminal control from the hostile text reached the terminal:\n{}",
        found.len(),
        found.join("\n")
    );
}
