//! tmux on a private socket, driven and read back by the tests.

use super::*;

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
        crate::common::succeeds(
            "tmux new-session",
            t.cmd()
                .args(["new-session", "-d", "-s", "main"])
                .args(["-x", &Self::COLS.to_string(), "-y", &Self::ROWS.to_string()])
                .arg("-c")
                .arg(cwd)
                .arg(format!("sh {}", script.display()))
                .current_dir(cwd)
                .env_clear()
                .envs(env.iter().map(|(k, v)| (k, v))),
        );
        // A pane that exits stays, so its last screen can be read.
        t.run(&["set-option", "-g", "remain-on-exit", "on"]);
        t
    }

    /// [`Tmux::start`] with tmux options set (`set-option -g NAME VALUE`)
    /// BEFORE `script` runs: the server starts with an idle pane, takes
    /// the options, then the pane is respawned with the script.
    pub fn start_with_options(
        script: &Path,
        cwd: &Path,
        env: &[(String, String)],
        options: &[(&str, &str)],
    ) -> Tmux {
        let idle = cwd.join("idle.sh");
        std::fs::write(&idle, "exec sleep 3600\n").unwrap();
        let t = Tmux::start(&idle, cwd, env);
        for (name, value) in options {
            t.run(&["set-option", "-g", name, value]);
        }
        let cwd = cwd.display().to_string();
        let command = format!("sh {}", script.display());
        t.run(&["respawn-pane", "-k", "-t", "main", "-c", &cwd, &command]);
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

    /// [`Tmux::start`] on a pane that runs `pixloom ARGS` ([`app_bin`]),
    /// then prints its exit status (`__PIXLOOM_EXIT=N`, see
    /// [`Tmux::quit_app`]) and stays.
    pub fn start_app(cwd: &Path, args: &[&str], env: &[(String, String)]) -> Tmux {
        let script = cwd.join(format!("{}.sh", unique("pane")));
        let command = std::iter::once(app_bin().display().to_string())
            .chain(args.iter().map(|a| (*a).to_owned()))
            .map(|a| shell_quote(&a))
            .collect::<Vec<_>>()
            .join(" ");
        std::fs::write(
            &script,
            format!("{command}\necho \"__PIXLOOM_EXIT=$?\"\nexec sleep 3600\n"),
        )
        .unwrap();
        Tmux::start(&script, cwd, env)
    }

    /// Quits the app (`q`, confirming if it asks) and checks its exit
    /// status, which the pane's script prints.
    pub fn quit_app(&self) {
        let step = Duration::from_secs(30);
        self.keys(&["q"]);
        let s = self.wait_for("the app to quit or ask", step, |s| {
            s.contains("__PIXLOOM_EXIT=") || s.contains("Quit anyway?")
        });
        if !s.contains("__PIXLOOM_EXIT=") {
            self.keys(&["y"]);
        }
        let s = self.wait_text("__PIXLOOM_EXIT=", step);
        assert!(s.contains("__PIXLOOM_EXIT=0"), "the app failed:\n{s}");
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
