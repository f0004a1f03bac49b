//! The strip above the composer while a re-run runs: every step, done
//! ones with their answer and time, the running one with its spinner and
//! elapsed time, waiting ones with their prompt, where it stopped marked;
//! and how to cancel. Drawn from `App::rerun` alone; gone when the re-run
//! ends (a stopped one stays until the next key, to show where).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use pixloom_core::settings::TurnSettings;
use pixloom_core::tree::Status;

use super::super::action::Action;
use super::super::keymap::Context;
use super::super::state::App;
use super::super::state::rerun::{Phase, RerunRun, changed};
use super::confirm_rerun::step_prompt;
use super::frame::frame_box_titled;
use super::{dim, glyph};

/// The strip's height on a screen `screen` rows high: its steps and
/// the box, at most a third of the screen (3 rows at least); none
/// without a re-run.
pub(super) fn height(app: &App, screen: u16) -> u16 {
    let Some(run) = &app.rerun else {
        return 0;
    };
    let want = u16::try_from(run.steps.len() + 2).unwrap_or(u16::MAX);
    want.min((screen / 3).max(3))
}

pub(super) fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(run) = &app.rerun else {
        return;
    };
    let title = format!(
        " re-run from {} · step {} · {} ",
        run.from,
        run.at(),
        changes(&run.change)
    );
    let esc = app.keymap.hint(Context::Browse, Action::Cancel);
    let bottom = match run.phase {
        Phase::Checking => format!(" looking for references · {esc} cancels (nothing sent) "),
        Phase::Running => format!(" {esc} cancels the running step; the rest are not sent "),
        Phase::Held => " step done: answer the question; yes sends nothing more ".to_owned(),
        Phase::Stopped => " stopped · the next key closes this ".to_owned(),
    };
    let inner = frame_box_titled(frame, area, title, Some(bottom));
    let rows = usize::from(inner.height);
    // The window of steps shown keeps the current one in view.
    let current = run.current().map_or(0, |(i, _)| i);
    let first = current
        .saturating_sub(rows.saturating_sub(1) / 2)
        .min(run.steps.len().saturating_sub(rows));
    let lines: Vec<Line<'_>> = (first..run.steps.len())
        .take(rows)
        .map(|i| step_line(app, run, i, usize::from(inner.width)))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// One step: mark, number, answer, prompt, how it stands.
fn step_line<'a>(app: &App, run: &RerunRun, i: usize, w: usize) -> Line<'a> {
    let s = &run.steps[i];
    let total = run.steps.len();
    let node = s.answer.and_then(|a| app.conv.node(a).ok());
    let (mark, style, state) = match (s.answer, node) {
        (None, _) => ("·", dim(), "waiting".to_owned()),
        (Some(a), Some(n)) => {
            let (g, style) = glyph(n);
            let t = n.turn.as_ref();
            let state = match n.status() {
                Some(Status::Pending) => {
                    let took = app.elapsed(a).map(super::super::state::seconds);
                    format!("{} {}", app.spinner(a), took.unwrap_or_default())
                }
                Some(Status::Done) => match t.and_then(|t| t.latency_ms) {
                    Some(ms) => format!(
                        "done {:.1}s",
                        f64::from(u32::try_from(ms).unwrap_or(u32::MAX)) / 1000.0
                    ),
                    None => "done".to_owned(),
                },
                Some(other) => other.to_string(),
                None => String::new(),
            };
            (g, style, state)
        }
        (Some(_), None) => ("?", dim(), "deleted".to_owned()),
    };
    let answer = s.answer.map_or_else(|| "   ".to_owned(), |a| a.to_string());
    let head = format!("{mark} {}/{total} {} → {answer:<4} ", i + 1, s.step.source);
    let tail = format!(" · {state}");
    let room = w.saturating_sub(head.chars().count() + tail.chars().count());
    Line::from(vec![
        Span::styled(head, style),
        Span::raw(step_prompt(app, s.step.source, room)),
        Span::styled(tail, state_style(node.and_then(|n| n.status()))),
    ])
}

fn state_style(status: Option<Status>) -> Style {
    match status {
        Some(Status::Done) => Style::new().fg(Color::Green),
        Some(Status::Pending) => Style::new().fg(Color::Yellow),
        None => dim(),
        Some(_) => Style::new().fg(Color::Red),
    }
}

/// `as it was`, or `model gpt-image-2-all · size 1280x720`: what the
/// re-run changes.
fn changes(change: &TurnSettings) -> String {
    let what = changed(change);
    if what.is_empty() {
        "as it was".to_owned()
    } else {
        what.join(" · ")
    }
}
