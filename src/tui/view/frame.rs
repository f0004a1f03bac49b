//! Pieces every box on screen is drawn with: the cyan frame, the picked
//! row's style, and a picture fitted in a box. Overlays, the gallery, the
//! input line and the dialogs share them (no module imports another back).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};

use pixloom_core::tree::Node;

use super::super::action::Action;
use super::super::keymap::Context;
use super::super::state::App;
use super::super::thumbs::{ThumbState, ThumbWant};
use super::{Drawn, dim};

pub(super) fn frame_box<'a>(frame: &mut Frame<'_>, area: Rect, title: impl Into<Line<'a>>) -> Rect {
    frame_box_titled(frame, area, title, None)
}

/// [`frame_box`] with a note on the bottom border, on the right.
pub(super) fn frame_box_titled<'a>(
    frame: &mut Frame<'_>,
    area: Rect,
    title: impl Into<Line<'a>>,
    bottom: Option<String>,
) -> Rect {
    frame.render_widget(Clear, area);
    let mut block = Block::bordered()
        .title(title)
        .border_style(Style::new().fg(Color::Cyan));
    if let Some(b) = bottom {
        block = block.title_bottom(Line::from(b).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

pub(super) fn picked() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub(super) fn fitted_image(
    frame: &mut Frame<'_>,
    app: &App,
    node: &Node,
    inner: Rect,
    out: &mut Drawn,
    close_hint: bool,
) {
    let Some(img) = node.images().next() else {
        return;
    };
    let blob = &img.original;
    let (cols, rows) = crate::tui::graphics::geometry::fit_picture(
        app.graphics,
        (blob.width, blob.height),
        inner.width,
        inner.height,
        app.cell_shape,
    );
    let at = Rect {
        x: inner.x + (inner.width - cols) / 2,
        y: inner.y + (inner.height - rows) / 2,
        width: cols,
        height: rows,
    };
    if app.graphics != super::super::thumbs::GraphicsBackend::None {
        out.wants.push(ThumbWant {
            blob: blob.clone(),
            cols,
            rows,
        });
        if let ThumbState::Ready(t) = app.thumbs.get(&blob.file_name(), cols, rows) {
            out.place(t.render(0, at, frame.buffer_mut()));
            return;
        }
    }
    let text = if close_hint {
        format!(
            "{}×{} · {}",
            blob.width,
            blob.height,
            app.keymap.hint(Context::Dialog, Action::Dismiss)
        )
    } else {
        format!("{}×{}", blob.width, blob.height)
    };
    let note = Rect {
        y: at.y + at.height / 2,
        height: 1,
        x: inner.x,
        width: inner.width,
    };
    frame.render_widget(Paragraph::new(text).centered().style(dim()), note);
}
