//! The composer: the prompt (tui-textarea), attachment chips, and the
//! size · model · endpoint the next send will use.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::sanitize;

use super::super::action::Action;
use super::super::keymap::Context;
use super::super::state::{App, Focus};
use super::super::update::{NO_KEY, attachment_name};
use super::{dim, pane_style};

/// Rows the composer takes: its text (1 to 5 lines), a chip line when
/// images are attached, and the border.
pub(super) fn height(app: &App) -> u16 {
    let text = u16::try_from(app.composer.text.lines().len())
        .unwrap_or(u16::MAX)
        .clamp(1, 5);
    let chips = u16::from(!app.composer.attachments.is_empty());
    text + chips + 2
}

pub(super) fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let c = &app.composer;
    // What Enter will do, always; and where a kept draft was begun.
    let mut title = format!(" {} ", c.target.describe(&app.conv));
    if let Some(was) = c.draft_from.filter(|_| !c.is_empty()) {
        title.push_str(&format!(
            "· draft kept from \"{}\" ",
            was.describe(&app.conv)
        ));
    }
    let p = &c.params;
    let k = |a| app.keymap.hint(Context::Composer, a);
    let bottom = format!(
        " {} · {} · {} │ {} send · {} new line · {} size · {} model ",
        p.size,
        sanitize::line(&p.model),
        p.endpoint,
        k(Action::Send),
        k(Action::Newline),
        k(Action::SizePicker),
        k(Action::ModelPicker)
    );
    let block = Block::bordered()
        .title(title)
        .title_bottom(Line::from(bottom).style(dim()))
        .border_style(pane_style(app, Focus::Composer));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut text_area = inner;
    if !c.attachments.is_empty() {
        let mut chips: Vec<Span<'_>> = c
            .attachments
            .iter()
            .enumerate()
            .map(|(i, img)| {
                let name = attachment_name(img);
                Span::styled(
                    format!(
                        "[{} {} {}×{}] ",
                        i + 1,
                        sanitize::truncate(&name, 24),
                        img.original.width,
                        img.original.height
                    ),
                    Style::new().fg(Color::Blue),
                )
            })
            .collect();
        chips.push(Span::styled(
            format!("{} removes the last", k(Action::Detach)),
            dim(),
        ));
        frame.render_widget(
            Paragraph::new(Line::from(chips)),
            Rect { height: 1, ..inner },
        );
        text_area = Rect {
            y: inner.y + 1,
            height: inner.height.saturating_sub(1),
            ..inner
        };
    }
    let mut textarea = c.text.clone();
    let focused = app.focus == Focus::Composer && app.overlay == super::super::state::Overlay::None;
    textarea.set_cursor_line_style(Style::new());
    textarea.set_cursor_style(if focused {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new()
    });
    let placeholder = if !app.can_send {
        NO_KEY.to_owned()
    } else if focused {
        "describe an image…".to_owned()
    } else {
        format!(
            "press {} to write a prompt",
            app.keymap.hint(Context::Browse, Action::Compose)
        )
    };
    textarea.set_placeholder_text(placeholder);
    textarea.set_placeholder_style(dim());
    frame.render_widget(&textarea, text_area);
}
