//! Inside tmux: what the OUTER terminal can show, and how a picture gets
//! through to it.
//!
//! tmux is a terminal of its own between pixloom and the one on the
//! user's desk. It answers most queries itself (DA1 lists sixel whenever
//! tmux was built with it, whatever the outer terminal), keeps what it
//! does not know out of the outer terminal (an APC kitty query became the
//! pane's title), and passes a sequence through only when it is wrapped as
//! `ESC Ptmux; … ESC \` (every ESC inside doubled) AND the user allowed it
//! (`allow-passthrough`, off by default). So pixloom asks tmux itself
//! ([`query`]: `tmux display -p`) what it knows of its client, and sends
//! the queries meant for the outer terminal wrapped ([`wrap`]); their
//! answers come back after tmux's own.
//!
//! | tmux says | pictures |
//! | --- | --- |
//! | `client_termfeatures` lists `sixel` (tmux 3.4+ built with sixel, a sixel terminal) | sixel, written as is: tmux draws it and keeps it across window switches |
//! | passthrough on, the outer terminal answered the kitty query through it and is kitty ≥ 0.28 or Ghostty | kitty Unicode placeholders: the picture sent once through passthrough, drawn as text |
//! | the client is itself tmux or screen (nested) | half-blocks |
//! | anything else | half-blocks, and a one-time hint naming `allow-passthrough on` |
//!
//! pixloom never changes the user's tmux options.

use std::io::{self, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The format asked of `tmux display -p`: one field per tab.
const FORMAT: &str = "#{version}\t#{client_termfeatures}\t#{client_termname}\t#{client_termtype}\t#{allow-passthrough}\t#{client_cell_width}\t#{client_cell_height}";

/// How long `tmux display` may take before pixloom goes on without it.
const QUERY_TIMEOUT: Duration = Duration::from_secs(1);

/// What tmux knows of itself and of the terminal its client runs in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TmuxInfo {
    /// As tmux says it: `3.5a`.
    pub(crate) version_text: String,
    /// `3.5a` → (3, 5).
    pub(crate) version: Option<(u16, u16)>,
    /// `client_termfeatures`: `sixel`, `RGB`, `clipboard`…
    pub(crate) features: Vec<String>,
    /// `client_termname`: the outer terminal's `TERM` (`xterm-kitty`).
    pub(crate) termname: String,
    /// `client_termtype`: the outer terminal's XTVERSION, when it gave one.
    pub(crate) termtype: String,
    pub(crate) passthrough: Passthrough,
    /// The client terminal's cell in pixels (tmux 3.4+), when known.
    pub(crate) cell: Option<(u16, u16)>,
}

/// The pane's `allow-passthrough` option, as far as pixloom knows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Passthrough {
    /// `on` or `all`: wrapped sequences reach the outer terminal.
    On,
    /// `off` (tmux's default): wrapped sequences are dropped.
    Off,
    /// Not known (over SSH from inside tmux there is no `tmux` to ask):
    /// wrapped queries are sent and their answers decide.
    #[default]
    Unknown,
}

impl TmuxInfo {
    /// Parses one line of [`FORMAT`]'s output.
    pub(crate) fn parse(line: &str) -> TmuxInfo {
        let mut f = line.trim_end_matches(['\r', '\n']).split('\t');
        let mut next = || f.next().unwrap_or_default().to_owned();
        let version_text = next();
        let version = parse_version(&version_text);
        let features = next()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let termname = next();
        let termtype = next();
        let passthrough = match next().as_str() {
            "on" | "all" => Passthrough::On,
            "off" => Passthrough::Off,
            _ => Passthrough::Unknown,
        };
        let (w, h) = (next().parse::<u16>(), next().parse::<u16>());
        let cell = match (w, h) {
            (Ok(w), Ok(h)) if w > 0 && h > 0 => Some((w, h)),
            _ => None,
        };
        TmuxInfo {
            version_text,
            version,
            cell,
            features,
            termname,
            termtype,
            passthrough,
        }
    }

    /// tmux draws sixel for this client: built with it (3.4+) and the
    /// outer terminal speaks it.
    pub(crate) fn sixel(&self) -> bool {
        self.features.iter().any(|f| f == "sixel")
    }

    /// The client is itself a multiplexer (tmux inside tmux or screen):
    /// nothing pixloom sends is sure to get through two of them.
    pub(crate) fn nested(&self) -> bool {
        let t = self.termname.to_ascii_lowercase();
        t.starts_with("tmux") || t.starts_with("screen")
    }

    /// What the plain queries would have told, from what tmux said: its
    /// name and version, and the client's cell size.
    pub(crate) fn as_replies(&self) -> super::replies::Replies {
        super::replies::Replies {
            version: Some(format!("tmux {}", self.version_text)),
            cell_px: self.cell,
            ..super::replies::Replies::default()
        }
    }
}

/// `3.5a`, `next-3.6`, `tmux 3.4` → (major, minor).
pub(crate) fn parse_version(s: &str) -> Option<(u16, u16)> {
    let digits = s.trim_start_matches(|c: char| !c.is_ascii_digit());
    let mut parts = digits.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()
        .unwrap_or("0")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().unwrap_or(0)))
}

/// Asks the tmux server pixloom runs under (`TMUX` is set) what it knows;
/// `None` when there is no tmux to ask or it did not answer within a
/// second (pixloom then decides from the probe's answers alone).
pub(crate) fn query() -> Option<TmuxInfo> {
    let mut child = Command::new("tmux")
        .args(["display-message", "-p", FORMAT])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + QUERY_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                tracing::warn!("tmux display did not answer within {QUERY_TIMEOUT:?}");
                return None;
            }
            // A local tmux answers in milliseconds; this runs once, at start.
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let mut out = String::new();
    io::Read::read_to_string(child.stdout.as_mut()?, &mut out).ok()?;
    Some(TmuxInfo::parse(&out))
}

/// `seq` wrapped for tmux's passthrough: `ESC Ptmux;`, the sequence with
/// every ESC doubled, `ESC \`.
pub(crate) fn wrap(seq: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(seq.len() + 16);
    out.extend_from_slice(b"\x1bPtmux;");
    for &b in seq {
        if b == 0x1b {
            out.push(0x1b);
        }
        out.push(b);
    }
    out.extend_from_slice(b"\x1b\\");
    out
}

/// Writes one whole escape sequence, wrapped for tmux when `through`.
pub(crate) fn write_seq(out: &mut impl Write, seq: &[u8], through: bool) -> io::Result<()> {
    if through {
        out.write_all(&wrap(seq))
    } else {
        out.write_all(seq)
    }
}

/// The one-time hint for a tmux whose pictures fall back to half-blocks
/// (short: it shares the status bar; docs/graphics.md says the rest:
/// kitty ≥ 0.28 and Ghostty need it, sixel terminals tmux 3.4+).
pub(crate) const HINT_PASSTHROUGH: &str =
    "tmux: `set -g allow-passthrough on` shows real pictures (kitty, Ghostty)";

/// The hint when `--graphics` forced kitty or iTerm2 inside a tmux that
/// drops what is passed through.
pub(crate) const HINT_FORCED: &str =
    "tmux drops these pictures: `set -g allow-passthrough on` lets them through";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_tmux_display_says() {
        let xterm = TmuxInfo::parse(
            "3.5a\t256,bpaste,ccolour,clipboard,RGB,sixel,title\txterm\tXTerm(379)\toff\t8\t17\n",
        );
        assert_eq!(xterm.version, Some((3, 5)));
        assert_eq!(xterm.cell, Some((8, 17)));
        assert_eq!(xterm.as_replies().version.as_deref(), Some("tmux 3.5a"));
        assert!(xterm.sixel());
        assert_eq!(xterm.termtype, "XTerm(379)");
        assert_eq!(xterm.passthrough, Passthrough::Off);
        assert!(!xterm.nested());

        let kitty = TmuxInfo::parse("3.5a\tbpaste,ccolour,clipboard,title\txterm-kitty\t\ton");
        assert!(!kitty.sixel());
        assert_eq!(kitty.termname, "xterm-kitty");
        assert_eq!(kitty.passthrough, Passthrough::On);
        assert_eq!(
            TmuxInfo::parse("3.4\t\tx\t\tall").passthrough,
            Passthrough::On
        );

        let nested = TmuxInfo::parse("3.3a\t\ttmux-256color\ttmux 3.3a\toff");
        assert!(nested.nested());
        // An old tmux without the option, or garbage: nothing assumed.
        let old = TmuxInfo::parse("3.2\t\tscreen\t\t");
        assert_eq!(old.passthrough, Passthrough::Unknown);
        assert_eq!(TmuxInfo::parse(""), TmuxInfo::default());
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("3.5a"), Some((3, 5)));
        assert_eq!(parse_version("tmux 3.4"), Some((3, 4)));
        assert_eq!(parse_version("next-3.6"), Some((3, 6)));
        assert_eq!(parse_version("3"), Some((3, 0)));
        assert_eq!(parse_version("master"), None);
    }

    #[test]
    fn wrapping_doubles_every_escape() {
        assert_eq!(
            wrap(b"\x1b_Ga=q;AAAA\x1b\\"),
            b"\x1bPtmux;\x1b\x1b_Ga=q;AAAA\x1b\x1b\\\x1b\\".to_vec()
        );
        let mut out = Vec::new();
        write_seq(&mut out, b"\x1b[c", false).expect("vec");
        assert_eq!(out, b"\x1b[c");
    }
}
