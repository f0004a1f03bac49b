//! Real terminals for the end-to-end tests: the app's binary, tmux on a
//! private socket, a pseudo-terminal read byte by byte, and a private sshd.
//!
//! Every wait polls for a condition with a deadline; nothing sleeps a fixed
//! time to synchronise. Everything started here is stopped on drop, so a
//! failing (panicking) test leaves no tmux server, sshd or app behind.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

mod pty;
mod sshd;
mod tmux;

#[allow(unused_imports)] // the hostile-files crate uses none of them
pub use {pty::*, sshd::*, tmux::*};

/// The pixloom binary the real-terminal tests run: the one cargo built for
/// this test run (`CARGO_BIN_EXE_pixloom`), so `cargo test` tests the code
/// as it is with no second build. `PIXLOOM_RELEASE_BIN` names another
/// (a release build, say) when set.
pub fn app_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("PIXLOOM_RELEASE_BIN") {
            let p = PathBuf::from(p);
            assert!(
                p.is_file(),
                "PIXLOOM_RELEASE_BIN={} is not a file",
                p.display()
            );
            return p;
        }
        // The binary cargo built for these tests: the same code, its
        // dependencies optimised (`[profile.dev.package."*"]`), no second
        // build of the whole tree.
        let p = PathBuf::from(env!("CARGO_BIN_EXE_pixloom"));
        assert!(p.is_file(), "{} was not built", p.display());
        p
    })
    .clone()
}

/// A name no other test (or test process) on this machine uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Polls `f` every 50 ms until it gives `Some`, or panics after `timeout`
/// with `what` and the last state `describe` reports.
pub fn poll_until<T>(
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> Option<T>,
    describe: impl Fn() -> String,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!(
                "timed out after {timeout:?} waiting for {what}; last state:\n{}",
                describe()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The environment the app runs with: nothing from the developer's shell
/// (no key, no graphics variables such as COLORTERM, KITTY_WINDOW_ID or
/// TERM_PROGRAM), its own config and state folders under `home`.
pub fn clean_env(home: &Path) -> Vec<(String, String)> {
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_owned());
    [
        ("PATH", path),
        ("HOME", home.display().to_string()),
        ("TERM", "xterm-256color".to_owned()),
        ("LANG", "C.UTF-8".to_owned()),
        ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
        ("XDG_STATE_HOME", home.join("state").display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Runs `pixloom ARGS` ([`app_bin`]) to completion in `cwd`.
pub fn run_pixloom(cwd: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    super::succeeds(
        &format!("pixloom {args:?}"),
        Command::new(app_bin())
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null()),
    )
}

/// `pixloom show CONV --json`, parsed.
pub fn show_json(cwd: &Path, env: &[(String, String)], conv: &str) -> serde_json::Value {
    let out = run_pixloom(cwd, env, &["show", conv, "--json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}
