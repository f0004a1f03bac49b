//! Hostile text in a conversation, a path or a prompt never reaches the
//! output or an export.

use super::*;

/// Every kind of escape a file can carry: OSC title and clipboard, clear
/// screen, CSI as C1, NEL, bidi overrides and isolates, marks, DEL.
const HOSTILE: &str = "\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J\u{9b}31m\u{85}\u{202e}\u{2066}\u{200f}\u{61c}\u{7f}x";
const MARKUP: &str = "<script>alert(1)</script> ![x](http://evil.example/beacon.png) [a](javascript:alert(1)) <img src=http://evil.example/i.png> [r]: http://evil.example/ref";

/// No byte that a terminal acts on: C0 but for line breaks, DEL, C1, bidi.
fn assert_inert(what: &str, out: &str) {
    let bad = out.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{61c}')
    });
    assert!(bad.is_none(), "{what} carries {bad:?}: {out:?}");
}

fn hostile_conversation() -> Conversation {
    let h = |field: &str| format!("{field} {HOSTILE} {MARKUP}");
    let mut c = Conversation::new(h("title"), T0);
    // A chosen title travels with the folder, hostile or not.
    c.titled = true;
    let u = c
        .add_user(
            None,
            text(&format!("{}\nsecond line {HOSTILE}", h("prompt"))),
            T0,
        )
        .unwrap();
    let a = c.add_pending(u, &params(&h("model")), 1, T0).unwrap()[0];
    let error = TurnError {
        message: h("error http://evil.example/url"),
        raw_body: Some(h("raw")),
        ..TurnError::default()
    };
    let outcome = Outcome {
        request_id: Some(h("request")),
        latency_ms: Some(1200),
        ..Outcome::default()
    };
    c.fail(a, error, outcome).unwrap();
    c.set_label(u, Some(h("label"))).unwrap();
    c.set_label(a, Some(h("label2"))).unwrap();
    c.select(a).unwrap();
    c
}

#[test]
fn hostile_text_in_a_conversation_never_reaches_output_or_exports() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // The folder name (the path argument) is hostile too.
    let name = format!("c{HOSTILE}");
    write_conversation(h, &name, &hostile_conversation());
    let conv = format!("{name}.pixloom");

    let shown = pixloom(h, &["show", &conv]).ok();
    assert_inert("show", &shown.stdout());
    assert_inert("show's stderr", &shown.stderr());
    for field in ["title", "prompt", "model", "error", "label"] {
        assert!(
            shown.stdout().contains(field),
            "{field} shown: {}",
            shown.stdout()
        );
    }

    let json = pixloom(h, &["show", &conv, "--json"]).ok();
    let raw = json.stdout();
    assert_inert("show --json", &raw);
    for esc in [
        "\\u001b", "\\u0007", "\\u009b", "\\u0085", "\\u202e", "\\u2066", "\\u200f", "\\u061c",
        "\\u007f",
    ] {
        assert!(raw.contains(esc), "{esc} in {raw}");
    }
    let j = json.json();
    assert!(
        j["title"].as_str().unwrap().contains(HOSTILE),
        "the data survives the escapes"
    );
    assert!(j["nodes"][1]["model"].as_str().unwrap().contains(HOSTILE));
    assert!(
        j["nodes"][1]["request_id"]
            .as_str()
            .unwrap()
            .contains(HOSTILE)
    );

    let e = pixloom(h, &["export", &conv, "--format", "html", "--out", "c.html"]).ok();
    assert_inert("export's stdout", &e.stdout());
    let page = std::fs::read_to_string(h.join("c.html")).unwrap();
    assert_inert("the HTML export", &page);
    assert!(
        !page.contains("<script") && !page.contains("<img src=http"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;") && page.contains("request"),
        "{page}"
    );

    let e = pixloom(
        h,
        &["export", &conv, "--format", "markdown", "--out", "c.md"],
    )
    .ok();
    assert_inert("export's stdout", &e.stdout());
    let md = std::fs::read_to_string(h.join("c.md")).unwrap();
    assert_inert("the Markdown export", &md);
    for raw in ["<script", "<img", "](http", "![x]", "[a](", "[r]:"] {
        assert!(!md.contains(raw), "{raw} in {md}");
    }
    assert!(
        md.contains("&lt;script&gt;") && md.contains("\\!\\[x\\]\\(http"),
        "{md}"
    );
    // Every line of a prompt stays in its quote.
    assert!(md.contains("\n> second line"), "{md}");
}

#[test]
fn send_prints_nothing_hostile_from_paths_or_the_prompt() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let fake = FakeProcess::start(&[]);
    let k = key();
    let name = format!("s{HOSTILE}");
    let prompt = format!("a fox {HOSTILE}");
    for json in [false, true] {
        let mut args = with_key(&fake, &k, &["send", &name, "--prompt", &prompt]);
        if json {
            args.push("--json");
        }
        let r = pixloom(h, &args).ok();
        assert_inert("send", &r.stdout());
        assert_inert("send's stderr", &r.stderr());
        assert!(r.stdout().contains(".pixloom/images/"), "{}", r.stdout());
        if json {
            assert!(r.stdout().contains("\\u001b]0;pwned"), "{}", r.stdout());
            let j = r.json();
            assert!(j["nodes"][1]["image"].as_str().unwrap().contains(HOSTILE));
        }
    }
    // A refusal message quoting the prompt, and an error naming the path.
    let r = pixloom(
        h,
        &with_key(
            &fake,
            &k,
            &["send", &name, "--prompt", &prompt, "--from", "n99"],
        ),
    );
    assert!(!r.out.status.success());
    assert_inert("send's error", &r.stderr());
}
