//! The one-line inputs (attach, save a copy, label, search): the text with
//! its cursor, or a suggestion shown selected.

use pixloom_core::grid::GridSpec;
use pixloom_core::model::PRICE_PER_CALL_MICRO_USD;
use pixloom_core::tree::RequestParams;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::sanitize;

use super::super::action::Action;
use super::super::keymap::Context;
use super::super::state::{App, InputBox, InputKind, dollars};
use super::frame::{frame_box, picked};
use super::{bold, centered, dim};

/// An input's text: a selected suggestion highlighted whole, else the
/// cursor as a reversed cell.
fn input_spans(b: &InputBox) -> Vec<Span<'static>> {
    let (before, after) = b.split();
    let (before, after) = (sanitize::line(before), sanitize::line(after));
    if b.selected {
        return vec![Span::styled(before.into_owned(), picked()), Span::raw(" ")];
    }
    let mut rest = after.chars();
    let under = rest.next().map_or_else(|| " ".to_owned(), String::from);
    vec![
        Span::raw(before.into_owned()),
        Span::styled(under, picked()),
        Span::raw(rest.as_str().to_owned()),
    ]
}

/// The one-line inputs. A search is a bar at the bottom (the tree and
/// transcript stay visible and follow the matches); the others a box,
/// with Tab's completions listed under the path.
pub(super) fn input_box(frame: &mut Frame<'_>, app: &App, area: Rect, b: &InputBox) {
    let text = input_spans(b);
    let field = |label: &str| {
        let mut spans = vec![Span::styled(label.to_owned(), dim())];
        spans.extend(text.iter().cloned());
        Line::from(spans)
    };
    let k = |a| app.keymap.hint(Context::Input, a);
    let (title, label, note) = match &b.kind {
        InputKind::Search { .. } => {
            let bar = Rect {
                y: area.y + area.height.saturating_sub(1),
                height: area.height.min(1),
                ..area
            };
            frame.render_widget(Clear, bar);
            let mut spans = vec![Span::styled("/", bold().fg(Color::Cyan))];
            spans.extend(text);
            spans.push(Span::styled(
                format!(
                    "   {} keeps the match · {} goes back",
                    k(Action::Confirm),
                    k(Action::Dismiss)
                ),
                dim(),
            ));
            frame.render_widget(Paragraph::new(Line::from(spans)), bar);
            return;
        }
        InputKind::Attach => (
            " attach a reference image ".to_owned(),
            "path or URL: ",
            format!(
                "png, jpg or webp · {} completes · {} attaches · {} cancels",
                k(Action::Complete),
                k(Action::Confirm),
                k(Action::Dismiss)
            ),
        ),
        InputKind::SaveImage(id) => (
            format!(" save a copy of {id}'s image "),
            "to: ",
            format!(
                "typing replaces it · ← → edit it · {} completes · {} saves",
                k(Action::Complete),
                k(Action::Confirm)
            ),
        ),
        InputKind::Grid(user) => (
            format!(" a grid under {user}: one image per size and model "),
            "sizes models: ",
            format!(
                "a comma list of sizes and/or one of models, e.g. 1280x720,2048x1152 \
                 gpt-image-2-vip,gpt-image-2-all · each cell one billed call ({}) · {} starts",
                dollars(PRICE_PER_CALL_MICRO_USD),
                k(Action::Confirm)
            ),
        ),
        InputKind::Label(id) => (
            format!(" label {id} "),
            "label: ",
            format!(
                "shown in the tree · empty removes it · {} sets",
                k(Action::Confirm)
            ),
        ),
    };
    let mut lines = vec![field(label)];
    if let InputKind::Grid(_) = b.kind {
        lines.push(grid_preview(&b.text, &app.composer.params));
    }
    lines.extend([Line::default(), Line::styled(note, dim())]);
    let shown_max = usize::from(area.height.saturating_sub(8)).min(12);
    if !b.completions.is_empty() {
        lines.push(Line::default());
        for c in b.completions.iter().take(shown_max) {
            lines.push(Line::raw(format!("  {}", sanitize::line(c))));
        }
        if b.completions.len() > shown_max {
            lines.push(Line::styled(
                format!("  … {} more", b.completions.len() - shown_max),
                dim(),
            ));
        }
    }
    // Long notes and errors wrap: the box is as tall as its wrapped text.
    let text = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = text.line_count(area.width.min(76).saturating_sub(2));
    let h = u16::try_from(rows).unwrap_or(20).saturating_add(2);
    let inner = frame_box(frame, centered(area, 76, h), title);
    frame.render_widget(text, inner);
}

/// What the grid typed so far would send, as the user types: the calls
/// and their price, or why it would be refused.
fn grid_preview(typed: &str, base: &RequestParams) -> Line<'static> {
    match GridSpec::checked_line(typed, base) {
        Ok((spec, calls)) => Line::styled(
            format!(
                "= {calls} call(s), {} · {}",
                spec.shape(),
                dollars(PRICE_PER_CALL_MICRO_USD.saturating_mul(calls as u64))
            ),
            Style::new().fg(Color::Green),
        ),
        Err(e) => Line::styled(
            sanitize::line(&e.to_string()).into_owned(),
            Style::new().fg(Color::Red),
        ),
    }
}
