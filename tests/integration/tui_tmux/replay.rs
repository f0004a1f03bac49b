//! `P` in a replay, in a real terminal: the replay ends, the folder is
//! opened for writing as `pixloom CONV` opens it, the app asks the re-run
//! question for the branch the replay showed, and the path is sent again
//! as a new branch against the fake gateway. When the folder cannot be
//! opened (another pixloom holds it) or no key is set, the replay stays,
//! says why, and nothing is billed.
//!
//! Each step waits for what the screen shows; nothing sleeps a fixed time.

use std::path::Path;
use std::time::Duration;

use super::app_pane;
use crate::common;
use crate::common::term::{Tmux, app_bin, clean_env, run_pixloom, show_json};
use serde_json::Value;

/// Long enough for a loaded 2-core CI machine.
const STEP: Duration = Duration::from_secs(30);

/// A fake gateway and the environment that sends to it with a key.
fn gateway(home: &Path) -> (common::FakeProcess, Vec<(String, String)>) {
    let fake = common::FakeProcess::start(&["--port", "0", "--latency", "0.2"]);
    let mut env = clean_env(home);
    env.push(("PIXLOOM_BASE_URL".into(), fake.base_url.clone()));
    env.push(("PIXLOOM_API_KEY".into(), common::key()));
    (fake, env)
}

/// `fox` with two turns: n1 → n2, then n3 → n4 below it.
fn two_turns(home: &Path, env: &[(String, String)]) {
    for prompt in ["a red fox in snow", "make it night"] {
        run_pixloom(home, env, &["send", "fox", "--prompt", prompt]);
    }
}

fn nodes(shown: &Value) -> Vec<Value> {
    shown["nodes"].as_array().unwrap().clone()
}

#[test]
fn p_in_a_replay_reruns_the_path_as_a_new_branch() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let (fake, env) = gateway(home);
    two_turns(home, &env);
    assert_eq!(fake.billed(), 2);
    let before = nodes(&show_json(home, &env, "fox"));

    let t = Tmux::start(&app_pane(home, &app_bin(), "replay fox"), home, &env);
    t.wait_text("turn 1 of 4", STEP);
    t.keys(&["P"]);
    // The app, not the replay, asks: the question names n1 and the price.
    let s = t.wait_text("re-run from here", STEP);
    assert!(s.contains("2 call(s) × $0.03 = $0.06"), "{s}");
    assert!(!s.contains("replay ·"), "still the replay:\n{s}");
    t.keys(&["Enter"]);
    t.wait_text("re-run done: 2 step(s)", STEP);
    t.quit_app();
    drop(t);

    assert_eq!(fake.billed(), 4, "two more calls, one per step");
    let after = nodes(&show_json(home, &env, "fox"));
    assert_eq!(after[..4], before[..], "the original branch is untouched");
    let new: Vec<&Value> = after[4..].iter().collect();
    assert_eq!(new.len(), 4, "n5..n8: {after:?}");
    let prompts: Vec<&str> = new
        .iter()
        .filter(|n| n["role"] == "user")
        .filter_map(|n| n["text"].as_str())
        .collect();
    assert_eq!(prompts, ["a red fox in snow", "make it night"], "{new:?}");
    let done = new.iter().filter(|n| n["status"] == "done").count();
    assert_eq!(done, 2, "{new:?}");
}

#[test]
fn when_the_folder_is_held_or_no_key_is_set_the_replay_stays_and_says_why() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let (fake, env) = gateway(home);
    two_turns(home, &env);

    // Another pixloom holds the folder.
    let held = pixloom::convfile::ConvFolder::open(home.join("fox.pixloom")).unwrap();
    let t = Tmux::start(&app_pane(home, &app_bin(), "replay fox"), home, &env);
    t.wait_text("turn 1 of 4", STEP);
    t.keys(&["Space"]);
    t.wait_text("turn 2 of 4", STEP);
    t.keys(&["P"]);
    let s = t.wait_text("re-run not started", STEP);
    assert!(s.contains("another pixloom process"), "{s}");
    assert!(s.contains("turn 2 of 4"), "back where it was:\n{s}");
    drop(held);
    t.quit_app();
    drop(t);

    // No key: said in the replay, which stays.
    let mut keyless = env.clone();
    keyless.retain(|(k, _)| k != "PIXLOOM_API_KEY");
    let t = Tmux::start(&app_pane(home, &app_bin(), "replay fox"), home, &keyless);
    t.wait_text("turn 1 of 4", STEP);
    t.keys(&["P"]);
    let s = t.wait_text("re-running sends requests", STEP);
    assert!(s.contains("turn 1 of 4"), "{s}");
    t.quit_app();
    drop(t);
    assert_eq!(fake.billed(), 2, "nothing was sent");
    assert_eq!(nodes(&show_json(home, &env, "fox")).len(), 4);
}
