//! What `pixloom send` shows while it waits (a real gateway takes 30–150 s
//! a picture): one line per request on stderr, redrawn in place — time
//! waited, what earlier turns of this conversation took, retries and why —
//! and cleared before the result is printed. Only when stderr is a
//! terminal and the output is not JSON; otherwise nothing at all.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::gateway::RetryNote;
use crate::sanitize;
use pixloom_core::tree::{Conversation, NodeId, RequestParams, Status};

/// How often the lines are redrawn while nothing happens.
pub(crate) const TICK: Duration = Duration::from_millis(250);

/// Where one request is.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    /// Out and waiting for the gateway.
    Waiting,
    /// Retried as `note` says: waiting to send again until `until`, then
    /// waiting for the gateway.
    Retrying { note: RetryNote, until: Instant },
    /// The picture arrived and is being stored.
    Storing,
    /// Over: the turn's status.
    Finished(Status),
}

#[derive(Debug)]
struct Request {
    node: NodeId,
    /// How the line names it: the node, and in a grid its size and model.
    name: String,
    stage: Stage,
    /// When the request ended.
    ended: Option<Instant>,
}

/// The progress lines of one `send`.
pub(crate) struct Progress {
    requests: Vec<Request>,
    started: Instant,
    /// The median latency of earlier turns here, and of how many.
    estimate: Option<(Duration, usize)>,
    out: Option<Box<dyn Write + Send>>,
    /// How many lines are on the screen (0: none).
    drawn: usize,
    width: usize,
}

impl Progress {
    /// Progress for the requests of `nodes`, drawn to `out` (`None`: off).
    pub(super) fn new(
        out: Option<Box<dyn Write + Send>>,
        conv: &Conversation,
        params: &RequestParams,
        nodes: &[NodeId],
        now: Instant,
    ) -> Progress {
        // Asked only when drawing (crossterm may run `tput` to find out).
        let width = out.as_ref().map_or(80, |_| {
            // A pty nobody sized says 0 columns: take the usual 80.
            ratatui::crossterm::terminal::size()
                .ok()
                .filter(|&(w, _)| w > 0)
                .map_or(80, |(w, _)| usize::from(w))
        });
        // A grid's cells differ in size or model: each line says which.
        let asked = |id: NodeId| conv.node(id).ok()?.turn.as_ref().map(|t| &t.request);
        let grid = nodes
            .iter()
            .any(|&n| asked(n) != nodes.first().and_then(|&f| asked(f)));
        Progress {
            requests: nodes
                .iter()
                .map(|&node| Request {
                    node,
                    name: match asked(node).filter(|_| grid) {
                        Some(r) => format!("{node} ({} · {})", r.size, r.model),
                        None => node.to_string(),
                    },
                    stage: Stage::Waiting,
                    ended: None,
                })
                .collect(),
            started: now,
            estimate: estimate(conv, params),
            out,
            drawn: 0,
            width: width.max(20),
        }
    }

    /// On stderr when it is a terminal and `json` is off.
    pub(crate) fn on_stderr(json: bool) -> Option<Box<dyn Write + Send>> {
        use std::io::IsTerminal as _;
        (!json && std::io::stderr().is_terminal())
            .then(|| Box::new(std::io::stderr()) as Box<dyn Write + Send>)
    }

    fn request(&mut self, node: NodeId) -> Option<&mut Request> {
        self.requests.iter_mut().find(|r| r.node == node)
    }

    pub(super) fn retry(&mut self, node: NodeId, note: RetryNote, now: Instant) {
        if let Some(r) = self.request(node) {
            let until = now + note.wait;
            r.stage = Stage::Retrying { note, until };
        }
    }

    pub(super) fn received(&mut self, node: NodeId) {
        if let Some(r) = self.request(node) {
            r.stage = Stage::Storing;
        }
    }

    pub(super) fn finished(&mut self, node: NodeId, status: Status, now: Instant) {
        if let Some(r) = self.request(node) {
            r.stage = Stage::Finished(status);
            r.ended = Some(now);
        }
    }

    /// The lines as they read at `now`.
    fn lines(&self, now: Instant) -> Vec<String> {
        let secs = |d: Duration| d.as_secs();
        self.requests
            .iter()
            .map(|r| {
                let waited = secs(
                    r.ended
                        .unwrap_or(now)
                        .saturating_duration_since(self.started),
                );
                let id = &r.name;
                let typical = self.estimate.map_or_else(String::new, |(d, n)| {
                    let turns = if n == 1 { "turn" } else { "turns" };
                    format!(
                        " · ~{} s is usual here ({n} earlier {turns})",
                        secs(d).max(1)
                    )
                });
                match &r.stage {
                    Stage::Retrying { note, until } if now < *until => format!(
                        "{id}  {} · retry {} of {} in {} s · {waited} s so far",
                        note.reason,
                        note.retry,
                        note.max_retries,
                        secs(until.saturating_duration_since(now)) + 1,
                    ),
                    Stage::Retrying { note, .. } => format!(
                        "{id}  waiting {waited} s{typical} · attempt {} of {} after {}",
                        note.retry + 1,
                        note.max_retries + 1,
                        note.reason
                    ),
                    Stage::Waiting => format!("{id}  waiting {waited} s{typical}"),
                    Stage::Storing => format!("{id}  picture received, storing · {waited} s"),
                    Stage::Finished(s) => format!("{id}  {s} after {waited} s"),
                }
            })
            .collect()
    }

    /// Redraws the lines in place (each cut to the terminal's width, so
    /// none wraps and moving up over them stays exact).
    pub(super) fn draw(&mut self, now: Instant) {
        if self.out.is_none() {
            return;
        }
        let mut buf = self.rewind();
        let lines = self.lines(now);
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                buf.push('\n');
            }
            buf.push_str("\x1b[2K");
            buf.extend(sanitize::line(line).chars().take(self.width - 1));
        }
        self.drawn = lines.len();
        self.write(&buf);
    }

    /// Removes the lines, leaving the cursor where they began.
    pub(super) fn clear(&mut self) {
        if self.drawn > 0 {
            let mut buf = self.rewind();
            buf.push_str("\x1b[J");
            self.drawn = 0;
            self.write(&buf);
        }
    }

    /// Back to the start of the first line drawn.
    fn rewind(&self) -> String {
        match self.drawn {
            0 => String::new(),
            1 => "\r".to_owned(),
            n => format!("\r\x1b[{}A", n - 1),
        }
    }

    fn write(&mut self, s: &str) {
        let ok = self
            .out
            .as_mut()
            .is_some_and(|o| o.write_all(s.as_bytes()).and_then(|()| o.flush()).is_ok());
        if !ok {
            self.out = None; // stderr went away: stop drawing
        }
    }
}

impl Drop for Progress {
    /// An error return leaves no half-drawn lines above its message.
    fn drop(&mut self) {
        self.clear();
    }
}

/// The median latency of this conversation's finished turns, those made
/// with the same model and size when there are any, and how many it is of.
fn estimate(conv: &Conversation, params: &RequestParams) -> Option<(Duration, usize)> {
    let done: Vec<(&RequestParams, u64)> = conv
        .nodes
        .values()
        .filter_map(|n| n.turn.as_ref())
        .filter(|t| t.status == Status::Done)
        .filter_map(|t| t.latency_ms.map(|ms| (&t.request, ms)))
        .collect();
    let alike: Vec<u64> = done
        .iter()
        .filter(|(p, _)| p.model == params.model && p.size == params.size)
        .map(|&(_, ms)| ms)
        .collect();
    let mut ms = if alike.is_empty() {
        done.iter().map(|&(_, ms)| ms).collect()
    } else {
        alike
    };
    ms.sort_unstable();
    let median = *ms.get(ms.len() / 2)?;
    Some((Duration::from_millis(median), ms.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pixloom_core::tree::{Endpoint, Outcome, Part};

    const T0: time::OffsetDateTime = time::macros::datetime!(2026-12-01 12:00 UTC);

    fn params(size: &str) -> RequestParams {
        RequestParams {
            endpoint: Endpoint::Chat,
            model: "gpt-image-2-vip".to_owned(),
            size: size.parse().expect("size"),
        }
    }

    /// A conversation with finished turns of these sizes and latencies.
    fn conv(turns: &[(&str, u64)]) -> Conversation {
        let mut c = Conversation::new("t", T0);
        for &(size, ms) in turns {
            let parts = vec![Part::Text { text: "x".into() }];
            let u = c.add_user(c.selected, parts, T0).expect("user");
            let a = c.add_pending(u, &params(size), 1, T0).expect("pending")[0];
            let outcome = Outcome {
                latency_ms: Some(ms),
                ..Outcome::default()
            };
            c.refuse(a, "no".into(), outcome).expect("refuse");
            let turn = c.nodes.get_mut(&a).and_then(|n| n.turn.as_mut());
            turn.expect("turn").status = Status::Done;
        }
        c
    }

    /// Every stage a request goes through, as the line reads, in a table.
    #[test]
    fn each_stage_reads_as_it_is() {
        let t0 = Instant::now();
        let s = move |n| t0 + Duration::from_secs(n);
        let c = conv(&[
            ("1280x720", 40_000),
            ("1280x720", 30_000),
            ("1280x1280", 90_000),
        ]);
        let mut p = Progress::new(None, &c, &params("1280x720"), &[NodeId(9)], t0);
        let note = RetryNote {
            retry: 1,
            max_retries: 2,
            reason: "HTTP 429 (rate limited)".into(),
            wait: Duration::from_secs(3),
        };
        type Event<'a> = Box<dyn Fn(&mut Progress) + 'a>;
        let cases: Vec<(Event, Instant, &str)> = vec![
            (
                Box::new(|_| {}),
                s(12),
                "n9  waiting 12 s · ~40 s is usual here (2 earlier turns)",
            ),
            (
                Box::new(move |p| p.retry(NodeId(9), note.clone(), s(14))),
                s(15),
                "n9  HTTP 429 (rate limited) · retry 1 of 2 in 3 s · 15 s so far",
            ),
            (
                Box::new(|_| {}),
                s(20),
                "n9  waiting 20 s · ~40 s is usual here (2 earlier turns) · attempt 2 of 3 after HTTP 429 (rate limited)",
            ),
            (
                Box::new(|p| p.received(NodeId(9))),
                s(41),
                "n9  picture received, storing · 41 s",
            ),
            (
                Box::new(|p| p.finished(NodeId(9), Status::Done, s(43))),
                s(60),
                "n9  done after 43 s",
            ),
        ];
        for (act, at, want) in cases {
            act(&mut p);
            assert_eq!(p.lines(at), vec![want.to_owned()]);
        }
    }

    #[test]
    fn the_estimate_prefers_turns_of_the_same_size() {
        let c = conv(&[
            ("1280x720", 40_000),
            ("1280x1280", 90_000),
            ("1280x1280", 80_000),
        ]);
        assert_eq!(
            estimate(&c, &params("1280x720")),
            Some((Duration::from_secs(40), 1))
        );
        assert_eq!(
            estimate(&c, &params("3840x2160")),
            Some((Duration::from_secs(80), 3))
        );
        assert_eq!(
            estimate(&Conversation::new("t", T0), &params("1280x720")),
            None
        );
    }

    /// Lines are redrawn in place and cleared: the terminal ends where it
    /// began.
    #[test]
    fn redraws_move_back_over_every_line_and_clear_them() {
        let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("lock").extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let t0 = Instant::now();
        let c = Conversation::new("t", T0);
        let out = Box::new(Shared(buf.clone()));
        let mut p = Progress::new(
            Some(out),
            &c,
            &params("1280x720"),
            &[NodeId(2), NodeId(3)],
            t0,
        );
        p.draw(t0);
        p.draw(t0 + Duration::from_secs(1));
        p.clear();
        let text = String::from_utf8(buf.lock().expect("lock").clone()).expect("utf-8");
        assert_eq!(
            text,
            "\x1b[2Kn2  waiting 0 s\n\x1b[2Kn3  waiting 0 s\
             \r\x1b[1A\x1b[2Kn2  waiting 1 s\n\x1b[2Kn3  waiting 1 s\
             \r\x1b[1A\x1b[J"
        );
    }

    /// A grid's lines say each cell's size and model; plain variants', not.
    #[test]
    fn a_grids_lines_name_each_cells_size_and_model() {
        let t0 = Instant::now();
        let mut c = Conversation::new("t", T0);
        let u = c
            .add_user(None, vec![Part::Text { text: "x".into() }], T0)
            .expect("user");
        let all = RequestParams {
            model: "gpt-image-2-all".into(),
            ..params("2048x1152")
        };
        let cells = c
            .add_pending_each(u, &[params("1280x720"), all], T0)
            .expect("cells");
        let p = Progress::new(None, &c, &params("1280x720"), &cells, t0);
        assert_eq!(
            p.lines(t0),
            [
                "n2 (1280x720 · gpt-image-2-vip)  waiting 0 s",
                "n3 (2048x1152 · gpt-image-2-all)  waiting 0 s"
            ]
        );
        let v = c
            .add_pending(u, &params("1280x720"), 2, T0)
            .expect("variants");
        let p = Progress::new(None, &c, &params("1280x720"), &v, t0);
        assert_eq!(p.lines(t0), ["n4  waiting 0 s", "n5  waiting 0 s"]);
    }
}
