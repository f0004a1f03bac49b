//! Draws the start screen from `&Start` only: the list (thumbnail, title,
//! turns, last change, where), the name input, the status and the keys.
//! Everything from a file or a folder name passes `sanitize`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use time::OffsetDateTime;

use super::{Entry, EntryState, Place, Start};
use crate::sanitize;
use crate::tui::action::Action;
use crate::tui::keymap::Context;
use crate::tui::state::StatusKind;
use crate::tui::thumbs;
use pixloom_core::tree::Blob;

/// The thumbnail's box, in cells.
pub(crate) const THUMB_COLS: u16 = 12;
pub(crate) const THUMB_ROWS: u16 = 3;
/// Rows per entry: three lines and a gap.
const ENTRY_ROWS: u16 = 4;

/// The cells `blob`'s thumbnail takes on the list (the start screen runs
/// before the terminal is asked its cell size: the assumed cell).
pub(crate) fn thumb_size(blob: &Blob) -> (u16, u16) {
    thumbs::fit_cells(
        blob.width,
        blob.height,
        THUMB_COLS,
        THUMB_ROWS,
        crate::tui::graphics::DEFAULT_CELL,
    )
}

fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Draws the whole screen.
pub(crate) fn draw(frame: &mut Frame<'_>, s: &Start) {
    let bottom = if s.naming.is_some() { 4 } else { 2 };
    let [list, foot] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(bottom)]).areas(frame.area());
    let here = sanitize::line(&s.here.to_string_lossy()).into_owned();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" pixloom · conversations ")
        .title_bottom(Line::styled(format!(" {} ", count(s)), dim()));
    let inner = block.inner(list);
    frame.render_widget(block, list);
    if s.entries.is_empty() {
        draw_empty(frame, inner, s, &here);
    } else {
        draw_entries(frame, inner, s);
    }
    draw_foot(frame, foot, s, &here);
}

fn count(s: &Start) -> String {
    let here = s.entries.iter().filter(|e| e.place == Place::Here).count();
    let recent = s.entries.len() - here;
    format!("{here} here · {recent} opened lately")
}

fn draw_empty(frame: &mut Frame<'_>, area: Rect, s: &Start, here: &str) {
    let new = s.keymap.hint(Context::Start, Action::NewConversation);
    let lines = vec![
        Line::from(""),
        Line::from(format!(
            "No conversations in {here}, and none opened lately."
        )),
        Line::from(""),
        Line::from(vec![
            Span::raw("Press "),
            Span::styled(
                new,
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ),
            Span::raw(" to start one: you name it, and pixloom makes NAME.pixloom here."),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).centered(),
        area,
    );
}

fn draw_entries(frame: &mut Frame<'_>, area: Rect, s: &Start) {
    let per_page = usize::from((area.height / ENTRY_ROWS).max(1));
    let first = (s.cursor + 1).saturating_sub(per_page);
    for (row, (i, entry)) in s
        .entries
        .iter()
        .enumerate()
        .skip(first)
        .take(per_page)
        .enumerate()
    {
        let top = area.y + u16::try_from(row).unwrap_or(0) * ENTRY_ROWS;
        let slot = Rect {
            x: area.x,
            y: top,
            width: area.width,
            height: (ENTRY_ROWS - 1).min(area.bottom().saturating_sub(top)),
        };
        draw_entry(frame, slot, s, entry, i == s.cursor);
    }
}

fn draw_entry(frame: &mut Frame<'_>, slot: Rect, s: &Start, entry: &Entry, selected: bool) {
    let [mark, pic, _, text] = Layout::horizontal([
        Constraint::Length(2),
        Constraint::Length(THUMB_COLS),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(slot);
    if selected {
        let bar = vec![Line::styled("▌", Style::new().fg(Color::Cyan)); usize::from(slot.height)];
        frame.render_widget(Paragraph::new(bar), mark);
    }
    let title_style = if selected {
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        Style::new().add_modifier(Modifier::BOLD)
    };
    let name = sanitize::line(&entry.name()).into_owned();
    let place = match entry.place {
        Place::Here => sanitize::line(&entry.dir.file_name().unwrap_or_default().to_string_lossy())
            .into_owned(),
        Place::Recent => sanitize::line(&entry.dir.to_string_lossy()).into_owned(),
    };
    let (detail, detail_style) = match &entry.state {
        EntryState::Ready(sum) => {
            if let Some(blob) = &sum.latest {
                draw_thumb(frame, pic, s, blob);
            }
            let changed = sum
                .changed
                .map_or_else(|| "changed: unknown".to_owned(), |t| ago(s.now, t));
            let turns = if sum.turns == 1 { "turn" } else { "turns" };
            (format!("{} {turns} · {changed}", sum.turns), Style::new())
        }
        EntryState::Gone => (
            "gone: moved or deleted since it was opened".to_owned(),
            Style::new().fg(Color::Red),
        ),
        EntryState::Unreadable(why) => (
            format!("does not open: {}", sanitize::line(why)),
            Style::new().fg(Color::Red),
        ),
    };
    let tag = match entry.place {
        Place::Here => "here",
        Place::Recent => "opened lately",
    };
    let lines = vec![
        Line::from(vec![
            Span::styled(name, title_style),
            Span::styled(format!("  {tag}"), dim()),
        ]),
        Line::styled(detail, detail_style),
        Line::styled(place, dim()),
    ];
    frame.render_widget(Paragraph::new(lines), text);
}

fn draw_thumb(frame: &mut Frame<'_>, area: Rect, s: &Start, blob: &Blob) {
    let (cols, rows) = thumb_size(blob);
    let key = blob.file_name();
    match s.thumbs.get(&key) {
        // Half-blocks only: the start screen prints no pictures.
        Some(t) if (t.cols, t.rows) == (cols, rows) => {
            let _ = t.render(0, area, frame.buffer_mut());
        }
        _ => {
            let wait = vec![Line::styled("·".repeat(usize::from(cols)), dim()); usize::from(rows)];
            frame.render_widget(Paragraph::new(wait), area);
        }
    }
}

fn draw_foot(frame: &mut Frame<'_>, area: Rect, s: &Start, here: &str) {
    let status = s.status.as_ref().map(|st| {
        let color = match st.kind {
            StatusKind::Error => Color::Red,
            StatusKind::Info | StatusKind::Hint => Color::Green,
        };
        Line::styled(
            sanitize::line(&st.text).into_owned(),
            Style::new().fg(color),
        )
    });
    if let Some(name) = &s.naming {
        let [input, line] =
            Layout::vertical([Constraint::Length(3), Constraint::Length(1)]).areas(area);
        let ok = s.keymap.hint(Context::Input, Action::Confirm);
        let back = s.keymap.hint(Context::Input, Action::Dismiss);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!(" New conversation: its name (made in {here}) "))
            .title_bottom(Line::styled(format!(" {ok} create · {back} back "), dim()));
        let typed = Line::from(vec![
            Span::raw(sanitize::line(name).into_owned()),
            Span::styled("█", Style::new().fg(Color::Cyan)),
        ]);
        frame.render_widget(Paragraph::new(typed).block(block), input);
        if let Some(st) = status {
            frame.render_widget(Paragraph::new(st), line);
        }
        return;
    }
    let [line, keys] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    if let Some(st) = status {
        frame.render_widget(Paragraph::new(st), line);
    }
    let k = |a| s.keymap.hint(Context::Start, a);
    let hints = format!(
        " {} open · {} new · {}/{} move · {} quit",
        k(Action::Confirm),
        k(Action::NewConversation),
        k(Action::MoveDown),
        k(Action::MoveUp),
        k(Action::Quit)
    );
    frame.render_widget(Paragraph::new(Line::styled(hints, dim())), keys);
}

/// `then` said against `now`: "just now", "5 min ago", "3 h ago",
/// "2 days ago", else the date.
pub(crate) fn ago(now: OffsetDateTime, then: OffsetDateTime) -> String {
    let secs = (now - then).whole_seconds();
    let text = match secs {
        s if s < 60 => return "changed just now".to_owned(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 2 * 86_400 => "1 day ago".to_owned(),
        s if s < 7 * 86_400 => format!("{} days ago", s / 86_400),
        _ => {
            let d = then.date();
            format!("on {}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
        }
    };
    format!("changed {text}")
}
