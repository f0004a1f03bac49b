//! The app end to end in a real terminal: the pixloom binary in tmux
//! (private socket, 120×40, TERM=xterm-256color), driven with keys like a
//! user, against the fake gateway — locally, and over `ssh localhost` with
//! no graphics variables forwarded.
//!
//! Each step waits for what the screen shows (polling `capture-pane`
//! against a deadline); nothing sleeps a fixed time to synchronise. The
//! binary is the one cargo built for the tests (`common::term::app_bin`).
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::term::{Sshd, Tmux, app_bin, clean_env, run_pixloom, shell_quote, show_json};
use serde_json::Value;

/// Long enough for a loaded 2-core CI machine; a working app takes well
/// under a second per step.
const STEP: Duration = Duration::from_secs(30);

/// The hints the status bar shows while the tree or transcript has focus.
const BROWSING: &str = "q quit";

/// Writes the pane's script: record the tty modes, run `command`, print
/// its exit status, record the modes again.
fn pane_script(dir: &Path, command: &str) -> std::path::PathBuf {
    let script = dir.join("pane.sh");
    std::fs::write(
        &script,
        format!(
            "stty -g > {before}\n{command}\necho \"__PIXLOOM_EXIT=$?\"\nstty -g > {after}\nexec sleep 3600\n",
            before = shell_quote(&dir.join("stty.before").display().to_string()),
            after = shell_quote(&dir.join("stty.after").display().to_string()),
        ),
    )
    .unwrap();
    script
}

/// The pane's script for `pixloom ARGS` with no colour hint, as xterm.
pub(super) fn app_pane(dir: &Path, bin: &Path, args: &str) -> std::path::PathBuf {
    pane_script(
        dir,
        &format!(
            "env -u COLORTERM TERM=xterm-256color {} {args}",
            shell_quote(&bin.display().to_string())
        ),
    )
}

/// Leaves the composer and waits until browsing (so the next key is not
/// read together with the Escape as an Alt chord).
fn to_browse(t: &Tmux) {
    t.keys(&["Escape"]);
    t.wait_for("the browse hints (composer left)", STEP, |s| {
        s.lines().last().is_some_and(|l| l.contains(BROWSING))
    });
}

/// The user's session: send, refine, branch from the first turn, move
/// between the siblings, quit. Then the terminal is checked.
fn session(t: &Tmux, dir: &Path, secret: Option<&str>) {
    t.wait_text("(no turns yet)", STEP);

    // Write and send a prompt: n1 → n2.
    t.keys(&["i"]);
    t.wait_text("esc back", STEP);
    t.type_text("a red fox in snow");
    t.wait_text("a red fox in snow", STEP);
    t.keys(&["Enter"]);
    t.wait_text("◆ n2 ·", STEP);
    let rows = t.wait_thumbnail(5, STEP);
    assert!(rows >= 5, "{rows}");
    to_browse(t);

    // Refine n2 (selected after the send): n3 → n4 below it.
    t.keys(&["f"]);
    t.wait_text("refining n2", STEP);
    t.type_text("make it dusk");
    t.keys(&["Enter"]);
    t.wait_text("◆ n4 ·", STEP);
    to_browse(t);

    // Branch from the first turn: select it, edit it as a new branch.
    t.keys(&["g"]);
    t.wait_text("▌› you · n1", STEP);
    t.keys(&["e"]);
    t.wait_text("editing n1", STEP);
    t.type_text(" at night");
    t.keys(&["Enter"]);
    t.wait_text("◆ n6 ·", STEP);
    t.wait_thumbnail(5, STEP);
    to_browse(t);

    // Between the siblings n1 and n5.
    t.keys(&["g"]);
    t.wait_text("▌› you · n5  ‹2/2›", STEP);
    t.keys(&["h"]);
    let s = t.wait_text("▌› you · n1  ‹1/2›", STEP);
    assert!(s.contains("a red fox in snow"), "{s}");
    t.wait_thumbnail(5, STEP);
    t.keys(&["l"]);
    t.wait_text("▌› you · n5  ‹2/2›", STEP);

    if let Some(secret) = secret {
        assert!(
            !t.screen_with_escapes().contains(secret),
            "the API key is on the screen"
        );
    }

    t.quit_app();

    // The terminal is as it was.
    let stty_after = dir.join("stty.after");
    common::term::poll_until(
        "the pane to record its tty modes",
        STEP,
        // Not empty: the shell creates the file before stty writes it.
        || {
            std::fs::metadata(&stty_after)
                .is_ok_and(|m| m.len() > 0)
                .then_some(())
        },
        || t.screen(),
    );
    let before = std::fs::read_to_string(dir.join("stty.before")).unwrap();
    let after = std::fs::read_to_string(stty_after).unwrap();
    assert_eq!(before, after, "the tty modes were not restored");
    assert_eq!(
        t.format("#{alternate_on}"),
        "0",
        "still on the alternate screen"
    );
    assert_eq!(t.format("#{cursor_flag}"), "1", "the cursor is hidden");
}

/// The saved conversation: n1 (user) → n2 → n3 (refine) → n4, and the
/// branch n5 (an edit of the root n1, so a root) → n6; every answer done.
fn check_saved(dir: &Path, env: &[(String, String)]) {
    let shown = show_json(dir, env, "fox");
    let nodes = shown["nodes"].as_array().unwrap();
    let got: Vec<(String, String, Value, Value)> = nodes
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_owned(),
                n["role"].as_str().unwrap().to_owned(),
                n["status"].clone(),
                n["parent"].clone(),
            )
        })
        .collect();
    let s = |x: &str| Value::String(x.to_owned());
    let want = vec![
        ("n1".into(), "user".into(), Value::Null, Value::Null),
        ("n2".into(), "assistant".into(), s("done"), s("n1")),
        ("n3".into(), "user".into(), Value::Null, s("n2")),
        ("n4".into(), "assistant".into(), s("done"), s("n3")),
        ("n5".into(), "user".into(), Value::Null, Value::Null),
        ("n6".into(), "assistant".into(), s("done"), s("n5")),
    ];
    assert_eq!(got, want, "{shown:#}");
    let text = |i: usize| nodes[i]["text"].as_str().unwrap().to_owned();
    assert_eq!(text(0), "a red fox in snow");
    assert_eq!(text(2), "make it dusk");
    assert_eq!(text(4), "a red fox in snow at night");
    for i in [1, 3, 5] {
        let img = nodes[i]["images"][0].as_str().unwrap();
        assert!(Path::new(img).is_file(), "{img}");
    }
    assert_eq!(shown["selected"], s("n5"), "the selection is saved");
}

#[test]
fn in_tmux_send_refine_branch_siblings_quit() {
    let bin = app_bin();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let key = common::key();
    let fake = common::FakeProcess::start(&["--port", "0", "--latency", "0.3"]);
    let mut env = clean_env(dir);
    env.push(("PIXLOOM_BASE_URL".into(), fake.base_url.clone()));
    // In the server's environment, not on a command line.
    env.push(("PIXLOOM_API_KEY".into(), key.clone()));
    let script = app_pane(dir, &bin, "fox");
    let t = Tmux::start(&script, dir, &env);
    session(&t, dir, Some(&key));
    drop(t);
    assert_eq!(fake.billed(), 3, "three images were made");
    check_saved(dir, &clean_env(dir));
}

#[test]
fn over_ssh_localhost_without_graphics_variables() {
    let required = std::env::var_os("PIXLOOM_REQUIRE_SSH").is_some();
    let bin = app_bin();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let sshd = match Sshd::start(dir) {
        Ok(s) => s,
        Err(why) if !required => {
            println!(
                "SKIP over_ssh_localhost_without_graphics_variables: {}",
                why.0
            );
            eprintln!(
                "SKIP over_ssh_localhost_without_graphics_variables: {}",
                why.0
            );
            return;
        }
        Err(why) => panic!("PIXLOOM_REQUIRE_SSH is set but there is no sshd: {}", why.0),
    };
    let env = clean_env(dir);

    // The login works, and the remote side sees no graphics variables.
    let probe = std::process::Command::new("sh")
        .arg("-c")
        .arg(sshd.ssh_command("env").replace(" -t ", " -T "))
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("COLORTERM", "truecolor")
        .env("TERM_PROGRAM", "iTerm.app")
        .env("KITTY_WINDOW_ID", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        probe.status.success(),
        "ssh to the private sshd failed: {}\nsshd log:\n{}",
        String::from_utf8_lossy(&probe.stderr),
        sshd.log_text()
    );
    let remote_env = String::from_utf8_lossy(&probe.stdout);
    for var in ["COLORTERM=", "TERM_PROGRAM=", "KITTY_WINDOW_ID=", "TMUX="] {
        assert!(
            !remote_env.lines().any(|l| l.starts_with(var)),
            "{var} reached the remote side:\n{remote_env}"
        );
    }

    let xdg = |name: &str| shell_quote(&dir.join(name).display().to_string());
    let remote = format!(
        "cd {dir} && env -u COLORTERM TERM=xterm-256color XDG_CONFIG_HOME={config} \
         XDG_STATE_HOME={state} PIXLOOM_DEMO_LATENCY=0.3 {bin} --demo fox",
        dir = shell_quote(&dir.display().to_string()),
        config = xdg("config"),
        state = xdg("state"),
        bin = shell_quote(&bin.display().to_string()),
    );
    let script = pane_script(dir, &sshd.ssh_command(&remote));
    let t = Tmux::start(&script, dir, &env);
    session(&t, dir, None);
    drop(t);
    check_saved(dir, &env);
}

/// Whether process `pid` has ended (gone, or a zombie nobody reaped yet).
fn ended(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
        s.rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X'))
    })
}

#[test]
fn exits_when_the_terminal_hangs_up() {
    // As when an SSH connection drops: the pty's master side closes.
    let bin = app_bin();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let pid_file = dir.join("app.pid");
    let script = dir.join("pane.sh");
    std::fs::write(
        &script,
        format!(
            "echo $$ > {pid}\nexec env -u COLORTERM TERM=xterm-256color {bin} --demo fox\n",
            pid = shell_quote(&pid_file.display().to_string()),
            bin = shell_quote(&bin.display().to_string()),
        ),
    )
    .unwrap();
    let t = Tmux::start(&script, dir, &clean_env(dir));
    t.wait_text("(no turns yet)", STEP);
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    assert!(!ended(&pid), "the app runs");
    // Killed if it outlives the test (a failure would leave it spinning).
    struct KillOnDrop(i32);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            if let Some(pid) = rustix::process::Pid::from_raw(self.0) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::Kill);
            }
        }
    }
    let guard = KillOnDrop(pid.parse().unwrap());
    drop(t);
    common::term::poll_until(
        "the app to exit after its terminal hung up",
        Duration::from_secs(10),
        || ended(&pid).then_some(()),
        || std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default(),
    );
    // It ended: its pid may be reused, so nothing is killed.
    std::mem::forget(guard);
}

/// A conversation folder from someone else, opened in a real terminal: its
/// first result image is a link to one of the user's private files (of the
/// right length), its second a FIFO, its `.lock` a FIFO. `replay` and the
/// app both open it, show each image as refused with its reason (inside
/// the thumbnail's box), step through it, and quit at once; the private
/// file is never shown, changed or followed.
#[test]
fn a_hostile_folder_in_replay_and_the_app_refuses_its_images_and_quits() {
    let bin = app_bin();
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let env = clean_env(home);
    for prompt in ["a red fox", "make it night"] {
        run_pixloom(home, &env, &["--demo", "send", "fox", "--prompt", prompt]);
    }
    let shown = show_json(home, &env, "fox");
    let images: Vec<std::path::PathBuf> = shown["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["images"][0].as_str())
        .map(std::path::PathBuf::from)
        .collect();
    assert_eq!(images.len(), 2, "{shown}");
    let private = home.join("private.key");
    let secret: Vec<u8> = (0..std::fs::metadata(&images[0]).unwrap().len())
        .map(|i| b"PRIVATE-"[i as usize % 8])
        .collect();
    std::fs::write(&private, &secret).unwrap();
    std::fs::remove_file(&images[0]).unwrap();
    std::os::unix::fs::symlink(&private, &images[0]).unwrap();
    let fifo = |p: &Path| {
        let _ = std::fs::remove_file(p);
        let made = std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap();
        assert!(made.success());
    };
    fifo(&images[1]);
    let folder = home.join("fox.pixloom");
    fifo(&folder.join(".lock"));

    for command in ["replay fox", "--demo fox"] {
        let script = app_pane(home, &bin, command);
        let t = Tmux::start(&script, home, &env);
        if command.starts_with("replay") {
            t.wait_text("turn 1 of 4", STEP);
            t.keys(&["Space"]);
        } else {
            t.wait_text("missing or unusable", STEP);
            t.keys(&["g"]);
        }
        // Single words: the refusal wraps inside the thumbnail's box, whose
        // width follows the terminal's cell shape.
        let s = t.wait_text("symbolic", STEP);
        assert!(
            !s.contains("PRIVATE-"),
            "{command}: the private file shown:\n{s}"
        );
        t.keys(&["G"]);
        t.wait_text("(FIFO)", STEP);
        t.keys(&["q"]);
        let s = t.wait_text("__PIXLOOM_EXIT=", STEP);
        assert!(s.contains("__PIXLOOM_EXIT=0"), "{command}:\n{s}");
    }
    assert_eq!(
        std::fs::read(&private).unwrap(),
        secret,
        "the private file changed"
    );
    assert!(
        std::fs::symlink_metadata(&images[0])
            .unwrap()
            .file_type()
            .is_symlink(),
        "the planted link is left as it was"
    );
}

/// The screen once it differs from `before` and two captures in a row
/// agree (a capture can fall in the middle of a frame being written).
fn settled(t: &Tmux, before: &str) -> String {
    let mut last = String::new();
    common::term::poll_until(
        "a new frame, complete",
        STEP,
        || {
            let s = t.screen();
            let done = s != before && s == last;
            last = s.clone();
            done.then_some(s)
        },
        || t.screen(),
    )
}

/// A prompt full of emoji with a variation selector (`❄️`: two cells to
/// ratatui, one to tmux) and other sequences measured differently whole
/// and per code point (`1️⃣`, `👍🏽`). Moving the tree border rewraps and
/// shifts them on every step; what tmux shows after each step must be
/// exactly what a full repaint at the same size shows: no cell keeps a
/// glyph of an earlier frame.
#[test]
fn emoji_sequences_leave_no_stale_cells_when_the_tree_border_moves() {
    let bin = app_bin();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let fake = common::FakeProcess::start(&["--port", "0", "--latency", "0"]);
    let mut env = clean_env(dir);
    env.push(("PIXLOOM_BASE_URL".into(), fake.base_url.clone()));
    env.push(("PIXLOOM_API_KEY".into(), common::key()));
    let prompt = "❄️ snow ❄️❄️ fox 1️⃣ 👍🏽 ".repeat(8);
    run_pixloom(dir, &env, &["send", "snow", "--prompt", &prompt]);
    // No thumbnails: a decode finishing between two captures would change
    // the screen for another reason.
    let script = app_pane(dir, &bin, "--graphics none snow");
    let t = Tmux::start(&script, dir, &env);
    t.wait_text("❄", STEP);
    t.wait_text(BROWSING, STEP);
    for key in ["<", "<", "<", ">", ">", ">", ">", ">", "<"] {
        let before = t.screen();
        t.keys(&[key]);
        let now = settled(&t, &before);
        // A full repaint at the same size as the oracle: a resize away
        // and back repaints every cell.
        t.run(&["resize-window", "-t", "main", "-x", "119"]);
        settled(&t, &now);
        t.run(&["resize-window", "-t", "main", "-x", "120"]);
        common::term::poll_until(
            "the repainted screen to equal the incremental one",
            STEP,
            || (t.screen() == now).then_some(()),
            || {
                format!(
                    "after {key:?}, incremental:\n{now}\nrepainted:\n{}",
                    t.screen()
                )
            },
        );
    }
    t.keys(&["q"]);
    t.wait_text("__PIXLOOM_EXIT=0", STEP);
}

mod graphics;
mod replay;
mod start;
