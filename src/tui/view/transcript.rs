//! The transcript: the shown path as a chat. User turns show their text
//! and reference chips; assistant turns a thumbnail, size, model, latency,
//! cost and a `‹2/3›` sibling marker; failures their message and the fix.
//!
//! The path is laid out as rows (text lines or thumbnail rows), then a
//! window of them is drawn, scrolled so the selected turn is in view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::sanitize;
use pixloom_core::tree::{Blob, Node, Role, Status};

use super::super::action::Action;
use super::super::gallery_slots::sibling_count;
use super::super::keymap::Context;
use super::super::state::{App, Focus, dollars, fix_hint, seconds};
use super::super::thumbs::{GraphicsBackend, ThumbState, ThumbWant};
use super::{Drawn, ViewState, bold, dim, glyph, pane_style, wrap};
use crate::tui::graphics::geometry::fit_picture;

/// One row of the laid-out transcript.
enum Row {
    Text(Line<'static>),
    /// Row `row` of a ready thumbnail of `blob`, `cols` wide; `marked`
    /// when it belongs to the selected turn.
    Image {
        blob: String,
        cols: u16,
        rows: u16,
        row: u16,
        marked: bool,
    },
}

/// Rows for one image: the thumbnail when decoded, else a box with its
/// size. Reports the want either way (unless graphics are off).
fn image_rows(
    app: &App,
    blob: &Blob,
    max_cols: u16,
    max_rows: u16,
    wants: &mut Vec<ThumbWant>,
) -> Vec<Row> {
    let (cols, rows) = fit_picture(
        app.graphics,
        (blob.width, blob.height),
        max_cols,
        max_rows,
        app.cell_shape,
    );
    if cols == 0 {
        return Vec::new();
    }
    let state = if app.graphics == GraphicsBackend::None {
        ThumbState::Failed("graphics off")
    } else {
        wants.push(ThumbWant {
            blob: blob.clone(),
            cols,
            rows,
        });
        app.thumbs.get(&blob.file_name(), cols, rows)
    };
    if let ThumbState::Ready(_) = state {
        return (0..rows)
            .map(|row| Row::Image {
                blob: blob.file_name(),
                cols,
                rows,
                row,
                marked: false,
            })
            .collect();
    }
    let note = match state {
        ThumbState::Failed(e) if app.graphics != GraphicsBackend::None => {
            format!("no preview: {}", sanitize::line(e))
        }
        _ => format!("{}×{}", blob.width, blob.height),
    };
    placeholder(cols.max(12), rows.max(3), &note)
}

/// A box the thumbnail's size with `note` in the middle, wrapped at word
/// boundaries over the box's rows (a refusal's reason is long: cut on one
/// line, it lost what the user needs to read).
fn placeholder(cols: u16, rows: u16, note: &str) -> Vec<Row> {
    let inner = usize::from(cols).saturating_sub(2);
    let room = usize::from(rows).saturating_sub(2).max(1);
    let mut lines = wrap(note, inner);
    lines.truncate(room);
    let first = (usize::from(rows) / 2)
        .saturating_sub((lines.len() - 1) / 2)
        .max(1);
    (0..usize::from(rows))
        .map(|r| {
            let text = if r == 0 {
                format!("┌{}┐", "─".repeat(inner))
            } else if r + 1 == usize::from(rows) {
                format!("└{}┘", "─".repeat(inner))
            } else if let Some(line) = r.checked_sub(first).and_then(|i| lines.get(i)) {
                let pad = inner.saturating_sub(super::width(line));
                format!(
                    "│{}{line}{}│",
                    " ".repeat(pad / 2),
                    " ".repeat(pad - pad / 2)
                )
            } else {
                format!("│{}│", " ".repeat(inner))
            };
            Row::Text(Line::styled(text, dim()))
        })
        .collect()
}

fn header(app: &App, node: &Node) -> Line<'static> {
    let (g, g_style) = glyph(node);
    let mut spans = vec![Span::styled(format!("{g} "), g_style)];
    match node.role {
        Role::User => spans.push(Span::styled(format!("you · {}", node.id), bold())),
        Role::System => spans.push(Span::styled(format!("system · {}", node.id), bold())),
        Role::Assistant => {
            spans.push(Span::styled(node.id.to_string(), bold()));
            if let Some(t) = &node.turn {
                let size = node.images().next().map_or_else(
                    || t.request.size.to_string(),
                    |i| format!("{}x{}", i.original.width, i.original.height),
                );
                let mut facts = vec![size, t.request.model.clone()];
                if let Some(ms) = t.latency_ms {
                    facts.push(format!(
                        "{:.1}s",
                        f64::from(u32::try_from(ms).unwrap_or(u32::MAX)) / 1000.0
                    ));
                }
                if t.cost_micro_usd > 0 {
                    facts.push(dollars(t.cost_micro_usd));
                }
                spans.push(Span::styled(
                    format!(" · {}", sanitize::line(&facts.join(" · "))),
                    dim(),
                ));
            }
        }
    }
    if let Some((at, of)) = sibling_count(&app.conv, node.id)
        && of > 1
    {
        spans.push(Span::styled(
            format!("  ‹{at}/{of}›"),
            Style::new().fg(Color::Cyan),
        ));
    }
    if node.starred {
        spans.push(Span::styled(" ★", Style::new().fg(Color::Yellow)));
    }
    if let Some(l) = &node.label {
        spans.push(Span::styled(
            format!(" [{}]", sanitize::line(l)),
            Style::new().fg(Color::Blue),
        ));
    }
    Line::from(spans)
}

fn text_rows(text: &str, width: usize, style: Style) -> impl Iterator<Item = Row> {
    wrap(&sanitize::text(text), width)
        .into_iter()
        .map(move |l| Row::Text(Line::styled(format!("  {l}"), style)))
}

fn node_rows(
    app: &App,
    node: &Node,
    width: u16,
    img_rows: u16,
    wants: &mut Vec<ThumbWant>,
) -> Vec<Row> {
    let text_w = usize::from(width.saturating_sub(3));
    let mut rows = vec![Row::Text(header(app, node))];
    let chips: Vec<String> = node
        .images()
        .enumerate()
        .map(|(i, img)| {
            format!(
                "[image {} · {}×{}]",
                i + 1,
                img.original.width,
                img.original.height
            )
        })
        .collect();
    match (node.role, node.turn.as_ref()) {
        (Role::User | Role::System, _) => {
            rows.extend(text_rows(&node.text(), text_w, Style::new()));
            if !chips.is_empty() {
                rows.push(Row::Text(Line::styled(
                    format!("  {}", chips.join(" ")),
                    Style::new().fg(Color::Blue),
                )));
            }
        }
        (Role::Assistant, None) => {}
        (Role::Assistant, Some(turn)) => match turn.status {
            Status::Done => {
                for img in node.images() {
                    for r in
                        image_rows(app, &img.original, width.saturating_sub(4), img_rows, wants)
                    {
                        rows.push(indent(r));
                    }
                }
            }
            Status::Pending => {
                let took = app
                    .elapsed(node.id)
                    .map_or_else(|| "waiting".to_owned(), seconds);
                let cancel = app.keymap.hint(Context::Browse, Action::Cancel);
                rows.push(Row::Text(Line::styled(
                    format!(
                        "  {} generating at {} · {took} · {cancel} cancels",
                        app.spinner(node.id),
                        turn.request.size
                    ),
                    Style::new().fg(Color::Yellow),
                )));
            }
            _ => {
                let what = match turn.status {
                    Status::Refused => node.text(),
                    _ => turn
                        .error
                        .as_ref()
                        .map_or_else(|| turn.status.to_string(), |e| e.message.clone()),
                };
                rows.extend(text_rows(&what, text_w, Style::new().fg(Color::Red)));
                if let Some(fix) = fix_hint(node, &app.keymap) {
                    rows.extend(text_rows(
                        &format!("→ {fix}"),
                        text_w,
                        Style::new().fg(Color::Yellow),
                    ));
                }
            }
        },
    }
    rows.push(Row::Text(Line::default()));
    rows
}

fn indent(row: Row) -> Row {
    match row {
        Row::Text(mut l) => {
            l.spans.insert(0, Span::raw("  "));
            Row::Text(l)
        }
        image @ Row::Image { .. } => image,
    }
}

fn welcome(app: &App) -> Vec<Line<'static>> {
    let k = |a| app.keymap.hint(Context::Browse, a);
    let mut lines = vec![
        Line::styled("Welcome to pixloom.", bold()),
        Line::default(),
        Line::from(format!(
            "Press {} and describe an image. Enter sends; alt-enter starts a new line.",
            k(Action::Compose)
        )),
        Line::from(format!(
            "{}/{} move along the conversation, {}/{} switch branches.",
            k(Action::MoveDown),
            k(Action::MoveUp),
            k(Action::PrevSibling),
            k(Action::NextSibling)
        )),
        Line::from(format!(
            "{} edits a prompt as a new branch, {} regenerates, {} makes variants, {} refines an image.",
            k(Action::Edit),
            k(Action::Regenerate),
            k(Action::Variants),
            k(Action::Refine)
        )),
        Line::from(format!(
            "{} picks a size, {} a model, {} attaches a reference, {} lists every key, {} quits.",
            k(Action::SizePicker),
            k(Action::ModelPicker),
            k(Action::Attach),
            k(Action::Help),
            k(Action::Quit)
        )),
        Line::default(),
    ];
    if !app.can_send {
        lines.push(Line::styled(
            super::super::update::NO_KEY.to_owned(),
            Style::new().fg(Color::Yellow),
        ));
    } else if app.demo {
        lines.push(Line::styled(
            "Demo mode: a fake gateway on this machine answers in a few seconds. No key, no cost.",
            Style::new().fg(Color::Yellow),
        ));
    } else {
        lines.push(Line::styled(
            "No key yet? `pixloom --demo` tries everything against a built-in fake gateway.",
            dim(),
        ));
    }
    lines
}

pub(super) fn draw(
    frame: &mut Frame<'_>,
    app: &App,
    area: Rect,
    view: &mut ViewState,
    out: &mut Drawn,
) {
    let title = match &app.replay {
        None => " transcript ".to_owned(),
        Some(r) => {
            let (at, of) = super::super::replay::position(&app.conv).unwrap_or((0, 0));
            let state = if r.playing {
                "▶ playing"
            } else {
                "⏸ paused"
            };
            format!(
                " replay · turn {at} of {of} · {state} · {:.1} s per turn ",
                r.step_secs()
            )
        }
    };
    let block = Block::bordered()
        .title(title)
        .border_style(pane_style(app, Focus::Transcript));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let path = app.shown_path();
    if path.is_empty() {
        let lines = welcome(app);
        frame.render_widget(
            Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
            inner,
        );
        return;
    }
    let img_rows = (inner.height * 2 / 5).clamp(4, 20);
    let mut rows: Vec<Row> = Vec::new();
    let mut selected: (usize, usize) = (0, 0);
    for id in &path {
        let Ok(node) = app.conv.node(*id) else {
            continue;
        };
        let start = rows.len();
        // Every thumbnail of the path is wanted, on screen or not: the path
        // is short and scrolling then finds them ready.
        let mut block_rows = node_rows(
            app,
            node,
            inner.width.saturating_sub(1),
            img_rows,
            &mut out.wants,
        );
        let is_selected = Some(*id) == app.conv.selected;
        if is_selected {
            selected = (start, start + block_rows.len());
        }
        mark(&mut block_rows, is_selected);
        rows.extend(block_rows);
    }
    let height = usize::from(inner.height);
    // Sticky: the view scrolls only when the selected turn is not wholly
    // shown, and then just enough. Moving within the shown turns redraws
    // no thumbnail (every scrolled half-block row is image data resent).
    let kept = view
        .transcript_offset
        .min(rows.len().saturating_sub(height));
    let offset = if selected.1 - selected.0 > height || selected.0 < kept {
        selected.0
    } else if selected.1 > kept + height {
        selected.1 - height
    } else {
        kept
    };
    view.transcript_offset = offset;
    for (dy, row) in rows.iter().skip(offset).take(height).enumerate() {
        let y = inner.y + u16::try_from(dy).unwrap_or(u16::MAX);
        let line_area = Rect {
            y,
            height: 1,
            ..inner
        };
        match row {
            Row::Text(line) => frame.render_widget(Paragraph::new(line.clone()), line_area),
            Row::Image {
                blob,
                cols,
                rows: n,
                row,
                marked,
            } => {
                if *marked {
                    frame.render_widget(Span::styled("▌", marker()), line_area);
                }
                if let ThumbState::Ready(t) = app.thumbs.get(blob, *cols, *n) {
                    let at = Rect {
                        x: inner.x + 3,
                        width: inner.width.saturating_sub(3),
                        ..line_area
                    };
                    out.place(t.render(*row, at, frame.buffer_mut()));
                }
            }
        }
    }
}

fn marker() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

/// A one-column gutter: a bar beside the selected turn, blank elsewhere.
fn mark(rows: &mut [Row], selected: bool) {
    let n = rows.len().saturating_sub(1); // not the blank separator
    for (i, row) in rows.iter_mut().enumerate() {
        match row {
            Row::Text(line) => {
                let gutter = if selected && i < n {
                    Span::styled("▌", marker())
                } else {
                    Span::raw(" ")
                };
                line.spans.insert(0, gutter);
            }
            Row::Image { marked, .. } => *marked = selected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                Row::Text(line) => line.spans.iter().map(|s| s.content.as_ref()).collect(),
                Row::Image { .. } => String::new(),
            })
            .collect()
    }

    #[test]
    fn a_refused_thumbnail_says_its_whole_reason_inside_the_box() {
        let reason = "no preview: image fox.pixloom/images/abba365e522eecc37d9c35fe44f8eb7f50d77b4ab149492b2c20a6893a3246e0.png is a symbolic link, not a regular file";
        let rows = text_of(&placeholder(21, 12, reason));
        assert_eq!(rows.len(), 12);
        assert!(
            rows.iter().all(|r| super::super::width(r) == 21),
            "{rows:#?}"
        );
        let inside: String = rows[1..11]
            .iter()
            .map(|r| r.trim_matches(|c| c == '│' || c == ' ').to_owned())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            inside.contains("is a symbolic link, not a regular"),
            "{rows:#?}"
        );
        // A short note stays one line in the middle, as before.
        let rows = text_of(&placeholder(21, 12, "1536×2048"));
        assert!(rows[6].contains("1536×2048"), "{rows:#?}");
    }
}
