//! The question before a re-run: what changes (nothing, or the composer's
//! model, endpoint and size), how many calls and what they cost.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use pixloom_core::tree::NodeId;

use super::super::action::Action;
use super::super::keymap::Context;
use super::super::state::App;
use super::super::state::rerun::price_of_calls;
use super::super::update::rerun::plan;
use super::frame::frame_box;
use super::{centered, dim};
use crate::sanitize;

pub(super) fn draw(frame: &mut Frame<'_>, app: &App, area: Rect, from: NodeId, with: bool) {
    let k = |a| app.keymap.hint(Context::Picker, a);
    let calls = plan(app, from, with).map_or(0, |p| p.calls());
    let p = &app.composer.params;
    let now = format!(
        "with {} · {} · {}",
        sanitize::line(&p.model),
        p.endpoint,
        p.size
    );
    let pick = Style::new().fg(Color::Black).bg(Color::Cyan);
    let choice = |on: bool, text: String| {
        if on {
            Line::styled(format!("▸ {text}"), pick)
        } else {
            Line::from(format!("  {text}"))
        }
    };
    let lines = vec![
        Line::from(format!("Re-run the path from {from} as a new branch:")),
        choice(
            !with,
            "as it was (each turn's own model and size)".to_owned(),
        ),
        choice(with, now),
        Line::styled(price_of_calls(calls), Style::new().fg(Color::Yellow)),
        Line::styled(
            format!(
                "{}/{} picks · {} runs · {} keeps",
                k(Action::MoveUp),
                k(Action::MoveDown),
                k(Action::Confirm),
                k(Action::Dismiss)
            ),
            dim(),
        ),
    ];
    let inner = frame_box(frame, centered(area, 60, 7), " re-run from here ");
    frame.render_widget(Paragraph::new(lines), inner);
}
