//! Pictures inside tmux, in a real tmux (detached, on its own socket: no
//! terminal outside it answers, so what is checked is what pixloom sends
//! and what tmux keeps of it): no query leaks into the pane (the kitty
//! query became the pane's title), forced kitty becomes Unicode
//! placeholders tmux keeps as text, and the half-block fallback tells
//! once which tmux option would give real pictures.
//!
//! Each step waits for what the screen shows; nothing sleeps a fixed time.

use std::path::Path;
use std::time::Duration;

use crate::common::term::{Tmux, app_bin, clean_env, shell_quote};

const STEP: Duration = Duration::from_secs(30);

/// The placeholder character kitty draws pictures in.
const PLACEHOLDER: char = '\u{10EEEE}';

/// The start of the hint the fallback shows once.
const HINT: &str = "tmux: `set -g allow-passthrough on`";

/// A pane script: `pixloom --demo ARGS`, then its exit status.
fn demo_pane(dir: &Path, args: &str) -> std::path::PathBuf {
    let script = dir.join("pane.sh");
    std::fs::write(
        &script,
        format!(
            "PIXLOOM_DEMO_LATENCY=0 {} --demo {args}\necho \"__PIXLOOM_EXIT=$?\"\nexec sleep 3600\n",
            shell_quote(&app_bin().display().to_string())
        ),
    )
    .unwrap();
    script
}

/// Sends a prompt and waits for its picture's turn.
fn send(t: &Tmux, prompt: &str) {
    t.wait_text("press i to write a prompt", STEP);
    t.keys(&["i"]);
    t.wait_text("esc back", STEP);
    t.type_text(prompt);
    t.keys(&["Enter"]);
    t.wait_text("◆ n2 ·", STEP);
}

/// Leaves the composer, then quits.
fn quit(t: &Tmux) {
    t.keys(&["Escape"]);
    t.wait_text("q quit", STEP);
    t.quit_app();
}

/// Nothing of a graphics protocol shows as text, in the pane or its title.
fn no_protocol_text(t: &Tmux) {
    let title = t.format("#{pane_title}");
    let screen = t.screen();
    for leak in ["Gi=", "a=q", "_G", "Ptmux", "1337;"] {
        assert!(!title.contains(leak), "pane title {title:?} holds {leak:?}");
        assert!(!screen.contains(leak), "the pane shows {leak:?}:\n{screen}");
    }
}

#[test]
fn forced_kitty_inside_tmux_is_placeholders_tmux_keeps_as_text_and_nothing_leaks() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let script = demo_pane(dir, "--graphics kitty fox");
    let t = Tmux::start_with_options(
        &script,
        dir,
        &clean_env(dir),
        &[("allow-passthrough", "on")],
    );
    send(&t, "a red fox in snow");
    // The picture is text in tmux's grid: rows of placeholder cells.
    let s = t.wait_for("placeholder cells", STEP, |s| {
        s.lines().filter(|l| l.contains(PLACEHOLDER)).count() >= 5
    });
    let widths: Vec<usize> = s
        .lines()
        .map(|l| l.chars().filter(|&c| c == PLACEHOLDER).count())
        .filter(|&n| n > 0)
        .collect();
    assert!(
        widths.windows(2).all(|w| w[0] == w[1]),
        "every row of the picture is as wide: {widths:?}"
    );
    no_protocol_text(&t);
    // j/k and back: the picture is still text in place.
    t.keys(&["Escape"]);
    t.wait_text("q quit", STEP);
    t.keys(&["k"]);
    t.keys(&["j"]);
    let again = t.wait_for("placeholder cells after k, j", STEP, |s| {
        s.lines().filter(|l| l.contains(PLACEHOLDER)).count() == widths.len()
    });
    assert!(again.contains("◆ n2 ·"), "{again}");
    no_protocol_text(&t);
    t.keys(&["i"]);
    quit(&t);
}

#[test]
fn auto_inside_tmux_asks_nothing_tmux_would_show_and_hints_once() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let env = clean_env(dir);
    let script = demo_pane(dir, "fox");
    let t = Tmux::start(&script, dir, &env);
    let s = t.wait_text("press i to write a prompt", STEP);
    assert!(s.contains(HINT), "the hint on the first start:\n{s}");
    no_protocol_text(&t);
    // Any key puts the status bar's key hints back.
    send(&t, "a red fox in snow");
    let s = t.screen();
    assert!(!s.contains(HINT), "{s}");
    let rows = t.wait_thumbnail(5, STEP);
    assert!(rows >= 5, "half-blocks: {rows}");
    assert!(!s.contains(PLACEHOLDER), "{s}");
    no_protocol_text(&t);
    quit(&t);
    drop(t);

    // Once said, not again.
    let t = Tmux::start(&script, dir, &env);
    let s = t.wait_text("press i to write a prompt", STEP);
    assert!(!s.contains(HINT), "the hint again:\n{s}");
    quit(&t);
}

#[test]
fn forced_graphics_inside_tmux_with_passthrough_off_says_what_to_set() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let script = demo_pane(dir, "--graphics kitty fox");
    let t = Tmux::start(&script, dir, &clean_env(dir));
    let s = t.wait_text("press i to write a prompt", STEP);
    // The probe's kitty query went to tmux as is before: the pane's title.
    no_protocol_text(&t);
    assert!(
        s.contains("tmux drops these pictures: `set -g allow-passthrough on`"),
        "{s}"
    );
    send(&t, "a red fox in snow");
    no_protocol_text(&t);
    quit(&t);
}

/// Kills a tmux server started inside a test's pane, also on a panic.
struct InnerServer(String);

impl Drop for InnerServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

#[test]
fn tmux_inside_tmux_falls_back_to_half_blocks_and_prints_no_garbage() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let inner = InnerServer(crate::common::term::unique("pixloom-inner"));
    let app = demo_pane(dir, "fox");
    let script = dir.join("nested.sh");
    std::fs::write(
        &script,
        format!(
            "tmux -L {} -f /dev/null new-session 'sh {}'\nexec sleep 3600\n",
            inner.0,
            app.display()
        ),
    )
    .unwrap();
    let t = Tmux::start_with_options(
        &script,
        dir,
        &clean_env(dir),
        &[("allow-passthrough", "on")],
    );
    let s = t.wait_text("press i to write a prompt", STEP);
    // No hint: no tmux option would make two multiplexers safe.
    assert!(!s.contains(HINT), "{s}");
    no_protocol_text(&t);
    send(&t, "a red fox in snow");
    let rows = t.wait_thumbnail(5, STEP);
    assert!(rows >= 5, "half-blocks: {rows}");
    let s = t.screen();
    assert!(!s.contains(PLACEHOLDER), "{s}");
    no_protocol_text(&t);
    quit(&t);
}
