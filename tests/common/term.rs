//! Real terminals for the end-to-end tests: the app's binary, tmux on a
//! private socket, a pseudo-terminal read byte by byte, and a private sshd.
//!
//! Every wait polls for a condition with a deadline; nothing sleeps a fixed
//! time to synchronise. Everything started here is stopped on drop, so a
//! failing (panicking) test leaves no tmux server, sshd or app behind.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

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
    let out = Command::new(app_bin())
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pixloom {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `pixloom show CONV --json`, parsed.
pub fn show_json(cwd: &Path, env: &[(String, String)], conv: &str) -> serde_json::Value {
    let out = run_pixloom(cwd, env, &["show", conv, "--json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

// ---------------------------------------------------------------- tmux

/// A tmux server on a private socket (`tmux -L NAME`) with one window of a
/// fixed size, running `script` (a shell script file) in its pane. The
/// server is killed on drop, also when the test panics.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub const COLS: u16 = 120;
    pub const ROWS: u16 = 40;

    /// Starts the server with exactly `env` (the pane inherits it; tmux
    /// adds TMUX, TMUX_PANE and TERM_PROGRAM itself) and runs `sh script`.
    pub fn start(script: &Path, cwd: &Path, env: &[(String, String)]) -> Tmux {
        assert!(
            Command::new("tmux").arg("-V").output().is_ok(),
            "tmux is not installed (.ci/run installs it)"
        );
        let t = Tmux {
            socket: unique("pixloom-test"),
        };
        let out = t
            .cmd()
            .args(["new-session", "-d", "-s", "main"])
            .args(["-x", &Self::COLS.to_string(), "-y", &Self::ROWS.to_string()])
            .arg("-c")
            .arg(cwd)
            .arg(format!("sh {}", script.display()))
            .current_dir(cwd)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A pane that exits stays, so its last screen can be read.
        t.run(&["set-option", "-g", "remain-on-exit", "on"]);
        t
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]);
        c
    }

    /// Runs a tmux command against this server and returns its stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "main"])
    }

    /// The screen with its colours and attributes as escape sequences.
    pub fn screen_with_escapes(&self) -> String {
        self.run(&["capture-pane", "-e", "-p", "-t", "main"])
    }

    /// A tmux format about the pane, e.g. `#{alternate_on}`.
    pub fn format(&self, f: &str) -> String {
        self.run(&["display-message", "-p", "-t", "main", f])
            .trim()
            .to_owned()
    }

    /// Named keys (`Enter`, `Escape`, `q`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Literal text, typed.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "main", "-l", text]);
    }

    /// Waits until the plain screen satisfies `pred`; returns it.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        poll_until(
            what,
            timeout,
            || {
                let s = self.screen();
                pred(&s).then_some(s)
            },
            || self.screen(),
        )
    }

    /// Waits until the screen contains `needle`.
    pub fn wait_text(&self, needle: &str, timeout: Duration) -> String {
        self.wait_for(&format!("{needle:?} on screen"), timeout, |s| {
            s.contains(needle)
        })
    }

    /// Waits until at least `min_rows` rows show coloured half-block
    /// cells (`▀` drawn with a foreground and background colour): a
    /// thumbnail. Returns how many such rows there are.
    pub fn wait_thumbnail(&self, min_rows: usize, timeout: Duration) -> usize {
        poll_until(
            &format!("a half-block thumbnail ({min_rows}+ coloured ▀ rows)"),
            timeout,
            || {
                let n = thumbnail_rows(&self.screen_with_escapes());
                (n >= min_rows).then_some(n)
            },
            || self.screen_with_escapes(),
        )
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self
            .cmd()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Rows of a `capture-pane -e` dump that hold at least 8 half-block cells
/// and set both a foreground and a background colour (truecolour
/// `38;2;…`/`48;2;…` or 256-colour `38;5;…`/`48;5;…`).
pub fn thumbnail_rows(dump: &str) -> usize {
    dump.lines()
        .filter(|l| {
            l.matches('▀').count() >= 8
                && (l.contains("38;2;") || l.contains("38;5;"))
                && (l.contains("48;2;") || l.contains("48;5;"))
        })
        .count()
}

// ---------------------------------------------------------------- sshd

/// A private sshd on a free loopback port with its own host key, config
/// and authorized key, plus the client key to log in with. Stopped on drop.
pub struct Sshd {
    child: Child,
    pub port: u16,
    pub user: String,
    pub client_key: PathBuf,
    log: PathBuf,
}

/// Why there is no sshd to test with.
#[derive(Debug)]
pub struct NoSshd(pub String);

impl Sshd {
    /// Starts one under `dir`, or says why it cannot.
    pub fn start(dir: &Path) -> Result<Sshd, NoSshd> {
        let sshd = ["/usr/sbin/sshd", "/usr/bin/sshd", "/usr/local/sbin/sshd"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or_else(|| {
                NoSshd("sshd is not installed (apt-get install openssh-server)".into())
            })?;
        for tool in ["ssh", "ssh-keygen"] {
            // Only whether it runs at all: not every tool knows -V.
            if Command::new(tool).arg("-V").output().is_err() {
                return Err(NoSshd(format!("{tool} is not installed")));
            }
        }
        let user = String::from_utf8_lossy(&Command::new("id").arg("-un").output().unwrap().stdout)
            .trim()
            .to_owned();
        // Privilege separation wants this directory (root only).
        if !Path::new("/run/sshd").is_dir() && std::fs::create_dir_all("/run/sshd").is_err() {
            return Err(NoSshd(
                "/run/sshd is missing and cannot be created (not root)".into(),
            ));
        }
        let keygen = |path: &Path| {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(path)
                .output()
                .unwrap();
            if out.status.success() {
                Ok(())
            } else {
                Err(NoSshd(format!(
                    "ssh-keygen failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                )))
            }
        };
        let host_key = dir.join("host_ed25519");
        let client_key = dir.join("client_ed25519");
        keygen(&host_key)?;
        keygen(&client_key)?;
        let authorized = dir.join("authorized_keys");
        std::fs::copy(dir.join("client_ed25519.pub"), &authorized).unwrap();
        let port = free_port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\n\
                 Port {port}\n\
                 HostKey {host}\n\
                 PidFile {pid}\n\
                 AuthorizedKeysFile {auth}\n\
                 StrictModes no\n\
                 UsePAM no\n\
                 PubkeyAuthentication yes\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\n\
                 AllowUsers {user}\n\
                 PrintMotd no\n\
                 PrintLastLog no\n\
                 X11Forwarding no\n\
                 LogLevel VERBOSE\n",
                host = host_key.display(),
                pid = dir.join("sshd.pid").display(),
                auth = authorized.display(),
            ),
        )
        .unwrap();
        let log = dir.join("sshd.log");
        let child = Command::new(&sshd)
            .arg("-f")
            .arg(&config)
            .args(["-D", "-e", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .map_err(|e| NoSshd(format!("could not run {}: {e}", sshd.display())))?;
        let mut s = Sshd {
            child,
            port,
            user,
            client_key,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(s);
            }
            if let Ok(Some(status)) = s.child.try_wait() {
                return Err(NoSshd(format!("sshd exited ({status}): {}", s.log_text())));
            }
            if Instant::now() > deadline {
                return Err(NoSshd(format!(
                    "sshd did not listen within 10 s: {}",
                    s.log_text()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The ssh command line (for a shell script) that runs `remote` on it
    /// in a pty, with no config file, no agent and nothing forwarded.
    pub fn ssh_command(&self, remote: &str) -> String {
        format!(
            "ssh -F /dev/null -p {port} -i {key} -t \
             -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
             -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR \
             {user}@127.0.0.1 {remote}",
            port = self.port,
            key = shell_quote(&self.client_key.display().to_string()),
            user = self.user,
            remote = shell_quote(remote),
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on (right now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `s` as one word for `sh`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

// ---------------------------------------------------------------- pty

/// What the app wrote to the terminal so far.
#[derive(Default)]
struct Written {
    bytes: Vec<u8>,
    last: Option<Instant>,
}

/// The app on a pseudo-terminal of a fixed size. A thread reads the master
/// side and keeps every byte the app wrote; it answers the two queries a
/// terminal answers at once (primary device attributes, as a VT220 with
/// colour and no graphics; the cursor position), so capability probes
/// finish quickly instead of timing out.
pub struct PtyApp {
    pub child: Child,
    /// `stty -g` of the pty before the app started.
    pub stty_before: String,
    master: File,
    slave: File,
    written: Arc<Mutex<Written>>,
    stderr: PathBuf,
}

impl PtyApp {
    /// Starts `bin ARGS` as a session leader whose controlling terminal is
    /// a new pty of `cols`×`rows` (via `setsid --ctty`, so no unsafe code).
    pub fn spawn(
        bin: &Path,
        args: &[&str],
        cwd: &Path,
        env: &[(String, String)],
        size: (u16, u16),
    ) -> PtyApp {
        PtyApp::spawn_with(bin, args, cwd, env, size, false)
    }

    /// [`PtyApp::spawn`] with stderr on the terminal too, as in a real
    /// shell: what the app prints there lands in [`PtyApp::output`], in
    /// order with the screen's bytes (and [`PtyApp::stderr`] is empty).
    pub fn spawn_stderr_on_tty(
        bin: &Path,
        args: &[&str],
        cwd: &Path,
        env: &[(String, String)],
        size: (u16, u16),
    ) -> PtyApp {
        PtyApp::spawn_with(bin, args, cwd, env, size, true)
    }

    fn spawn_with(
        bin: &Path,
        args: &[&str],
        cwd: &Path,
        env: &[(String, String)],
        (cols, rows): (u16, u16),
        stderr_on_tty: bool,
    ) -> PtyApp {
        use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
        let master =
            openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().unwrap())
            .unwrap();
        rustix::termios::tcsetwinsize(
            &slave,
            rustix::termios::Winsize {
                ws_row: rows,
                ws_col: cols,
                ws_xpixel: 0,
                ws_ypixel: 0,
            },
        )
        .unwrap();
        let stty_before = stty_of(&slave);
        let stderr = cwd.join(format!("{}.stderr", unique("app")));
        let child = Command::new("setsid")
            .arg("--ctty")
            .arg(bin)
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(if stderr_on_tty {
                Stdio::from(slave.try_clone().unwrap())
            } else {
                Stdio::from(File::create(&stderr).unwrap())
            })
            .spawn()
            .unwrap();
        let master = File::from(master);
        let written = Arc::new(Mutex::new(Written::default()));
        let mut reader = master.try_clone().unwrap();
        let mut answer = master.try_clone().unwrap();
        let w = Arc::clone(&written);
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            // The query scan looks at the last few bytes too, for a query
            // split across two reads.
            let mut tail: Vec<u8> = Vec::new();
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                {
                    let mut w = w.lock().unwrap();
                    w.bytes.extend_from_slice(&buf[..n]);
                    w.last = Some(Instant::now());
                }
                let old = tail.len();
                tail.extend_from_slice(&buf[..n]);
                for (query, reply) in [
                    (&b"\x1b[c"[..], &b"\x1b[?62;22c"[..]),
                    (b"\x1b[0c", b"\x1b[?62;22c"),
                    (b"\x1b[6n", b"\x1b[1;1R"),
                ] {
                    // Only queries that end in the new bytes.
                    let new = tail
                        .windows(query.len())
                        .enumerate()
                        .filter(|(i, w)| *w == query && i + query.len() > old)
                        .count();
                    for _ in 0..new {
                        let _ = answer.write_all(reply);
                    }
                }
                let keep = tail.len().saturating_sub(4);
                tail.drain(..keep);
            }
        });
        PtyApp {
            child,
            stty_before,
            master,
            slave,
            written,
            stderr,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.written.lock().unwrap().bytes.len()
    }

    /// Everything written so far.
    pub fn output(&self) -> Vec<u8> {
        self.written.lock().unwrap().bytes.clone()
    }

    /// What the app printed on stderr (not the terminal).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Types `bytes` (as the terminal would send them).
    pub fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
    }

    /// Waits until the output so far satisfies `pred`.
    pub fn wait_output(&self, what: &str, timeout: Duration, pred: impl Fn(&[u8]) -> bool) {
        poll_until(
            what,
            timeout,
            || pred(&self.written.lock().unwrap().bytes).then_some(()),
            || {
                let out = self.output();
                let from = out.len().saturating_sub(3000);
                format!(
                    "{} bytes; the last ones: {:?}\nstderr: {}",
                    out.len(),
                    String::from_utf8_lossy(&out[from..]),
                    self.stderr()
                )
            },
        );
    }

    /// Waits until the app has written nothing for `quiet` (at most
    /// `max`); returns whether it settled.
    pub fn settle(&self, quiet: Duration, max: Duration) -> bool {
        let start = Instant::now();
        loop {
            let last = self.written.lock().unwrap().last;
            let since = last.map_or(start.elapsed(), |l| l.elapsed().min(start.elapsed()));
            if since >= quiet {
                return true;
            }
            if start.elapsed() > max {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `bytes` and returns how many bytes the app wrote in answer:
    /// waits up to `first` for the first one, then until the output has
    /// been quiet for `quiet` (at most 5 s in all).
    pub fn bytes_for(&mut self, bytes: &[u8], first: Duration, quiet: Duration) -> usize {
        let before = self.len();
        let sent = Instant::now();
        self.send(bytes);
        while self.len() == before && sent.elapsed() < first {
            std::thread::sleep(Duration::from_millis(5));
        }
        let settled = self.settle(quiet, Duration::from_secs(5));
        assert!(settled, "the app kept writing for 5 s after {bytes:?}");
        self.len() - before
    }

    /// `stty -g` of the pty: its modes, to compare before and after.
    pub fn stty(&self) -> String {
        stty_of(&self.slave)
    }

    /// Sends a signal to the app.
    pub fn signal(&self, sig: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_raw(i32::try_from(self.child.id()).unwrap()).unwrap();
        rustix::process::kill_process(pid, sig).unwrap();
    }

    /// Waits for the app to end, by exiting or by a signal.
    pub fn wait_end(&mut self, timeout: Duration) -> ExitStatus {
        let child = &mut self.child;
        poll_until(
            "the app to end",
            timeout,
            || child.try_wait().unwrap(),
            String::new,
        )
    }

    /// Waits for the app to exit (a signal fails the test).
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let status = self.wait_end(timeout);
        if let Some(sig) = status.signal() {
            panic!(
                "the app was killed by signal {sig} instead of exiting; stderr: {}",
                self.stderr()
            );
        }
        status
    }
}

impl Drop for PtyApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `stty -g` run on `tty`.
fn stty_of(tty: &File) -> String {
    let out = Command::new("stty")
        .arg("-g")
        .stdin(tty.try_clone().unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "stty -g failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// How many times `needle` occurs in `hay`.
pub fn count(hay: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() || hay.len() < needle.len() {
        return 0;
    }
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// Where `needle` last occurs in `hay`.
pub fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The terminal is as the app found it: the alternate screen was left
/// after it was last entered, and the cursor shown after it was last
/// hidden.
pub fn assert_screen_restored(out: &[u8]) {
    let entered = rfind(out, b"\x1b[?1049h").expect("the app entered the alternate screen");
    let left = rfind(out, b"\x1b[?1049l");
    assert!(
        left.is_some_and(|l| l > entered),
        "the alternate screen was not left"
    );
    if let Some(hidden) = rfind(out, b"\x1b[?25l") {
        assert!(
            rfind(out, b"\x1b[?25h").is_some_and(|s| s > hidden),
            "the cursor was left hidden"
        );
    }
}
