//! `pixloom send` on a terminal says what it is waiting for — time
//! waited, what earlier turns took, retries and why — on lines redrawn in
//! place and cleared before the result; with stderr a pipe, or `--json`,
//! nothing extra. The debug binary on a real pty against the fake gateway.

use super::*;
use common::term::{PtyApp, StderrTo, clean_env};

const WAIT: Duration = Duration::from_secs(60);

fn send_on_a_pty(home: &Path, fake: &FakeProcess, extra: &[&str]) -> String {
    let k = key();
    let mut rest = vec!["send", "c", "--prompt", "a fox in snow"];
    rest.extend_from_slice(extra);
    let args = with_key(fake, &k, &rest);
    let bin = Path::new(env!("CARGO_BIN_EXE_pixloom"));
    let mut app = PtyApp::spawn(bin, &args, home, &clean_env(home), (120, 30), StderrTo::Tty);
    let status = app.wait_exit(WAIT);
    // The pty may still hold the last bytes when the process has ended.
    app.wait_output("the result", WAIT, |b| {
        let out = String::from_utf8_lossy(b);
        out.contains("billed call") || out.trim_end().ends_with('}') || out.contains("pixloom:")
    });
    let out = String::from_utf8_lossy(&app.output()).into_owned();
    assert!(status.success(), "{out}");
    out
}

#[test]
fn send_shows_progress_on_a_terminal_and_nothing_on_a_pipe_or_with_json() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // The first request meets a 429 (Retry-After: 2, a window wide enough
    // to be drawn however loaded the machine); each answer takes 1.5 s.
    let fake = FakeProcess::start(&["--latency", "1.5", "--fail", "429:2"]);

    let out = send_on_a_pty(h, &fake, &[]);
    for line in [
        "n2  waiting 0 s",
        "n2  HTTP 429 (rate limited) · retry 1 of 2 in ",
        "attempt 2 of 3 after HTTP 429 (rate limited)",
    ] {
        assert!(out.contains(line), "{line:?} missing: {out:?}");
    }
    // Redrawn in place as time passes, then cleared before the result.
    let cleared = out.rfind("\r\x1b[J").expect("the lines are cleared");
    let waited = out[..cleared]
        .split("\r\x1b[2K")
        .filter_map(|l| l.strip_prefix("n2  waiting "))
        .filter_map(|l| l.split(' ').next()?.parse::<u32>().ok())
        .max();
    assert!(waited >= Some(1), "the time waited grows in place: {out:?}");
    let after = &out[cleared..];
    assert!(
        after.contains("n2  done ") && after.contains("cost $0.03"),
        "{after:?}"
    );
    assert!(!after.contains("waiting"), "{after:?}");

    // stderr a pipe: the result and nothing else.
    let piped = pixloom(
        h,
        &with_key(&fake, &key(), &["send", "c", "--prompt", "again"]),
    )
    .ok();
    assert_eq!(piped.stderr(), "", "nothing on stderr");
    assert!(!piped.stdout().contains('\x1b') && !piped.stdout().contains("waiting"));
    assert_eq!(piped.stdout().lines().count(), 3, "{}", piped.stdout());

    // --json on a terminal: only the JSON.
    let json = send_on_a_pty(h, &fake, &["--json"]);
    assert!(
        !json.contains("waiting") && !json.contains('\x1b'),
        "{json:?}"
    );
    assert!(json.trim_start().starts_with('{'), "{json:?}");

    // The earlier turns of this conversation give the estimate (their
    // latency, at least the fake's 1.5 s, depends on the machine's load).
    let out = send_on_a_pty(h, &fake, &[]);
    let line = out
        .split("\x1b[2K")
        .find_map(|l| l.strip_prefix("n8  waiting 0 s · ~"))
        .expect("an estimate");
    assert!(
        line.contains(" s is usual here (3 earlier turns)"),
        "{out:?}"
    );
}
