//! Drawing: [`ViewState::draw`]`(frame, &App)` and nothing else. The view
//! never changes the app; it remembers only its own [`ViewState`] (the
//! transcript's scroll) and returns what it drew ([`Drawn`]): the
//! thumbnails the frame showed, so the loop can ask for the missing ones,
//! the pictures it placed, for the graphics presenter, and the room of a
//! scrolled dialog, for `update`. No globals, no interior mutability.
//!
//! Layout: tree (left, toggled with `t`) and transcript on top, the
//! composer under them, one status line at the bottom (so no image ever
//! touches the last row), overlays centred over everything.
//!
//! All text from the network or from files goes through `sanitize` here.

mod composer;
mod confirm_cancel;
mod confirm_rerun;
mod details;
mod drawn;
mod frame;
mod gallery;
mod input;
mod overlay;
mod rerun_progress;
mod status;
mod transcript;
mod tree;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use pixloom_core::tree::{Node, Role, Status};

use super::state::{App, Focus};

pub use drawn::{Drawn, ViewState};

/// Draws the whole screen as a first frame (nothing remembered from an
/// earlier one): [`ViewState::draw`] with a fresh state.
pub fn draw(frame: &mut Frame<'_>, app: &App) -> Drawn {
    ViewState::default().draw(frame, app)
}

impl ViewState {
    /// Draws the whole screen from `app` and what this view remembers;
    /// returns what it drew.
    pub fn draw(&mut self, frame: &mut Frame<'_>, app: &App) -> Drawn {
        let mut out = Drawn::default();
        draw_into(frame, app, self, &mut out);
        out
    }
}

fn draw_into(frame: &mut Frame<'_>, app: &App, view: &mut ViewState, out: &mut Drawn) {
    let area = frame.area();
    // A replay cannot send: no composer.
    let composer_h = if app.replay.is_some() {
        0
    } else {
        composer::height(app)
    };
    let status_h = status::height(app, area.width);
    // A re-run's steps sit between the panes and the composer.
    let progress_h = rerun_progress::height(app, area.height);
    let [main, progress_area, composer_area, status_area] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(progress_h),
        Constraint::Length(composer_h),
        Constraint::Length(status_h),
    ])
    .areas(area);
    if app.show_tree {
        // Widened by hand it may take two thirds, else half at most.
        let most = if app.tree_delta > 0 {
            main.width * 2 / 3
        } else {
            main.width / 2
        };
        let tree_w = tree_width(area.width, app.tree_delta).min(most);
        let [tree_area, transcript_area] =
            Layout::horizontal([Constraint::Length(tree_w), Constraint::Min(10)]).areas(main);
        tree::draw(frame, app, tree_area);
        transcript::draw(frame, app, transcript_area, view, out);
    } else {
        transcript::draw(frame, app, main, view, out);
    }
    if progress_h > 0 {
        rerun_progress::draw(frame, app, progress_area);
    }
    if composer_h > 0 {
        composer::draw(frame, app, composer_area);
    }
    status::draw(frame, app, status_area);
    // Overlays stay off the status line too. The room stays unknown
    // unless a dialog that scrolls is drawn (it sets its own).
    overlay::draw(
        frame,
        app,
        Rect {
            height: area.height.saturating_sub(status_h),
            ..area
        },
        out,
    );
}

/// The tree pane's width: 30% of the screen (22 to 48 columns), moved by
/// `<` / `>`, never under 12.
fn tree_width(screen: u16, delta: i16) -> u16 {
    let base = (screen * 3 / 10).clamp(22, 48);
    base.saturating_add_signed(delta).max(12)
}

/// The border style of a pane: bright when it has focus.
fn pane_style(app: &App, pane: Focus) -> Style {
    if app.focus == pane && app.overlay == super::state::Overlay::None {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().fg(Color::DarkGray)
    }
}

/// The glyph of a turn: `›` user, `◆` done, `…` pending, `✗` failed,
/// `⊘` refused, `!` interrupted, `○` cancelled, `$` paid but not on disk.
fn glyph(node: &Node) -> (&'static str, Style) {
    match (node.role, node.status()) {
        (Role::System, _) => ("⚙", Style::new().fg(Color::DarkGray)),
        (Role::User, _) => ("›", Style::new().fg(Color::Cyan)),
        (Role::Assistant, Some(Status::Done) | None) => ("◆", Style::new().fg(Color::Green)),
        (Role::Assistant, Some(Status::Pending)) => ("…", Style::new().fg(Color::Yellow)),
        (Role::Assistant, Some(Status::Failed)) => ("✗", Style::new().fg(Color::Red)),
        (Role::Assistant, Some(Status::Refused)) => ("⊘", Style::new().fg(Color::Magenta)),
        (Role::Assistant, Some(Status::Interrupted)) => ("!", Style::new().fg(Color::Yellow)),
        (Role::Assistant, Some(Status::Unstored)) => ("$", Style::new().fg(Color::Red)),
        (Role::Assistant, Some(Status::Cancelled)) => ("○", Style::new().fg(Color::DarkGray)),
    }
}

fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// Display width of a string, as ratatui measures it.
fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Greedy word wrap to `max` columns; words longer than a line are split.
/// Input must already be sanitized.
fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let (mut line, mut line_w) = (String::new(), 0);
        for word in para.split_whitespace() {
            let word_w = width(word);
            if line_w > 0 && line_w + 1 + word_w <= max {
                line.push(' ');
                line.push_str(word);
                line_w += 1 + word_w;
                continue;
            }
            if line_w > 0 {
                out.push(std::mem::take(&mut line));
                line_w = 0;
            }
            for c in word.chars() {
                let char_w = width(c.encode_utf8(&mut [0; 4]));
                if line_w > 0 && line_w + char_w > max {
                    out.push(std::mem::take(&mut line));
                    line_w = 0;
                }
                line.push(c);
                line_w += char_w;
            }
        }
        out.push(line);
    }
    out
}

/// A `w`×`h` rectangle centred in `area` (clamped to it).
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod budget_tests;
#[cfg(test)]
mod compare_tests;
#[cfg(test)]
mod grid_tests;
#[cfg(test)]
mod reopen_tests;
#[cfg(test)]
mod rerun_tests;
#[cfg(test)]
mod tests;
