//! Which graphics the terminal speaks, decided once at start.
//!
//! [`probe`] runs after raw mode is on and BEFORE the key-reader thread
//! starts (viuer issue #44: two readers of the terminal race). It writes
//! a round of queries ending with the primary device attributes (`CSI
//! c`), which every terminal answers, and reads until the DA reply
//! arrives or the timeout passes, so a silent terminal costs at most the
//! timeout, never a hang. Terminals answer in order, so once DA is in,
//! every other answer is too. [`detect`] runs up to two rounds: first
//! what every terminal and tmux answer harmlessly — the cell size in
//! pixels (`CSI 16 t`), the text area's (`CSI 14 t`, for terminals that
//! answer it but not the cell size), the name and version (XTVERSION,
//! `CSI > q`); then, straight in a terminal, the kitty graphics query, or
//! inside tmux the outer terminal's queries wrapped for passthrough (see
//! [`super::tmux`]).
//!
//! [`decide`] is pure: environment plus replies → backend and colour depth.
//! Over SSH the environment is mostly gone (`TERM_PROGRAM`,
//! `KITTY_WINDOW_ID`, `COLORTERM` are not forwarded) and the replies
//! decide; `LC_TERMINAL` (iTerm2 sets it so that `SendEnv LC_*` carries
//! it) and `TERM` usually survive.

use std::io::{self, Write};
use std::time::{Duration, Instant};

pub(crate) use super::replies::{Replies, parse_replies};
use super::tmux::{Passthrough, TmuxInfo};
use super::{GraphicsBackend, GraphicsChoice, Route};

/// The kitty graphics query (a 1×1 picture, not kept: `a=q`).
pub(crate) const KITTY_QUERY: &str = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\";

/// The queries every terminal (and tmux itself) answers or ignores
/// harmlessly, DA last: its reply bounds the wait.
pub(crate) const PLAIN_QUERIES: &str = "\x1b[16t\x1b[14t\x1b[>q\x1b[c";

/// The queries meant for the terminal outside tmux, each wrapped for its
/// passthrough: the kitty query, XTVERSION and DA (whose reply, the outer
/// terminal's, bounds the wait; tmux answers nothing wrapped).
pub(crate) fn outer_queries() -> Vec<u8> {
    [KITTY_QUERY, "\x1b[>q", "\x1b[c"]
        .iter()
        .flat_map(|q| super::tmux::wrap(q.as_bytes()))
        .collect()
}

/// Long enough for a reply over a slow SSH link; a terminal that answers
/// returns as soon as its DA reply is in.
pub(crate) const TIMEOUT: Duration = Duration::from_millis(500);

/// The wait for a terminal whose environment names it (see [`timeout`]).
pub(crate) const TIMEOUT_NAMED: Duration = Duration::from_secs(2);

/// How long to wait for the replies. A terminal that names itself in the
/// environment is one that answers: a slow start (kitty on a software
/// renderer answered after more than 500 ms) must not cost it its
/// graphics, nor turn its late replies into keys typed into the app
/// (seen: `=31;OK>|kitty(0.26.5)` in the composer). Waiting longer costs
/// it nothing, since the wait ends with its DA reply. Anything else keeps
/// the short wait, so a silent terminal costs little.
pub(crate) fn timeout(env: &dyn Fn(&str) -> Option<String>) -> Duration {
    let term = env("TERM").unwrap_or_default();
    let named = [
        "KITTY_WINDOW_ID",
        "KONSOLE_VERSION",
        "WEZTERM_PANE",
        "XTERM_VERSION",
        "MLTERM",
        "VTE_VERSION",
        "TERM_PROGRAM",
        "WT_SESSION",
    ]
    .iter()
    .any(|k| has(env, k))
        || [
            "xterm-kitty",
            "xterm-ghostty",
            "foot",
            "wezterm",
            "alacritty",
            "mlterm",
        ]
        .iter()
        .any(|t| term.starts_with(t));
    if named { TIMEOUT_NAMED } else { TIMEOUT }
}

/// The decision, and why (logged, and shown in `docs/graphics.md` terms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    pub backend: GraphicsBackend,
    pub truecolor: bool,
    pub(crate) why: &'static str,
    pub(crate) route: Route,
    /// Said once to the user: what would give real pictures here.
    pub(crate) hint: Option<&'static str>,
}

fn has(env: &dyn Fn(&str) -> Option<String>, k: &str) -> bool {
    env(k).is_some_and(|v| !v.is_empty())
}

fn is(env: &dyn Fn(&str) -> Option<String>, k: &str, values: &[&str]) -> bool {
    env(k).is_some_and(|v| values.iter().any(|x| v.eq_ignore_ascii_case(x)))
}

/// Inside tmux or screen: the variable is set locally; over SSH from
/// inside one only `TERM` (or the multiplexer's own XTVERSION) tells.
pub(crate) fn in_multiplexer(env: &dyn Fn(&str) -> Option<String>, replies: &Replies) -> bool {
    has(env, "TMUX")
        || has(env, "STY")
        || env("TERM").is_some_and(|t| t.starts_with("tmux") || t.starts_with("screen"))
        || replies.version_starts(&["tmux"])
}

/// Inside tmux (not GNU screen, whose passthrough is another): `TMUX`
/// set, or tmux answered XTVERSION (over SSH from inside tmux).
pub(crate) fn in_tmux(env: &dyn Fn(&str) -> Option<String>, replies: &Replies) -> bool {
    has(env, "TMUX") || (!has(env, "STY") && replies.version_starts(&["tmux"]))
}

/// What is known inside tmux: tmux's own answers to the plain queries
/// (`replies`), what `tmux display` said (`info`, when there is a tmux
/// to ask) and the outer terminal's answers to the wrapped queries
/// (`outer`, empty when they were not sent or did not come back).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct InTmux {
    pub(crate) info: Option<TmuxInfo>,
    pub(crate) outer: Replies,
}

impl InTmux {
    fn passthrough(&self) -> Passthrough {
        match &self.info {
            Some(i) => i.passthrough,
            // Nothing to ask: an answer through it proves it on.
            None if self.outer.da1.is_some() => Passthrough::On,
            None => Passthrough::Unknown,
        }
    }

    fn nested(&self) -> bool {
        self.info.as_ref().is_some_and(TmuxInfo::nested)
            || self.outer.version_starts(&["tmux", "screen"])
    }

    /// tmux draws sixel for its client: tmux says so, or (nothing to ask)
    /// it is 3.4+ and the outer terminal's DA lists sixel.
    fn sixel(&self, replies: &Replies) -> bool {
        match &self.info {
            Some(i) => i.sixel(),
            None => {
                let tmux = replies
                    .version
                    .as_deref()
                    .and_then(super::tmux::parse_version);
                tmux.is_some_and(|v| v >= (3, 4)) && self.outer.sixel()
            }
        }
    }

    /// The outer terminal answered the kitty query through passthrough
    /// and draws Unicode placeholders (kitty 0.28+, Ghostty).
    fn placeholders(&self) -> bool {
        let o = &self.outer;
        let version_ok = o.version.as_deref().is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            if v.starts_with("ghostty") {
                return true;
            }
            v.strip_prefix("kitty")
                .and_then(super::tmux::parse_version)
                .is_some_and(|ver| ver >= (0, 28))
        });
        o.kitty && version_ok
    }
}

/// Environment plus replies → backend (for `auto`) and colour depth.
/// `tmux` is what was learnt inside tmux (`None` elsewhere).
pub(crate) fn decide(
    env: &dyn Fn(&str) -> Option<String>,
    replies: &Replies,
    tmux: Option<&InTmux>,
) -> Decision {
    let truecolor = truecolor(env, replies);
    let d = |backend, why| Decision {
        backend,
        truecolor,
        why,
        route: Route::Printed,
        hint: None,
    };
    if is(env, "TERM", &["dumb"]) {
        return d(GraphicsBackend::None, "TERM=dumb");
    }
    if let Some(t) = tmux {
        return decide_in_tmux(t, replies, d);
    }
    if in_multiplexer(env, replies) {
        return d(
            GraphicsBackend::Blocks,
            "inside tmux or screen, nothing learnt of the terminal outside: half-blocks",
        );
    }
    if replies.kitty {
        return d(
            GraphicsBackend::Kitty,
            "the kitty graphics query was answered",
        );
    }
    if is(env, "TERM_PROGRAM", &["iTerm.app", "WezTerm"])
        || is(env, "LC_TERMINAL", &["iTerm2"])
        || replies.version_starts(&["iterm2", "wezterm"])
    {
        return d(
            GraphicsBackend::Iterm,
            "iTerm2 or WezTerm (environment or XTVERSION)",
        );
    }
    if replies.sixel() {
        return d(GraphicsBackend::Sixel, "device attributes list sixel (4)");
    }
    if replies.da1.is_none() {
        return d(GraphicsBackend::Blocks, "no answer to the queries in time");
    }
    d(GraphicsBackend::Blocks, "no graphics protocol announced")
}

/// The table in [`super::tmux`], first match wins.
fn decide_in_tmux(
    t: &InTmux,
    replies: &Replies,
    d: impl Fn(GraphicsBackend, &'static str) -> Decision,
) -> Decision {
    if t.nested() {
        return d(
            GraphicsBackend::Blocks,
            "tmux inside tmux or screen: half-blocks",
        );
    }
    if t.sixel(replies) {
        return d(
            GraphicsBackend::Sixel,
            "tmux 3.4+ draws sixel for this terminal (client_termfeatures lists sixel)",
        );
    }
    if t.placeholders() {
        return Decision {
            route: Route::Placeholders,
            ..d(
                GraphicsBackend::Kitty,
                "the terminal outside tmux answered the kitty query through passthrough and draws Unicode placeholders",
            )
        };
    }
    let blocks = d(
        GraphicsBackend::Blocks,
        "inside tmux, no picture protocol gets through: half-blocks",
    );
    // Passthrough on and answered: the outer terminal itself shows no
    // pictures tmux can carry; no option would change that.
    let could_help = !(t.passthrough() == Passthrough::On && t.outer.da1.is_some());
    Decision {
        hint: could_help.then_some(super::tmux::HINT_PASSTHROUGH),
        ..blocks
    }
}

/// 24-bit colour for half-blocks, else the 256-colour palette.
pub(crate) fn truecolor(env: &dyn Fn(&str) -> Option<String>, replies: &Replies) -> bool {
    let term = env("TERM").unwrap_or_default().to_ascii_lowercase();
    is(env, "COLORTERM", &["truecolor", "24bit"])
        || ["direct", "truecolor", "24bit"]
            .iter()
            .any(|s| term.contains(s))
        || [
            "xterm-kitty",
            "xterm-ghostty",
            "alacritty",
            "foot",
            "wezterm",
            "contour",
        ]
        .iter()
        .any(|s| term.starts_with(s))
        || is(
            env,
            "TERM_PROGRAM",
            &["iTerm.app", "WezTerm", "vscode", "ghostty", "Hyper", "rio"],
        )
        || is(env, "LC_TERMINAL", &["iTerm2"])
        || [
            "KITTY_WINDOW_ID",
            "WEZTERM_PANE",
            "KONSOLE_VERSION",
            "WT_SESSION",
            "TMUX",
        ]
        .iter()
        .any(|k| has(env, k))
        || env("VTE_VERSION")
            .and_then(|v| v.parse::<u32>().ok())
            .is_some_and(|v| v >= 3600)
        || replies.kitty
        || replies.version_starts(&[
            "kitty", "wezterm", "foot", "iterm2", "ghostty", "contour", "konsole", "xterm", "tmux",
        ])
}

/// The outcome of detection, with what the printer needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Detected {
    pub backend: GraphicsBackend,
    pub truecolor: bool,
    /// The terminal's real cell size in pixels, when it told.
    pub cell_px: Option<(u16, u16)>,
    pub(crate) why: String,
    pub(crate) route: Route,
    /// Every picture sequence goes through tmux's passthrough.
    pub(crate) passthrough: bool,
    /// Said once to the user (see [`super::hint`]).
    pub(crate) hint: Option<&'static str>,
    /// The terminal's background colour, when it told.
    pub(crate) background: Option<[u8; 3]>,
}

/// Runs the probe when it can tell something, and decides. `choice`
/// forces a backend; a forced pixel backend still probes for the cell
/// size. Writes to the terminal; reads from it with a timeout.
///
/// The plain queries go first. The kitty query is written as is only
/// when their answers show no multiplexer (tmux made it the pane's
/// title); inside tmux it goes, with XTVERSION and DA, to the outer
/// terminal through passthrough, unless tmux said passthrough is off.
pub(crate) fn detect(choice: GraphicsChoice, env: &dyn Fn(&str) -> Option<String>) -> Detected {
    use std::io::IsTerminal as _;
    let tty = io::stdin().is_terminal() && io::stdout().is_terminal();
    let wants_probe = tty
        && match choice {
            GraphicsChoice::Auto => true,
            GraphicsChoice::Force(b) => b.is_pixels(),
        };
    let wait = timeout(env);
    let ask = |queries: &[u8]| {
        probe(&mut io::stdout(), queries, wait).unwrap_or_else(|e| {
            tracing::warn!("graphics probe failed: {e}");
            Replies::default()
        })
    };
    // Inside a local tmux, tmux itself says what it knows: nothing is
    // asked that it would answer itself (a key typed while the probe
    // reads would be lost).
    let local = (wants_probe && has(env, "TMUX") && !has(env, "STY"))
        .then(super::tmux::query)
        .flatten();
    // Else first what every terminal and multiplexer answers (XTVERSION
    // tells tmux even over SSH, where `TMUX` is not set and `TERM` may say
    // xterm); the kitty query only once it is known to reach a terminal.
    let mut replies = match &local {
        Some(info) => info.as_replies(),
        None if wants_probe => ask(PLAIN_QUERIES.as_bytes()),
        None => Replies::default(),
    };
    // A terminal that did not answer the first round is not asked again.
    let answers = local.is_some() || replies.da1.is_some();
    if answers && !in_multiplexer(env, &replies) {
        replies.kitty = ask(format!("{KITTY_QUERY}\x1b[c").as_bytes()).kitty;
    }
    let tmux = (answers && in_tmux(env, &replies)).then(|| {
        let asked = local.is_some();
        let mut t = InTmux {
            info: local,
            outer: Replies::default(),
        };
        if t.nested() {
            // Nothing gets through two multiplexers for sure: ask nothing.
        } else if t.sixel(&replies) {
            // tmux draws the sixel: the background colour is all that is
            // missing (see `encoded::zero_like`); tmux answers it from
            // what it knows of its client.
            if asked {
                replies.background = ask(b"\x1b]11;?\x1b\\\x1b[c").background;
            }
        } else if t.passthrough() != Passthrough::Off {
            t.outer = ask(&outer_queries());
        }
        t
    });
    let auto = decide(env, &replies, tmux.as_ref());
    let mut d = Detected {
        backend: auto.backend,
        truecolor: auto.truecolor,
        cell_px: cell_size(&replies, winsize()),
        why: auto.why.to_owned(),
        route: auto.route,
        passthrough: auto.route == Route::Placeholders,
        hint: auto.hint,
        background: replies.background,
    };
    if let GraphicsChoice::Force(b) = choice {
        d = forced(b, d, tmux.as_ref(), in_tmux(env, &replies));
    }
    tracing::info!(?replies, ?tmux, ?d, "graphics detected");
    d
}

/// `--graphics` as asked, delivered the way it can work here: inside tmux
/// kitty as Unicode placeholders and iTerm2 images through passthrough
/// (sixel as is: tmux 3.4+ draws it), with a hint when tmux said it drops
/// what is passed through.
fn forced(b: GraphicsBackend, auto: Detected, tmux: Option<&InTmux>, in_tmux: bool) -> Detected {
    let why = format!("forced (auto would say {})", auto.backend);
    let through = in_tmux && matches!(b, GraphicsBackend::Kitty | GraphicsBackend::Iterm);
    let blocked = tmux.is_some_and(|t| t.passthrough() == Passthrough::Off);
    Detected {
        backend: b,
        why,
        route: if in_tmux && b == GraphicsBackend::Kitty {
            Route::Placeholders
        } else {
            Route::Printed
        },
        passthrough: through,
        hint: (through && blocked).then_some(super::tmux::HINT_FORCED),
        ..auto
    }
}

/// The window size the kernel knows (`TIOCGWINSZ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WinSize {
    /// Columns and rows.
    pub cells: (u16, u16),
    /// Width and height in pixels, when the terminal set them.
    pub(crate) pixels: Option<(u16, u16)>,
}

/// The window size the kernel knows now (no query: safe while the key
/// reader runs).
pub(crate) fn winsize() -> Option<WinSize> {
    ratatui::crossterm::terminal::window_size()
        .ok()
        .map(|ws| WinSize {
            cells: (ws.columns, ws.rows),
            pixels: Some((ws.width, ws.height)).filter(|&(w, h)| w > 0 && h > 0),
        })
}

/// The cell size from the kernel's window size alone (no query: safe while
/// the key reader runs).
pub(crate) fn kernel_cell_size() -> Option<(u16, u16)> {
    cell_size(&Replies::default(), winsize())
}

/// The cell size in pixels: as the terminal answered `CSI 16 t`, else
/// from the window size the kernel knows (`TIOCGWINSZ`: `(columns, rows)`
/// and, when set, the pixels; xterm fills them but ignores the query),
/// else the text area's pixels (`CSI 14 t`) over the cells.
pub(crate) fn cell_size(replies: &Replies, winsize: Option<WinSize>) -> Option<(u16, u16)> {
    let per_cell = |(w, h): (u16, u16)| {
        let (cols, rows) = winsize?.cells;
        (cols > 0 && rows > 0 && w >= cols && h >= rows).then(|| (w / cols, h / rows))
    };
    replies
        .cell_px
        .or_else(|| winsize.and_then(|ws| ws.pixels).and_then(per_cell))
        .or_else(|| replies.window_px.and_then(per_cell))
}

/// Writes `queries` (ending with DA) and collects the replies until a DA
/// reply or `timeout`. The terminal must be in raw mode, and nothing else
/// may be reading it.
pub(crate) fn probe(
    out: &mut impl Write,
    queries: &[u8],
    timeout: Duration,
) -> io::Result<Replies> {
    use rustix::event::{PollFd, PollFlags, poll};
    use std::os::fd::AsFd as _;
    out.write_all(queries)?;
    out.flush()?;
    let stdin = io::stdin();
    let fd = stdin.as_fd();
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        // Whole milliseconds, rounded up so a last fraction still waits.
        let wait = i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX);
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        if poll(&mut fds, wait)? == 0 {
            break;
        }
        let n = rustix::io::read(fd, &mut chunk)?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&chunk[..n]);
        if parse_replies(&got).da1.is_some() {
            break;
        }
    }
    Ok(parse_replies(&got))
}

#[cfg(test)]
mod tests;
