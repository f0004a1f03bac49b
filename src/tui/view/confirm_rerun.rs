//! The question before a re-run: what changes (model, size, endpoint:
//! each "as it was" or a choice), the steps it will send with what, how
//! many calls and what they cost; a change the plan refuses says why.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use pixloom_core::settings::TurnSettings;
use pixloom_core::size::SizeSpec;
use pixloom_core::tree::NodeId;
use pixloom_core::tree::rerun::RerunStep;

use super::super::action::Action;
use super::super::keymap::Context;
use super::super::state::App;
use super::super::state::rerun::{RerunQuestion, RerunRow, price_of_calls};
use super::super::update::rerun::plan;
use super::frame::{frame_box, picked};
use super::{centered, dim, wrap};
use crate::sanitize;

/// The question's width: three fifths of the screen, 72 to 110 columns
/// (the whole screen when narrower).
const WIDTH: (u16, u16) = (72, 110);

pub(super) fn draw(frame: &mut Frame<'_>, app: &App, area: Rect, q: &RerunQuestion) {
    let k = |a| app.keymap.hint(Context::Picker, a);
    let w = (area.width * 3 / 5).clamp(WIDTH.0, WIDTH.1).min(area.width);
    let text_w = usize::from(w.saturating_sub(2));
    let mut lines = vec![Line::from(format!(
        "Re-run the path from {} as a new branch; each step as it was, but:",
        q.from
    ))];
    for row in RerunRow::ALL {
        let value = value_of(&q.change, row);
        let line = if row == q.row {
            Line::from(vec![
                Span::styled(format!("▸ {:<9}", row.label()), picked()),
                Span::styled(format!(" ‹ {value} › "), picked()),
            ])
        } else {
            Line::from(format!("  {:<9}   {value}", row.label()))
        };
        lines.push(line);
    }
    let planned = plan(app, q.from, &q.change);
    let as_it_was = plan(app, q.from, &TurnSettings::default());
    let steps = match (&planned, &as_it_was) {
        (Ok(p), _) | (Err(_), Ok(p)) => p.steps.as_slice(),
        (Err(_), Err(_)) => &[],
    };
    lines.push(Line::styled("It sends, one after another:", dim()));
    // Room for the steps: the screen less the box, the rows, the price
    // or a refusal (up to three lines) and the keys.
    let fixed = 12;
    let room = usize::from(area.height.saturating_sub(fixed)).max(1);
    let shown = if steps.len() > room {
        room.saturating_sub(1)
    } else {
        steps.len()
    };
    for (i, step) in steps.iter().enumerate().take(shown) {
        let with = if planned.is_ok() {
            format!(" · {}", params_of(step))
        } else {
            String::new()
        };
        let head = format!("{:>2}. {} ", i + 1, step.source);
        let room = text_w.saturating_sub(head.chars().count() + with.chars().count());
        lines.push(Line::from(vec![
            Span::raw(head),
            Span::raw(step_prompt(app, step.source, room)),
            Span::styled(with, dim()),
        ]));
    }
    if shown < steps.len() {
        lines.push(Line::styled(
            format!("    … and {} more", steps.len() - shown),
            dim(),
        ));
    }
    match &planned {
        Ok(p) => lines.push(Line::styled(
            price_of_calls(p.calls()),
            Style::new().fg(Color::Yellow),
        )),
        Err(e) => {
            let red = Style::new().fg(Color::Red);
            let said = format!("enter runs nothing: {}", sanitize::line(e));
            lines.extend(
                wrap(&said, text_w)
                    .into_iter()
                    .map(|l| Line::styled(l, red)),
            );
        }
    }
    lines.push(Line::styled(
        format!(
            "{}/{} row · {}/{} change · {} runs · {} keeps",
            k(Action::MoveUp),
            k(Action::MoveDown),
            k(Action::MoveLeft),
            k(Action::MoveRight),
            k(Action::Confirm),
            k(Action::Dismiss)
        ),
        dim(),
    ));
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let inner = frame_box(frame, centered(area, w, h), " re-run from here ");
    frame.render_widget(Paragraph::new(lines), inner);
}

/// What a row is set to: "as it was", or the choice.
fn value_of(change: &TurnSettings, row: RerunRow) -> String {
    let same = "as it was".to_owned();
    match row {
        RerunRow::Model => change
            .model
            .as_deref()
            .map_or(same, |m| sanitize::line(m).into_owned()),
        RerunRow::Size => match change.size {
            None => same,
            Some(SizeSpec::Auto) => "auto (the model decides)".to_owned(),
            Some(SizeSpec::Exact(s)) => format!("{s} ({} {})", s.ratio, s.tier.label()),
        },
        RerunRow::Endpoint => change.endpoint.map_or(same, |e| e.to_string()),
    }
}

/// `gpt-image-2-all · 1280x720 · chat`: what a step is sent with.
pub(super) fn params_of(step: &RerunStep) -> String {
    let p = &step.params;
    format!("{} · {} · {}", sanitize::line(&p.model), p.size, p.endpoint)
}

/// A step's prompt on one line, sanitised, cut to `max` characters.
pub(super) fn step_prompt(app: &App, source: NodeId, max: usize) -> String {
    let text = app.conv.node(source).map(|n| n.text()).unwrap_or_default();
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let clean = sanitize::line(&one_line);
    sanitize::truncate(&clean, max.saturating_sub(1).max(1)).into_owned()
}
