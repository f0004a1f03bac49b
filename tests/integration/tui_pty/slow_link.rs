//! A terminal behind a slow link: the app's output stalls (the pty's
//! buffer is full and nobody reads it) while a big frame with sixel
//! pictures goes out, and a key typed meanwhile still does its work at
//! once; the screen catches up when the terminal reads again.

use super::*;

/// Big enough that a full redraw with its sixel pictures is far more than
/// a pty holds (about 64 KB, plus one read the test's reader may still
/// take after pausing).
const BIG: (u16, u16) = (240, 70);

const PROMPT: &str = "a blue heron at dawn";

/// What `FIONREAD` says a full pty holds: Linux counts only the line
/// discipline's read buffer (4095 bytes), not the 64 KB behind it.
const FULL: u64 = 4000;

/// The app on `fox` (with a fake gateway of its own), sixel forced on a
/// big terminal, stalled: the reader paused and a resize sent, so the pty
/// is full and the app's writes block. Returns the offset of the output
/// where the stall began.
fn stalled(dir: &Path) -> (PtyApp, common::FakeProcess, Vec<(String, String)>, usize) {
    fox(dir);
    let fake = common::FakeProcess::start(&["--port", "0", "--latency", "0"]);
    let mut env = env(dir);
    env.push(("PIXLOOM_BASE_URL".into(), fake.base_url.clone()));
    env.push(("PIXLOOM_API_KEY".into(), common::key()));
    let app = PtyApp::spawn(
        &app_bin(),
        &["--graphics", "sixel", "fox"],
        dir,
        &env,
        BIG,
        StderrTo::File,
    );
    app.wait_output("two sixel pictures", STEP, |out| count(out, b"\x1bP") >= 2);
    assert!(
        app.settle(Duration::from_millis(500), Duration::from_secs(10)),
        "the first screen did not settle"
    );
    // The link stalls; a resize makes the app send every cell and picture
    // again, more than the pty can hold.
    app.pause();
    let stalled_at = app.len();
    app.resize((BIG.0 - 1, BIG.1));
    common::term::poll_until(
        "the pty to fill up",
        STEP,
        || (app.unread() >= FULL).then_some(()),
        || format!("{} bytes unread", app.unread()),
    );
    (app, fake, env, stalled_at)
}

#[test]
fn a_stalled_terminal_never_delays_a_keypress() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (mut app, fake, env, stalled_at) = stalled(dir);

    // A prompt typed now reaches the gateway while the output is stuck.
    app.send(b"i");
    app.send(PROMPT.as_bytes());
    app.send(b"\r");
    common::term::poll_until(
        "the gateway to receive the prompt typed during the stall",
        STEP,
        || {
            fake.requests()
                .iter()
                .any(|r| r.to_string().contains(PROMPT))
                .then_some(())
        },
        || {
            format!(
                "{} bytes unread in the pty; stderr: {}",
                app.unread(),
                app.stderr()
            )
        },
    );
    let out = app.output();
    assert_eq!(
        count(&out[stalled_at..], PROMPT.as_bytes()),
        0,
        "the output was not stalled: the prompt reached the screen"
    );
    assert!(
        app.unread() >= FULL,
        "the pty drained during the stall ({} bytes unread)",
        app.unread()
    );

    // The terminal reads again: the screen catches up with the prompt.
    app.resume();
    app.wait_output("the prompt on screen", STEP, |out| {
        count(&out[stalled_at..], PROMPT.as_bytes()) > 0
    });
    // The turn done and saved (quitting with it running would ask first),
    // then ctrl-c, which quits from the composer too.
    common::term::poll_until(
        "the new turn to be done and saved",
        STEP,
        || {
            let shown = common::term::show_json(dir, &env, "fox");
            let nodes = shown["nodes"].as_array().unwrap().clone();
            nodes
                .iter()
                .any(|n| n["parent"] == "n7" && n["status"] == "done")
                .then_some(())
        },
        String::new,
    );
    app.send(b"\x03");
    app.wait_exit(STEP);
    assert_screen_restored(&app.output());
}

/// Quitting while the terminal takes nothing: the app still ends, within
/// the writer's bound on leaving (3 s), with the tty modes restored (the
/// leaving sequences wait behind the stuck frame and are given up on).
#[test]
fn quitting_on_a_stalled_terminal_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (mut app, _fake, _env, _) = stalled(dir);
    let asked = std::time::Instant::now();
    app.send(b"q");
    app.wait_exit(STEP);
    let took = asked.elapsed();
    assert!(
        took < Duration::from_secs(15),
        "quitting took {took:?} on a stalled terminal"
    );
    assert_eq!(
        app.stty(),
        app.stty_before,
        "the tty modes were not restored"
    );
    app.resume();
}
