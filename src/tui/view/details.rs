//! The read-only text dialogs about one turn — its details (`I`) and its
//! full error (`E`) — and the scrolling they share with help: the body is
//! wrapped to the box's width first, so it scrolls by rows and nothing is
//! cut off on a small screen (80×24). The title says which rows show and
//! the bottom border which keys scroll.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::sanitize;
use pixloom_core::tree::{ImageRef, NodeId, Role};

use super::super::action::Action;
use super::super::gallery_slots::sibling_count;
use super::super::keymap::Context;
use super::super::scroll::ScrollRoom;
use super::super::state::{App, dollars, fix_hint, seconds, utc_minute};
use super::frame::frame_box_titled;
use super::{centered, dim, width, wrap};

/// The width of the key column of a `key  value` row.
const KEY_W: usize = 14;

/// A piece of a dialog's body, before it is wrapped to a width.
enum Item {
    /// `key  value` (the value wraps under itself).
    Kv(String, String),
    Text(String, Style),
    Blank,
}

fn kv(key: &str, value: impl Into<String>) -> Item {
    Item::Kv(key.to_owned(), sanitize::line(&value.into()).into_owned())
}

fn text(text: &str, style: Style) -> Item {
    Item::Text(sanitize::text(text).into_owned(), style)
}

impl Item {
    /// Columns it takes unwrapped.
    fn natural_width(&self) -> usize {
        match self {
            Item::Kv(_, v) => KEY_W + width(v),
            Item::Text(t, _) => t.lines().map(width).max().unwrap_or(0),
            Item::Blank => 0,
        }
    }
}

/// The items as rows of at most `w` columns.
fn rows(items: &[Item], w: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for item in items {
        match item {
            Item::Kv(key, value) => {
                for (i, piece) in wrap(value, w.saturating_sub(KEY_W)).into_iter().enumerate() {
                    let key = if i == 0 { key.as_str() } else { "" };
                    out.push(Line::from(vec![
                        Span::styled(format!("{key:<KEY_W$}"), dim()),
                        Span::raw(piece),
                    ]));
                }
            }
            Item::Text(t, style) => {
                out.extend(wrap(t, w).into_iter().map(|l| Line::styled(l, *style)));
            }
            Item::Blank => out.push(Line::default()),
        }
    }
    out
}

/// The bottom border of a dialog that scrolls: which way there is more,
/// and the keys (as bound now).
pub(super) fn scroll_keys(app: &App, room: ScrollRoom, scroll: usize) -> Option<String> {
    room.position(scroll)?;
    let key = |a| app.keymap.hint(Context::Dialog, a);
    let more = if scroll.min(room.max) < room.max {
        "▼ more"
    } else {
        "▲ more"
    };
    Some(format!(
        " {more} · {}/{} {}/{} scroll ",
        key(Action::MoveDown),
        key(Action::MoveUp),
        key(Action::PageDown),
        key(Action::PageUp),
    ))
}

/// A read-only dialog's content: a title, a width (border included) and
/// the items; [`Dialog::draw`] draws it.
pub(super) struct Dialog {
    head: String,
    w: u16,
    items: Vec<Item>,
}

impl Dialog {
    /// Draws the items in a box centred in `area`, `w` columns wide and
    /// as high as they need or the area allows, from row `scroll`;
    /// returns the room it scrolls in, for `update`.
    pub(super) fn draw(
        &self,
        frame: &mut Frame<'_>,
        app: &App,
        area: Rect,
        scroll: usize,
    ) -> ScrollRoom {
        let lines = rows(&self.items, usize::from(self.w.saturating_sub(2)));
        let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
        let outer = centered(area, self.w, h);
        let room = ScrollRoom::of(lines.len(), usize::from(outer.height.saturating_sub(2)));
        let scroll = scroll.min(room.max);
        let head = &self.head;
        let title = match room.position(scroll) {
            Some(at) => format!(" {head} · {at} "),
            None => format!(" {head} "),
        };
        let inner = frame_box_titled(frame, outer, title, scroll_keys(app, room, scroll));
        let shown: Vec<Line<'_>> = lines.into_iter().skip(scroll).collect();
        frame.render_widget(Paragraph::new(shown), inner);
        room
    }
}

/// `2048x1152 <sha>.png`.
fn picture(img: &ImageRef) -> String {
    let o = &img.original;
    format!("{}x{} {}", o.width, o.height, o.file_name())
}

/// What went wrong in turn `id` (`None`: no such turn).
pub(super) fn error_detail(app: &App, area: Rect, id: NodeId) -> Option<Dialog> {
    let node = app.conv.node(id).ok()?;
    let t = node.turn.as_ref()?;
    let mut items = vec![
        kv("status", t.status.to_string()),
        kv(
            "request",
            format!(
                "{} · {} · {}",
                t.request.size, t.request.model, t.request.endpoint
            ),
        ),
    ];
    if let Some(e) = &t.error {
        items.push(kv(
            "http status",
            e.http_status
                .map_or_else(|| "none (no answer)".to_owned(), |s| s.to_string()),
        ));
        items.push(kv(
            "billed",
            if e.may_have_been_billed {
                "maybe: the request went out"
            } else {
                "no"
            },
        ));
    }
    items.push(kv(
        "request id",
        t.request_id.clone().unwrap_or_else(|| "none".to_owned()),
    ));
    items.push(kv("attempts", t.attempts.to_string()));
    items.push(Item::Blank);
    let message = if node.text().is_empty() {
        t.error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default()
    } else {
        node.text()
    };
    items.push(text(&message, Style::new().fg(Color::Red)));
    if let Some(fix) = fix_hint(node, &app.keymap) {
        items.push(text(&format!("→ {fix}"), Style::new().fg(Color::Yellow)));
    }
    if let Some(raw) = t.error.as_ref().and_then(|e| e.raw_body.as_ref()) {
        items.push(Item::Blank);
        items.push(text("the gateway said:", dim()));
        items.push(text(&sanitize::truncate(raw, 1500), dim()));
    }
    let w = area.width.saturating_sub(4);
    let head = format!("{id}: what went wrong · esc closes");
    Some(Dialog { head, w, items })
}

/// Everything about turn `id` (`None`: no such turn).
pub(super) fn node_info(app: &App, area: Rect, id: NodeId) -> Option<Dialog> {
    let node = app.conv.node(id).ok()?;
    let mut items = vec![
        kv("turn", format!("{id} ({:?})", node.role).to_lowercase()),
        kv(
            "parent",
            node.parent
                .map_or_else(|| "none (a root)".to_owned(), |p| p.to_string()),
        ),
        kv("children", node.children.len().to_string()),
    ];
    if let Some((at, of)) = sibling_count(&app.conv, id) {
        items.push(kv("branch", format!("{at} of {of}")));
    }
    if let Some(t) = &node.turn {
        items.push(kv("status", t.status.to_string()));
        items.push(kv(
            "request",
            format!(
                "{} · {} · {}",
                t.request.size, t.request.model, t.request.endpoint
            ),
        ));
        if let Some(ms) = t.latency_ms {
            items.push(kv("latency", format!("{ms} ms")));
        }
        if let Some(est) = app.estimate(id) {
            items.push(kv(
                "usually",
                format!("{} (median of this model and tier)", seconds(est)),
            ));
        }
        items.push(kv("attempts", t.attempts.to_string()));
        items.push(kv("cost", dollars(t.cost_micro_usd)));
        items.push(kv(
            "request id",
            t.request_id.clone().unwrap_or_else(|| "none".to_owned()),
        ));
    }
    for (i, img) in node.images().enumerate() {
        items.push(kv(
            &format!("image {}", i + 1),
            format!("{} · {} bytes", picture(img), img.original.bytes),
        ));
    }
    items.push(kv("created", utc_minute(node.created_at)));
    if let Some(label) = &node.label {
        items.push(kv("label", label.clone()));
    }
    // The prompt and images that led to an assistant turn: its parent's.
    let parent = node
        .parent
        .and_then(|p| app.conv.node(p).ok())
        .filter(|_| node.role == Role::Assistant);
    if let Some(p) = parent {
        for (i, img) in p.images().enumerate() {
            items.push(kv(
                &format!("reference {}", i + 1),
                format!("{} ({})", picture(img), p.id),
            ));
        }
        if let Some(prev) = p.parent.and_then(|g| app.conv.node(g).ok())
            && let Some(img) = prev.images().next()
        {
            items.push(kv(
                "refines",
                format!("{}'s image {}", prev.id, img.original.file_name()),
            ));
        }
    }
    let prompt = match parent {
        Some(p) => p.text(),
        None => node.text(),
    };
    if !prompt.is_empty() {
        items.push(Item::Blank);
        let head = match parent {
            Some(p) => format!("prompt ({})", p.id),
            None => "prompt".to_owned(),
        };
        items.push(text(&head, dim()));
        items.push(text(&prompt, Style::new()));
    }
    // As wide as the longest row, within the screen.
    let w = items
        .iter()
        .map(Item::natural_width)
        .max()
        .unwrap_or(40)
        .max(40)
        .min(usize::from(area.width.saturating_sub(4)));
    let w = u16::try_from(w + 2).unwrap_or(60);
    Some(Dialog {
        head: id.to_string(),
        w,
        items,
    })
}

#[cfg(test)]
mod tests;
