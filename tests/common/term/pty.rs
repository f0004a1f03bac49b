//! The app in a pseudo-terminal, its output read byte by byte.

use super::*;

/// What the app wrote to the terminal so far.
#[derive(Default)]
struct Written {
    bytes: Vec<u8>,
    last: Option<Instant>,
    /// The reader takes nothing more (a terminal behind a stalled link).
    paused: bool,
    /// The reader saw `paused` and waits: no read is under way.
    parked: bool,
}

/// A VT220 with colour and no graphics, answering `CSI c`.
const VT220_DA: &[u8] = b"\x1b[?62;22c";

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
    /// Wakes the reader when [`PtyApp::resume`] lets it read again, and
    /// [`PtyApp::pause`] when the reader parked.
    resumed: Arc<std::sync::Condvar>,
    stderr: PathBuf,
}

/// Where the app's stderr goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StderrTo {
    /// A file, read back by [`PtyApp::stderr`].
    File,
    /// The terminal, like the screen's bytes.
    Tty,
}

impl PtyApp {
    /// Starts `bin ARGS` as a session leader whose controlling terminal is
    /// a new pty of `cols`×`rows` (via `setsid --ctty`, so no unsafe code).
    /// With [`StderrTo::Tty`] stderr is on the terminal too, as in a real
    /// shell: what the app prints there lands in [`PtyApp::output`], in
    /// order with the screen's bytes (and [`PtyApp::stderr`] is empty).
    pub fn spawn(
        bin: &Path,
        args: &[&str],
        cwd: &Path,
        env: &[(String, String)],
        size: (u16, u16),
        stderr_to: StderrTo,
    ) -> PtyApp {
        PtyApp::spawn_answering(bin, args, cwd, env, size, stderr_to, VT220_DA)
    }

    /// [`PtyApp::spawn`], answering each primary device attributes query
    /// with `da_reply` (which may carry other replies before the DA).
    pub fn spawn_answering(
        bin: &Path,
        args: &[&str],
        cwd: &Path,
        env: &[(String, String)],
        (cols, rows): (u16, u16),
        stderr_to: StderrTo,
        da_reply: &'static [u8],
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
        set_size(&slave, (cols, rows));
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
            .stderr(if stderr_to == StderrTo::Tty {
                Stdio::from(slave.try_clone().unwrap())
            } else {
                Stdio::from(File::create(&stderr).unwrap())
            })
            .spawn()
            .unwrap();
        let master = File::from(master);
        let written = Arc::new(Mutex::new(Written::default()));
        let resumed = Arc::new(std::sync::Condvar::new());
        let mut reader = master.try_clone().unwrap();
        let mut answer = master.try_clone().unwrap();
        let w = Arc::clone(&written);
        let wake = Arc::clone(&resumed);
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            // The query scan looks at the last few bytes too, for a query
            // split across two reads.
            let mut tail: Vec<u8> = Vec::new();
            loop {
                {
                    let mut g = w.lock().unwrap();
                    if g.paused {
                        g.parked = true;
                        wake.notify_all();
                        g = wake.wait_while(g, |w| w.paused).unwrap();
                        g.parked = false;
                    }
                }
                // Waits for bytes at most 50 ms, so a pause is seen before
                // the next read (the pause waits for that: no read then
                // takes what the app writes during a stall).
                let mut fds = [rustix::event::PollFd::new(
                    &reader,
                    rustix::event::PollFlags::IN,
                )];
                match rustix::event::poll(&mut fds, 50) {
                    Ok(0) => continue,
                    Ok(_) => {}
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(_) => break,
                }
                if fds[0].revents().contains(rustix::event::PollFlags::IN)
                    && w.lock().unwrap().paused
                {
                    continue;
                }
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
                    (&b"\x1b[c"[..], da_reply),
                    (b"\x1b[0c", da_reply),
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
            resumed,
            stderr,
        }
    }

    /// Stops reading what the app writes, as a terminal behind a stalled
    /// link: once the pty's buffer is full, the app's writes block.
    /// Returns once the reader has stopped (no read under way).
    pub fn pause(&self) {
        let mut w = self.written.lock().unwrap();
        w.paused = true;
        let (w, timeout) = self
            .resumed
            .wait_timeout_while(w, Duration::from_secs(30), |w| !w.parked)
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "the reader did not stop: {w:?}",
            w = w.bytes.len()
        );
    }

    /// Reads again after [`PtyApp::pause`].
    pub fn resume(&self) {
        self.written.lock().unwrap().paused = false;
        self.resumed.notify_all();
    }

    /// Bytes the app wrote that the reader has not taken (in the pty).
    pub fn unread(&self) -> u64 {
        rustix::io::ioctl_fionread(&self.master).unwrap()
    }

    /// Resizes the terminal (the app gets SIGWINCH).
    pub fn resize(&self, size: (u16, u16)) {
        set_size(&self.slave, size);
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

/// Sets the size of the terminal `tty` (its pixel size unknown).
fn set_size(tty: &File, (cols, rows): (u16, u16)) {
    rustix::termios::tcsetwinsize(
        tty,
        rustix::termios::Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )
    .unwrap();
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
