//! The question before a running request is cancelled: the call may
//! already be billed, so Esc alone never throws it away.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use pixloom_core::tree::NodeId;

use super::super::action::Action;
use super::super::keymap::Context;
use super::super::state::{App, seconds};
use super::frame::frame_box;
use super::{centered, dim};

pub(super) fn draw(frame: &mut Frame<'_>, app: &App, area: Rect, id: NodeId) {
    let k = |a| app.keymap.hint(Context::Confirm, a);
    let Some(running) = app.elapsed(id) else {
        // It finished while the question was open: the answer changes nothing.
        let lines = vec![
            Line::from(format!("{id} finished meanwhile: nothing to cancel.")),
            Line::styled(
                format!("{} or {} closes", k(Action::Confirm), k(Action::Dismiss)),
                dim(),
            ),
        ];
        let inner = frame_box(frame, centered(area, 56, 4), " cancel request ");
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    };
    let running = format!(" (running for {})", seconds(running));
    // Our own words only (ids, times): nothing to sanitise.
    let warn = Style::new().fg(Color::Yellow);
    let lines = vec![
        Line::from(format!("Cancel {id}'s request{running}?")),
        Line::styled("It may already be billed even if cancelled,", warn),
        Line::styled("and the picture it makes is then lost.", warn),
        Line::styled(
            format!(
                "{} cancels · {} lets it run",
                k(Action::Confirm),
                k(Action::Dismiss)
            ),
            dim(),
        ),
    ];
    let inner = frame_box(frame, centered(area, 56, 6), " cancel request ");
    frame.render_widget(Paragraph::new(lines), inner);
}
