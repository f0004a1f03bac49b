//! The app's state: everything the view draws and `update` changes.
//!
//! The conversation is owned here; the engine never holds it. Popups are
//! one [`Overlay`] enum, so only one is open and each carries only its own
//! data. Time comes from [`Clock`], set by the loop before each message and
//! by tests to whatever they like, so snapshots are stable.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tui_textarea::TextArea;

use pixloom_core::model::KNOWN_MODELS;
use pixloom_core::size::{RATIOS, Size, SizeSpec, Tier};
use pixloom_core::tree::{
    Conversation, Endpoint, ImageRef, Node, NodeId, RequestParams, Role, Status,
};

pub use super::input_line::{InputBox, InputKind};
use super::keymap::{Context, Keymap};
use super::playback::Replay;
use super::scroll::ScrollRoom;
pub(crate) use super::target::ComposeTarget;
use super::thumbs::{GraphicsBackend, ThumbCache};

/// The time as the app sees it.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// For elapsed times and the spinner.
    pub(crate) mono: Instant,
    /// For new nodes' `created_at`.
    pub(crate) wall: OffsetDateTime,
}

impl Clock {
    pub fn now() -> Clock {
        Clock {
            mono: Instant::now(),
            wall: OffsetDateTime::now_utc(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Focus {
    Tree,
    Transcript,
    Composer,
}

/// A cell of the size picker: row 0 is `auto`, rows 1..=10 the ratios;
/// the column is the tier (ignored on the `auto` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SizeCursor {
    pub(crate) row: usize,
    pub(crate) col: usize,
}

impl SizeCursor {
    pub(crate) const ROWS: usize = RATIOS.len() + 1;

    pub(crate) fn of(size: SizeSpec) -> SizeCursor {
        match size {
            SizeSpec::Auto => SizeCursor { row: 0, col: 1 },
            SizeSpec::Exact(s) => SizeCursor {
                row: RATIOS
                    .iter()
                    .position(|r| *r == s.ratio)
                    .map_or(0, |i| i + 1),
                col: Tier::ALL.iter().position(|t| *t == s.tier).unwrap_or(1),
            },
        }
    }

    pub(crate) fn size(self) -> SizeSpec {
        match self.row.checked_sub(1).and_then(|i| RATIOS.get(i)) {
            None => SizeSpec::Auto,
            Some(&ratio) => SizeSpec::Exact(Size::of(ratio, Tier::ALL[self.col.min(2)])),
        }
    }
}

/// Cells per row in the gallery.
pub(crate) const GALLERY_COLS: usize = 4;

/// The one popup that may be open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Overlay {
    #[default]
    None,
    /// The key list, scrolled by `scroll` lines when it does not fit.
    Help {
        scroll: usize,
    },
    SizePicker {
        cursor: SizeCursor,
    },
    ModelPicker {
        cursor: usize,
    },
    /// How many variants to start under `user`.
    Variants {
        user: NodeId,
        count: usize,
    },
    /// A line being typed: a path, a label, a search.
    Input(InputBox),
    /// The assistant turns under `parent` side by side; `cursor` indexes
    /// the slots of `gallery_slots::GallerySlots` (a grid's by size and
    /// model).
    Gallery {
        parent: NodeId,
        cursor: usize,
    },
    /// Two images with the prompts that led to them, diffed.
    Compare {
        left: NodeId,
        right: NodeId,
    },
    ConfirmDelete(NodeId),
    /// Cancel this running request? (It may already be billed.)
    ConfirmCancel(NodeId),
    /// Re-run the path from a turn as a new branch: what to change, the
    /// steps and the price.
    ConfirmRerun(rerun::RerunQuestion),
    ConfirmQuit,
    /// Send `count` requests under `user`? Asked above `confirm_above`,
    /// with the price.
    ConfirmSpend {
        user: NodeId,
        /// One per call: variants repeat one, a grid's cells differ.
        requests: Vec<RequestParams>,
        /// What the status line says once they are sent.
        said: String,
    },
    /// The full error of a turn, scrolled by `scroll` rows.
    ErrorDetail {
        id: NodeId,
        scroll: usize,
    },
    ImageView(NodeId),
    /// The turn's details, scrolled by `scroll` rows.
    NodeInfo {
        id: NodeId,
        scroll: usize,
    },
}

/// The prompt being written and where it will be sent.
#[derive(Debug, Clone)]
pub struct Composer {
    pub text: TextArea<'static>,
    pub(crate) attachments: Vec<ImageRef>,
    pub params: RequestParams,
    /// What Enter does (see `target.rs`).
    pub(crate) target: ComposeTarget,
    /// The edit or refine this draft was written for, when the user left it
    /// with text in it: the draft is kept, and the title says so.
    pub(crate) draft_from: Option<ComposeTarget>,
}

impl Composer {
    pub fn new(params: RequestParams) -> Self {
        Composer {
            text: TextArea::default(),
            attachments: Vec::new(),
            params,
            target: ComposeTarget::Root,
            draft_from: None,
        }
    }

    /// The prompt as typed, lines joined.
    pub(crate) fn prompt(&self) -> String {
        self.text.lines().join("\n")
    }

    /// Nothing typed and nothing attached.
    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty() && self.attachments.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.text = TextArea::default();
        self.attachments.clear();
        self.draft_from = None;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Error,
    /// Said once about the setting (a graphics hint): gone at the next
    /// key, so the status bar's key hints come back.
    Hint,
}

/// The one-line message above the status bar's hints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub text: String,
    pub kind: StatusKind,
}

/// The model × endpoint choices the model picker offers, the current one
/// included even when it is not a known model.
pub(crate) fn model_choices(current: &RequestParams) -> Vec<(String, Endpoint)> {
    let mut models: Vec<String> = KNOWN_MODELS.iter().map(|m| (*m).to_owned()).collect();
    if !models.contains(&current.model) {
        models.push(current.model.clone());
    }
    models
        .into_iter()
        .flat_map(|m| [(m.clone(), Endpoint::Chat), (m, Endpoint::Images)])
        .collect()
}

/// Everything the app knows.
#[derive(Debug, Clone)]
pub struct App {
    pub conv: Conversation,
    pub(crate) focus: Focus,
    pub overlay: Overlay,
    pub composer: Composer,
    /// Requests in flight: node → when it started.
    pub in_flight: BTreeMap<NodeId, Instant>,
    /// A re-run under way: its steps left (`update/rerun.rs`).
    pub(crate) rerun: Option<rerun::RerunRun>,
    /// Spent since the app opened (micro-dollars).
    pub session_cost_micro_usd: u64,
    /// The spend limits.
    pub(crate) budgets: crate::budget::Budgets,
    /// What was spent today and which day that is: the ledger's total
    /// when the app opened plus the calls since, restarting at midnight
    /// (UTC) — [`App::spent`] reads it at `clock.wall`.
    pub(crate) today: crate::budget::DaySpend,
    pub status: Option<StatusLine>,
    pub clock: Clock,
    pub(crate) keymap: Keymap,
    pub(crate) show_tree: bool,
    /// False when no API key is configured: the app opens, explains, and
    /// refuses to send.
    pub(crate) can_send: bool,
    pub demo: bool,
    pub graphics: GraphicsBackend,
    pub thumbs: ThumbCache,
    /// Sixel pictures encoded off the UI loop, by content and crop.
    pub(crate) encoded: super::graphics::encoded::EncodedPictures,
    /// Shown in the tree's title.
    pub(crate) title: String,
    /// Set by `Effect::Quit`'s caller; the loop leaves when true.
    pub(crate) quitting: bool,
    /// Tree rows whose subtrees are hidden. A fold over the selection is
    /// opened again (see `update`), so the selected row is always shown.
    pub(crate) folded: BTreeSet<NodeId>,
    /// Columns added to (or taken from) the tree pane's default width.
    pub(crate) tree_delta: i16,
    /// The last search, for `n` / `N`.
    pub(crate) search: Option<String>,
    /// An image marked for comparison.
    pub(crate) compare_mark: Option<NodeId>,
    /// Set in `pixloom replay`: read-only playback.
    pub replay: Option<Replay>,
    /// Paid pictures held in memory because storing them failed: node →
    /// bytes, until they are stored (`StoreResult`, or the next save).
    pub unstored_bytes: BTreeMap<NodeId, bytes::Bytes>,
    /// The last save failed: the tree's latest changes are only in memory.
    pub(crate) save_failed: bool,
    /// How far the scrolled dialog last drawn can go: measured by the
    /// view, handed back after every frame (`update::drawn`).
    pub(crate) scroll_room: ScrollRoom,
    /// The terminal's cell in pixels (width, height), as it told at start
    /// or after a font zoom: how many cells a picture spans.
    pub cell_shape: (u16, u16),
}

impl App {
    /// What was spent, as the limits count it.
    pub(crate) fn spent(&self) -> crate::budget::Spent {
        crate::budget::Spent {
            day: self.today.on(self.clock.wall),
            conversation: self.conv.total_cost_micro_usd(),
        }
    }

    pub fn new(conv: Conversation, defaults: RequestParams, clock: Clock) -> Self {
        let title = conv.title.clone();
        let mut composer = Composer::new(defaults);
        composer.target = ComposeTarget::following(&conv);
        App {
            conv,
            focus: Focus::Tree,
            overlay: Overlay::None,
            composer,
            in_flight: BTreeMap::new(),
            rerun: None,
            session_cost_micro_usd: 0,
            budgets: crate::budget::Budgets::default(),
            today: crate::budget::DaySpend::none_on(clock.wall),
            status: None,
            clock,
            keymap: Keymap::default(),
            show_tree: true,
            can_send: true,
            demo: false,
            graphics: GraphicsBackend::Blocks,
            thumbs: ThumbCache::default(),
            encoded: super::graphics::encoded::EncodedPictures::default(),
            title,
            quitting: false,
            folded: BTreeSet::new(),
            tree_delta: 0,
            search: None,
            compare_mark: None,
            replay: None,
            unstored_bytes: BTreeMap::new(),
            save_failed: false,
            scroll_room: ScrollRoom::default(),
            cell_shape: super::graphics::DEFAULT_CELL,
        }
    }

    /// What quitting now would lose or leave undone, one line each; empty
    /// when quitting loses nothing.
    pub(crate) fn quit_losses(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.in_flight.is_empty() {
            out.push(format!(
                "{} request(s) still running (they may already be billed): saved as interrupted, R retries them next time.",
                self.in_flight.len()
            ));
        }
        for &id in self.unstored_bytes.keys() {
            let link = self
                .conv
                .node(id)
                .ok()
                .and_then(|n| n.turn.as_ref()?.received.as_ref())
                .filter(|r| r.url_alive(self.clock.wall))
                .and_then(|r| r.expires_at)
                .map_or_else(
                    || "it has no live link: the paid picture is lost".to_owned(),
                    |t| format!("it can be fetched from its link until {}", utc_minute(t)),
                );
            out.push(format!("{id}'s paid picture is not on disk; {link}."));
        }
        if self.save_failed {
            out.push("the last changes are not saved (the last save failed).".to_owned());
        }
        out
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(StatusLine {
            text: text.into(),
            kind: StatusKind::Info,
        });
    }

    /// A one-time hint about the setting (see [`StatusKind::Hint`]).
    pub(crate) fn hint(&mut self, text: impl Into<String>) {
        self.status = Some(StatusLine {
            text: text.into(),
            kind: StatusKind::Hint,
        });
    }

    pub(crate) fn error(&mut self, text: impl Into<String>) {
        self.status = Some(StatusLine {
            text: text.into(),
            kind: StatusKind::Error,
        });
    }

    /// Where keys go now.
    pub(crate) fn key_context(&self) -> Context {
        match self.overlay {
            Overlay::None if self.replay.is_some() => Context::Replay,
            Overlay::None => match self.focus {
                Focus::Composer => Context::Composer,
                Focus::Tree => Context::Tree,
                Focus::Transcript => Context::Browse,
            },
            Overlay::Help { .. }
            | Overlay::ErrorDetail { .. }
            | Overlay::ImageView(_)
            | Overlay::NodeInfo { .. }
            | Overlay::Compare { .. } => Context::Dialog,
            Overlay::Gallery { .. } => Context::Gallery,
            Overlay::SizePicker { .. }
            | Overlay::ModelPicker { .. }
            | Overlay::Variants { .. }
            | Overlay::ConfirmRerun(_) => Context::Picker,
            Overlay::ConfirmDelete(_)
            | Overlay::ConfirmCancel(_)
            | Overlay::ConfirmQuit
            | Overlay::ConfirmSpend { .. } => Context::Confirm,
            Overlay::Input(_) => Context::Input,
        }
    }

    /// Whether the screen changes by itself (a spinner): the loop ticks
    /// only then, so an idle app draws nothing.
    pub(crate) fn animating(&self) -> bool {
        !self.in_flight.is_empty() || self.replay.as_ref().is_some_and(|r| r.playing)
    }

    pub(crate) fn selected_node(&self) -> Option<&Node> {
        self.conv.selected.and_then(|id| self.conv.node(id).ok())
    }

    /// The path the transcript shows: root → the leaf below the selection
    /// (in a replay, root → the selection: the rest is still to come).
    pub(crate) fn shown_path(&self) -> Vec<NodeId> {
        match self.conv.selected {
            Some(s) if self.replay.is_some() => self.conv.path_to(s).unwrap_or_default(),
            Some(s) => {
                let leaf = self.conv.leaf_below(s).unwrap_or(s);
                self.conv.path_to(leaf).unwrap_or_default()
            }
            None => Vec::new(),
        }
    }

    /// How long a request has been running.
    pub(crate) fn elapsed(&self, id: NodeId) -> Option<Duration> {
        self.in_flight
            .get(&id)
            .map(|t| self.clock.mono.saturating_duration_since(*t))
    }

    /// How long a request like `id`'s usually takes: the median latency of
    /// finished turns with the same model and size tier (`auto` counts as
    /// its own tier). `None` before any such turn has finished.
    pub(crate) fn estimate(&self, id: NodeId) -> Option<Duration> {
        let want = &self.conv.node(id).ok()?.turn.as_ref()?.request;
        let tier = |s: SizeSpec| s.exact().map(|s| s.tier);
        let mut done: Vec<u64> = self
            .conv
            .nodes
            .values()
            .filter(|n| n.id != id)
            .filter_map(|n| n.turn.as_ref())
            .filter(|t| {
                t.status == Status::Done
                    && t.request.model == want.model
                    && tier(t.request.size) == tier(want.size)
            })
            .filter_map(|t| t.latency_ms)
            .collect();
        if done.is_empty() {
            return None;
        }
        done.sort_unstable();
        let mid = done.len() / 2;
        let ms = if done.len().is_multiple_of(2) {
            u64::midpoint(done[mid - 1], done[mid])
        } else {
            done[mid]
        };
        Some(Duration::from_millis(ms))
    }

    /// The user turn whose variants the gallery shows for the selection:
    /// the selected user turn, or the parent of the selected image.
    pub(crate) fn gallery_parent(&self) -> Option<NodeId> {
        let n = self.selected_node()?;
        match n.role {
            Role::User => Some(n.id),
            _ => n.parent,
        }
    }

    /// The spinner frame for a request, from the injected clock.
    pub(crate) fn spinner(&self, id: NodeId) -> char {
        const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        let ms = self.elapsed(id).map_or(0, |d| d.as_millis());
        FRAMES[usize::try_from(ms / 100 % 10).unwrap_or(0)]
    }

    /// The user turn that variants or a regeneration would hang under.
    pub(crate) fn user_turn_of_selection(&self) -> Option<NodeId> {
        let n = self.selected_node()?;
        match n.role {
            Role::User => Some(n.id),
            Role::Assistant => n
                .parent
                .filter(|p| self.conv.node(*p).is_ok_and(|p| p.role == Role::User)),
            Role::System => None,
        }
    }
}

/// What to do about a turn that produced no image: one line, naming keys.
pub(crate) fn fix_hint(node: &Node, keymap: &Keymap) -> Option<String> {
    let turn = node.turn.as_ref()?;
    let retry = keymap.hint(Context::Browse, super::action::Action::Retry);
    let lower = keymap.hint(Context::Browse, super::action::Action::RetryLowerTier);
    let regen = keymap.hint(Context::Browse, super::action::Action::Regenerate);
    let edit = keymap.hint(Context::Browse, super::action::Action::Edit);
    let size = turn.request.size.exact();
    let at = size
        .map(|s| format!(" at {}", s.tier.short()))
        .unwrap_or_default();
    let lower_offer = size
        .and_then(Size::tier_down)
        .map(|s| format!(", {lower} to retry at {}", s.tier.short()))
        .unwrap_or_default();
    Some(match turn.status {
        Status::Pending | Status::Done => return None,
        Status::Refused => format!(
            "the model answered with text instead of an image — rephrase ({edit}) or regenerate ({regen})"
        ),
        Status::Cancelled => format!("cancelled — press {retry} to send it again"),
        Status::Interrupted => format!("interrupted when pixloom stopped — press {retry} to retry"),
        Status::Unstored => {
            let store = keymap.hint(Context::Browse, super::action::Action::StoreResult);
            let link = turn
                .received
                .as_ref()
                .and_then(|r| r.url.as_ref().and(r.expires_at))
                .map(|t| format!("; its link works until {}", utc_minute(t)))
                .unwrap_or_default();
            format!(
                "paid picture not on disk yet — free some space, then press {store} to store it{link}"
            )
        }
        Status::Failed => {
            let e = turn.error.as_ref();
            let billed = if e.is_some_and(|e| e.may_have_been_billed) {
                " (it may have been billed)"
            } else {
                ""
            };
            match e.and_then(|e| e.http_status) {
                Some(401 | 403) => {
                    "the gateway refused the key — check PIXLOOM_API_KEY, then retry".to_owned()
                }
                Some(400) => format!(
                    "the gateway refused the request — edit the turn ({edit}) and send again"
                ),
                Some(429) => format!("rate limited — wait a little, then press {retry}"),
                Some(s) if s >= 500 => {
                    format!("{s}{at} — press {retry} to retry{lower_offer}{billed}")
                }
                _ => format!("press {retry} to retry{lower_offer}{billed}"),
            }
        }
    })
}

/// `2026-11-23 14:05 UTC`.
pub(crate) fn utc_minute(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// A prompt's first words for one row: sanitized, one line, cut short.
pub(crate) fn first_words(text: &str, max_chars: usize) -> String {
    let line = crate::sanitize::line(text);
    let squeezed: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::sanitize::truncate(&squeezed, max_chars).into_owned()
}

/// `$0.09`.
pub fn dollars(micro_usd: u64) -> String {
    // Rounded as a whole: $0.995 is $1.00, not $0.100.
    let cents = micro_usd.saturating_add(5_000) / 10_000;
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// `12s`, `2m05s`.
pub(crate) fn seconds(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

pub(crate) mod rerun;
#[cfg(test)]
mod tests;
