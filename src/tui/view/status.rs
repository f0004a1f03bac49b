//! The status line: requests in flight (spinner and elapsed seconds), the
//! last message, what the conversation and the session cost, and key
//! hints for the focus.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::sanitize;

use super::super::action::Action;
use super::super::keymap::Context;
use super::super::state::{App, Overlay, StatusKind, dollars, seconds};
use super::{dim, width};

/// At most this many requests get their own spinner; the rest are counted.
const SHOWN_IN_FLIGHT: usize = 3;

fn hints(app: &App) -> Vec<String> {
    let ctx = app.key_context();
    let actions: &[(Action, &str)] = match ctx {
        Context::Browse | Context::Tree => &[
            (Action::Compose, "write"),
            (Action::Regenerate, "regen"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ],
        Context::Composer => &[
            (Action::Send, "send"),
            (Action::Newline, "new line"),
            (Action::Dismiss, "back"),
        ],
        Context::Picker => &[(Action::Confirm, "choose"), (Action::Dismiss, "close")],
        Context::Gallery => &[
            (Action::Confirm, "select"),
            (Action::Compare, "compare"),
            (Action::Dismiss, "close"),
        ],
        Context::Replay => &[
            (Action::Step, "step"),
            (Action::PlayPause, "play"),
            (Action::Faster, "faster"),
            (Action::Slower, "slower"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ],
        Context::Confirm => &[(Action::Confirm, "yes"), (Action::Dismiss, "no")],
        Context::Dialog | Context::Input | Context::Global | Context::Start => {
            &[(Action::Confirm, "ok"), (Action::Dismiss, "close")]
        }
    };
    actions
        .iter()
        .filter_map(|(a, what)| {
            let k = app.keymap.hint(ctx, *a);
            (!k.is_empty()).then(|| format!("{k} {what}"))
        })
        .collect()
}

/// What was spent, from the longest wording to the shortest: the
/// conversation's total — the sum of its turns' costs, so it is right
/// after reopening and in a replay — and, outside a replay, this
/// session's.
fn spent(app: &App) -> [String; 3] {
    let forms = spent_only(app);
    match app.budgets.status(app.spent()) {
        // With a limit, spent / limit comes first and stays to the last.
        Some(budget) => {
            let [long, mid, _] = forms;
            [
                format!("{budget} · {long}"),
                format!("{budget} · {mid}"),
                budget,
            ]
        }
        None => forms,
    }
}

/// [`spent`] without limits.
fn spent_only(app: &App) -> [String; 3] {
    let total = dollars(app.conv.total_cost_micro_usd());
    let session = dollars(app.session_cost_micro_usd);
    if app.replay.is_some() {
        [
            format!("{total} this conversation"),
            format!("{total} conversation"),
            total,
        ]
    } else {
        [
            format!("{total} this conversation · {session} this session"),
            format!("{total} conversation · {session} session"),
            format!("{total} conv · {session} sess"),
        ]
    }
}

/// The right of the status line in at most `limit` columns if it can: the
/// cost's wording shortens first, then hints go from the end; the
/// shortest cost always shows.
fn right_side(app: &App, limit: usize) -> String {
    let hints = hints(app);
    let forms = spent(app);
    let [.., shortest] = &forms;
    let compose = |spent: &str, n: usize| match n {
        0 => format!(" {spent} "),
        n => format!(" {spent} │ {} ", hints[..n].join(" · ")),
    };
    forms
        .iter()
        .map(|f| compose(f, hints.len()))
        .chain((0..hints.len()).rev().map(|n| compose(shortest, n)))
        .find(|r| width(r) <= limit)
        .unwrap_or_else(|| compose(shortest, 0))
}

/// The most rows an error may wrap over (the screen above gives them).
const ERROR_ROWS: u16 = 3;

/// Rows the status line takes at `width` columns: one, or more while an
/// error that would be cut waits with no question open (cut, it would
/// not say what to do).
pub(super) fn height(app: &App, columns: u16) -> u16 {
    if !error_takes_the_line(app) {
        return 1;
    }
    // As `draw` lays it out: wrapped by words beside the shortest cost.
    let [.., shortest] = spent(app);
    let right_w = u16::try_from(width(&shortest) + 2).unwrap_or(u16::MAX);
    let room = columns.saturating_sub(right_w).max(1);
    let rows = Paragraph::new(Line::from(left_spans(app)))
        .wrap(ratatui::widgets::Wrap { trim: false })
        .line_count(room);
    u16::try_from(rows).unwrap_or(u16::MAX).clamp(1, ERROR_ROWS)
}

/// Whether an error is said with no question waiting for its keys: it
/// then takes the room it needs, cut it would not say what to do.
fn error_takes_the_line(app: &App) -> bool {
    app.status
        .as_ref()
        .is_some_and(|s| s.kind == StatusKind::Error)
        && matches!(app.overlay, Overlay::None)
}

/// The left of the status line: the DEMO mark, requests in flight, paid
/// pictures not on disk, and the last message.
fn left_spans(app: &App) -> Vec<Span<'static>> {
    let mut left: Vec<Span<'static>> = Vec::new();
    if app.demo {
        left.push(Span::styled(
            " DEMO ",
            Style::new().fg(Color::Black).bg(Color::Yellow),
        ));
        left.push(Span::raw(" "));
    }
    for (&id, _) in app.in_flight.iter().take(SHOWN_IN_FLIGHT) {
        let took = app.elapsed(id).map(seconds).unwrap_or_default();
        let usual = app
            .estimate(id)
            .map(|d| format!(" ~{}", seconds(d)))
            .unwrap_or_default();
        left.push(Span::styled(
            format!("{} {id} {took}{usual}  ", app.spinner(id)),
            Style::new().fg(Color::Yellow),
        ));
    }
    if app.in_flight.len() > SHOWN_IN_FLIGHT {
        left.push(Span::styled(
            format!("+{} more  ", app.in_flight.len() - SHOWN_IN_FLIGHT),
            Style::new().fg(Color::Yellow),
        ));
    }
    // Stays while a paid picture is not on disk, whatever else is said.
    let unstored = app.conv.unstored().len();
    if unstored > 0 {
        let store = app.keymap.hint(Context::Browse, Action::StoreResult);
        left.push(Span::styled(
            format!("{unstored} paid picture(s) not on disk ({store} stores)  "),
            Style::new().fg(Color::Red),
        ));
    }
    if let Some(s) = &app.status {
        let style = match s.kind {
            StatusKind::Info => Style::new(),
            StatusKind::Hint => Style::new().fg(Color::Yellow),
            StatusKind::Error => Style::new().fg(Color::Red),
        };
        left.push(Span::styled(sanitize::line(&s.text).into_owned(), style));
    }
    left
}

pub(super) fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let left = left_spans(app);
    if area.height > 1 {
        // A long error over several rows; the cost and the hints on the last.
        let [.., shortest] = spent(app);
        let right = format!(" {shortest} ");
        let right_w = u16::try_from(width(&right)).unwrap_or(u16::MAX);
        let [l, r] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(right_w)]).areas(area);
        let r = Rect {
            y: r.bottom().saturating_sub(1),
            height: 1,
            ..r
        };
        frame.render_widget(
            Paragraph::new(Line::from(left)).wrap(ratatui::widgets::Wrap { trim: false }),
            l,
        );
        frame.render_widget(
            Paragraph::new(Line::styled(right, dim())).right_aligned(),
            r,
        );
        return;
    }
    // What is happening (left) keeps up to two thirds when it needs them,
    // and an error all it needs when no question waits for its keys (cut,
    // it would not say what to do); the cost and the hints take the rest.
    let total_w = usize::from(area.width);
    let left_w: usize = left.iter().map(|s| width(&s.content)).sum();
    let keep = if error_takes_the_line(app) {
        total_w
    } else {
        total_w * 2 / 3
    };
    let right = right_side(app, total_w.saturating_sub(left_w.min(keep) + 1));
    let right_w = u16::try_from(width(&right)).unwrap_or(u16::MAX);
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(right_w)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)), l);
    frame.render_widget(
        Paragraph::new(Line::styled(right, dim())).right_aligned(),
        r,
    );
}
