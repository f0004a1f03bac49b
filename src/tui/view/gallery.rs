//! The gallery (a turn's variants side by side) and the compare view (two
//! images and a word diff of the prompts that led to them). Thumbnails go
//! through the same pipeline as the transcript's: each cell reports the
//! size it wants and draws the thumbnail once it is decoded.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::sanitize;
use pixloom_core::tree::{Node, NodeId, Role, Status};

use super::super::action::Action;
use super::super::diff::{self, Piece};
use super::super::gallery_slots::{GallerySlots, sibling_count};
use super::super::keymap::Context;
use super::super::state::{App, dollars, first_words, fix_hint, seconds};
use super::frame::{fitted_image, frame_box};
use super::{Drawn, bold, dim, glyph};

/// Rows a gallery cell needs at least (border, image, caption).
const MIN_CELL_H: u16 = 5;

/// Columns of a grid's size labels (`2048x1152` and a space).
const ROW_LABEL_W: u16 = 10;

fn margin(area: Rect) -> Rect {
    Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    }
}

/// `2048x1152 · 41.2s · $0.09`, or the turn's status.
fn caption(node: &Node) -> String {
    let Some(t) = &node.turn else {
        return String::new();
    };
    let mut facts = vec![node.images().next().map_or_else(
        || t.request.size.to_string(),
        |i| format!("{}x{}", i.original.width, i.original.height),
    )];
    match (t.status, t.latency_ms) {
        (Status::Done, Some(ms)) => facts.push(seconds(std::time::Duration::from_millis(ms))),
        (Status::Done, None) => {}
        (other, _) => facts.push(other.to_string()),
    }
    if t.cost_micro_usd > 0 {
        facts.push(dollars(t.cost_micro_usd));
    }
    facts.join(" · ")
}

pub(super) fn gallery(
    frame: &mut Frame<'_>,
    app: &App,
    area: Rect,
    parent: NodeId,
    cursor: usize,
    out: &mut Drawn,
) {
    let g = GallerySlots::of(&app.conv, parent);
    let cursor = cursor.min(g.slots.len().saturating_sub(1));
    let k = |a| app.keymap.hint(Context::Gallery, a);
    let what = match &g.grid {
        Some(grid) => format!(
            "grid of {parent} · {} size(s) × {} model(s)",
            grid.rows.len(),
            grid.cols.len()
        ),
        None => format!("variants of {parent}"),
    };
    let title = format!(
        " {what} · {} · {} selects · {} compares · {} closes ",
        g.count_at(&app.conv, cursor),
        k(Action::Confirm),
        k(Action::Compare),
        k(Action::Dismiss)
    );
    let inner = frame_box(frame, margin(area), title);
    if inner.height < 2 || g.slots.is_empty() {
        return;
    }
    let prompt = app
        .conv
        .node(parent)
        .map(|p| first_words(&p.text(), usize::from(inner.width)))
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(Line::styled(prompt, dim())),
        Rect { height: 1, ..inner },
    );
    // A grid's labels: the models above their columns, the sizes left of
    // their rows.
    let (label_w, head_h) = if g.grid.is_some() {
        (ROW_LABEL_W.min(inner.width / 3), 1)
    } else {
        (0, 0)
    };
    let cells = Rect {
        x: inner.x + label_w,
        y: inner.y + 1 + head_h,
        width: inner.width - label_w,
        height: inner.height.saturating_sub(1 + head_h),
    };
    if cells.height == 0 {
        return;
    }
    let cols = g.cols.max(1);
    let rows = g.slots.len().div_ceil(cols);
    let fit_rows = usize::from((cells.height / MIN_CELL_H).max(1)).min(rows);
    let cell_h = cells.height / u16::try_from(fit_rows).unwrap_or(1);
    let cell_w = cells.width / u16::try_from(cols).unwrap_or(1);
    // Scroll by whole rows so the cursor's row is shown.
    let first_row = (cursor / cols).saturating_sub(fit_rows - 1);
    let x_of = |c: usize| cells.x + cell_w * u16::try_from(c).unwrap_or(0);
    let y_of = |r: usize| cells.y + cell_h * u16::try_from(r).unwrap_or(0);
    if let Some(grid) = &g.grid {
        let span = cell_w * u16::try_from(g.per_cell).unwrap_or(1);
        for (c, model) in grid.cols.iter().enumerate() {
            let at = Rect {
                x: x_of(c * g.per_cell),
                y: cells.y - 1,
                width: span,
                height: 1,
            };
            let text = first_words(&sanitize::line(model), usize::from(span));
            frame.render_widget(Paragraph::new(Line::styled(text, bold())), at);
        }
        for (r, size) in grid.rows.iter().enumerate().skip(first_row).take(fit_rows) {
            let at = Rect {
                x: inner.x,
                y: y_of(r - first_row) + cell_h / 2,
                width: label_w,
                height: 1,
            };
            frame.render_widget(Paragraph::new(Line::styled(size.to_string(), bold())), at);
        }
    }
    for (i, slot) in g.slots.iter().enumerate().skip(first_row * cols) {
        let (r, c) = (i / cols - first_row, i % cols);
        if r >= fit_rows {
            break;
        }
        let cell = Rect {
            x: x_of(c),
            y: y_of(r),
            width: cell_w,
            height: cell_h,
        };
        if let Some(node) = slot.and_then(|id| app.conv.node(id).ok()) {
            gallery_cell(frame, app, node, cell, i == cursor, out);
        }
    }
}

fn gallery_cell(
    frame: &mut Frame<'_>,
    app: &App,
    node: &Node,
    cell: Rect,
    on: bool,
    out: &mut Drawn,
) {
    let (g, g_style) = glyph(node);
    let mut title = vec![
        Span::styled(format!(" {g} "), g_style),
        Span::styled(format!("{} ", node.id), bold()),
    ];
    if let Some((at, of)) = sibling_count(&app.conv, node.id) {
        title.push(Span::styled(
            format!("‹{at}/{of}› "),
            Style::new().fg(Color::Cyan),
        ));
    }
    if node.starred {
        title.push(Span::styled("★ ", Style::new().fg(Color::Yellow)));
    }
    if app.compare_mark == Some(node.id) {
        title.push(Span::styled("⇄ ", Style::new().fg(Color::Magenta)));
    }
    if let Some(l) = &node.label {
        title.push(Span::styled(
            format!("[{}] ", first_words(l, 12)),
            Style::new().fg(Color::Blue),
        ));
    }
    let border = if on {
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        dim()
    };
    let mut block = Block::bordered()
        .title(Line::from(title))
        .title_bottom(Line::styled(format!(" {} ", caption(node)), dim()))
        .border_style(border);
    if on {
        block = block.border_type(ratatui::widgets::BorderType::Thick);
    }
    let inner = block.inner(cell);
    frame.render_widget(block, cell);
    if node.images().next().is_some() {
        fitted_image(frame, app, node, inner, out, false);
    } else {
        let what = match node.status() {
            Some(Status::Pending) => app.elapsed(node.id).map_or_else(
                || "waiting".to_owned(),
                |d| format!("generating · {}", seconds(d)),
            ),
            _ => fix_hint(node, &app.keymap).unwrap_or_default(),
        };
        frame.render_widget(
            Paragraph::new(sanitize::line(&what).into_owned())
                .style(dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
    }
}

/// The user prompts on the way to `id`, oldest first, `›` between turns.
pub(super) fn prompts_to(app: &App, id: NodeId) -> String {
    app.conv
        .path_to(id)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| app.conv.node(*p).ok())
        .filter(|n| n.role == Role::User)
        .map(|n| sanitize::line(&n.text()).into_owned())
        .collect::<Vec<_>>()
        .join(" › ")
}

fn diff_line(pieces: &[Piece]) -> Line<'static> {
    let removed = Style::new()
        .fg(Color::Red)
        .add_modifier(Modifier::CROSSED_OUT);
    let added = Style::new().fg(Color::Green).add_modifier(Modifier::BOLD);
    let mut spans = Vec::with_capacity(pieces.len() * 2);
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        spans.push(match p {
            Piece::Same(w) => Span::raw(w.clone()),
            Piece::Removed(w) => Span::styled(format!("[-{w}-]"), removed),
            Piece::Added(w) => Span::styled(format!("{{+{w}+}}"), added),
        });
    }
    Line::from(spans)
}

pub(super) fn compare(
    frame: &mut Frame<'_>,
    app: &App,
    area: Rect,
    left: NodeId,
    right: NodeId,
    out: &mut Drawn,
) {
    let (Ok(l), Ok(r)) = (app.conv.node(left), app.conv.node(right)) else {
        return;
    };
    let step = app
        .conv
        .step_of(left, right)
        .map_or_else(String::new, |(i, s)| {
            format!(
                "step {}/{} · {}/{} step · ",
                i + 1,
                s.len(),
                app.keymap.hint(Context::Dialog, Action::MoveDown),
                app.keymap.hint(Context::Dialog, Action::MoveUp)
            )
        });
    let title = format!(
        " compare {left} ⇄ {right} · {step}{} closes ",
        app.keymap.hint(Context::Dialog, Action::Dismiss)
    );
    let inner = frame_box(frame, margin(area), title);
    let (pl, pr) = (prompts_to(app, left), prompts_to(app, right));
    let pieces = diff::words(&pl, &pr);
    let mut text = vec![Line::styled(
        format!("prompts leading to {left} → {right} (› between turns; [-removed-] {{+added+}}):"),
        dim(),
    )];
    if pl == pr {
        text.push(Line::raw(format!(
            "{pl}  (the same prompt: the images differ by chance)"
        )));
    } else {
        text.push(diff_line(&pieces));
    }
    let params = |n: &Node| {
        n.turn
            .as_ref()
            .map(|t| (t.request.size.to_string(), t.request.model.clone()))
    };
    if let (Some((ls, lm)), Some((rs, rm))) = (params(l), params(r)) {
        if ls != rs {
            text.push(Line::styled(
                format!("size {ls} → {rs}"),
                Style::new().fg(Color::Yellow),
            ));
        }
        if lm != rm {
            text.push(Line::styled(
                format!("model {} → {}", sanitize::line(&lm), sanitize::line(&rm)),
                Style::new().fg(Color::Yellow),
            ));
        }
    }
    // The diff gets what it needs (wrapped), the images the rest.
    let diff_w = usize::from(inner.width.max(1));
    let diff_h: usize = text
        .iter()
        .map(|line| line.width().div_ceil(diff_w).max(1))
        .sum();
    let diff_h = u16::try_from(diff_h)
        .unwrap_or(u16::MAX)
        .min(inner.height / 2);
    let [images, diff_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(diff_h + 1)]).areas(inner);
    let [la, ra] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(images);
    for (node, at) in [(l, la), (r, ra)] {
        let block = Block::bordered()
            .title(Line::from(vec![
                Span::styled(format!(" {} ", node.id), bold()),
                Span::styled(format!("{} ", caption(node)), dim()),
            ]))
            .border_style(dim());
        let inner = block.inner(at);
        frame.render_widget(block, at);
        fitted_image(frame, app, node, inner, out, false);
    }
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }),
        Rect {
            y: diff_area.y + 1,
            height: diff_area.height.saturating_sub(1),
            ..diff_area
        },
    );
}
