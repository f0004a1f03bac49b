//! A bare `pixloom` in a real terminal (the app's binary in tmux): it
//! lists the conversations of the folder with their pictures and opens the
//! one chosen; in an empty folder it says so and `n` makes a named one.
//! Nothing is created by just starting it (issue 10, §5).
//!
//! Each step waits for what the screen shows; nothing sleeps a fixed time.
//! The binary: `PIXLOOM_RELEASE_BIN`, or built once (see `app_bin`).

use std::path::Path;
use std::time::Duration;

use crate::common::term::{Tmux, clean_env, run_pixloom};

/// Long enough for a loaded 2-core CI machine.
const STEP: Duration = Duration::from_secs(30);

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pixloom"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_bare_pixloom_lists_the_folders_conversations_and_opens_one() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let env = clean_env(dir);
    let mut demo = env.clone();
    demo.push(("PIXLOOM_DEMO_LATENCY".into(), "0".into()));
    let send = |conv: &str, prompt: &str| {
        // Landscape: each thumbnail is 11 cells wide, 3 rows high.
        let args = [
            "--demo", "send", conv, "--prompt", prompt, "--size", "1280x720",
        ];
        run_pixloom(dir, &demo, &args);
    };
    send("fox", "a red fox in snow");
    send("fox", "make it dusk");
    send("owl", "an owl at night");
    let before = entries(dir);
    assert_eq!(before, ["fox.pixloom", "owl.pixloom"]);

    let t = Tmux::start_app(dir, &[], &env);
    let pieces = [
        "fox  here",
        "4 turns",
        "owl  here",
        "2 turns",
        "2 here · 0 opened lately",
        "enter open · n new",
    ];
    t.wait_for("both conversations listed", STEP, |s| {
        pieces.iter().all(|p| s.contains(p))
    });
    // Both pictures, as half-blocks (3 rows each).
    let rows = t.wait_thumbnail(6, STEP);
    assert!(rows >= 6, "{rows}");
    // The newest change comes first (owl); one down is fox: open it.
    t.keys(&["j"]);
    t.keys(&["Enter"]);
    let s = t.wait_text("fox · 4 turns", STEP);
    assert!(s.contains("make it dusk"), "{s}");
    t.quit_app();
    drop(t);
    assert_eq!(entries(dir), before, "starting created a conversation");
    let recent = std::fs::read_to_string(dir.join("state/pixloom/recent")).unwrap();
    let fox = std::fs::canonicalize(dir.join("fox.pixloom")).unwrap();
    assert_eq!(recent, format!("{}\n", fox.display()));
}

#[test]
fn in_an_empty_folder_it_says_so_and_n_makes_a_named_one() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let env = clean_env(dir);
    let t = Tmux::start_app(dir, &[], &env);
    t.wait_text("No conversations in", STEP);
    t.wait_text("Press n to start one", STEP);
    t.keys(&["n"]);
    t.wait_text("New conversation: its name", STEP);
    t.type_text("owl/x");
    t.keys(&["Enter"]);
    t.wait_text("a name, not a path", STEP);
    t.keys(&["BSpace", "BSpace"]);
    t.keys(&["Enter"]);
    t.wait_text("owl · 0 turns", STEP);
    t.quit_app();
    drop(t);
    assert_eq!(entries(dir), ["owl.pixloom"]);
    assert!(dir.join("owl.pixloom/conversation.json").is_file());
}
