//! The tree pane: one row per turn. A chain of single children stays in
//! one column; where a turn has several children each branch is drawn with
//! `├─` / `└─` and its own column. The selected path is bold, the selected
//! row reversed. A folded turn hides what is below it and says how much
//! (`▸ +3`); prompts matching the last search are underlined.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use std::collections::BTreeSet;

use pixloom_core::tree::{Conversation, Node, NodeId, Role, Status};

use super::super::state::{App, Focus, first_words, seconds};
use super::{dim, glyph, pane_style};

/// One row: the node and the box-drawing prefix before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TreeRow {
    pub(crate) id: NodeId,
    pub(crate) prefix: String,
}

/// How many levels of branches get their own column; deeper branches are
/// drawn in the last one, so a hostile file branching at every turn cannot
/// make each row's prefix (and the rows' memory) grow with its depth.
pub(super) const BRANCH_COLUMNS: usize = 32;

/// Rows in display order, nothing below a folded turn. Iterative, so a
/// deeply branched file cannot overflow the stack.
pub(super) fn rows(conv: &Conversation, folded: &BTreeSet<NodeId>) -> Vec<TreeRow> {
    let mut out = Vec::with_capacity(conv.len());
    // Frames: sibling list, next index in it, prefix of that level, and
    // how many branch levels that prefix draws.
    let mut stack: Vec<(&[NodeId], usize, String, usize)> =
        vec![(&conv.roots, 0, String::new(), 0)];
    while let Some((ids, at, prefix, level)) = stack.pop() {
        let Some(&first) = ids.get(at) else { continue };
        stack.push((ids, at + 1, prefix.clone(), level));
        let multi = ids.len() > 1;
        let last = at + 1 == ids.len();
        let (head, cont) = match (multi, last) {
            (false, _) => ("", ""),
            (true, false) => ("├─", "│ "),
            (true, true) => ("└─", "  "),
        };
        let mut cur = first;
        let mut row_prefix = format!("{prefix}{head}");
        for _ in 0..=conv.len() {
            out.push(TreeRow {
                id: cur,
                prefix: row_prefix,
            });
            row_prefix = format!("{prefix}{cont}");
            if folded.contains(&cur) {
                break;
            }
            let Ok(node) = conv.node(cur) else { break };
            match node.children.as_slice() {
                [] => break,
                [only] => cur = *only,
                many => {
                    let inner = if level < BRANCH_COLUMNS {
                        format!("{prefix}{cont}")
                    } else {
                        prefix.clone()
                    };
                    stack.push((many, 0, inner, level + 1));
                    break;
                }
            }
        }
    }
    out
}

/// The row's text after the glyph.
fn summary(app: &App, node: &Node, room: usize) -> String {
    match (node.role, node.turn.as_ref()) {
        (Role::Assistant, Some(t)) => {
            let size = node.images().next().map_or_else(
                || t.request.size.to_string(),
                |i| format!("{}x{}", i.original.width, i.original.height),
            );
            match t.status {
                Status::Done => match t.latency_ms {
                    Some(ms) => format!("{size} {}", seconds(std::time::Duration::from_millis(ms))),
                    None => size,
                },
                Status::Pending => app
                    .elapsed(node.id)
                    .map_or_else(|| "waiting".to_owned(), seconds),
                Status::Failed => match t.error.as_ref().and_then(|e| e.http_status) {
                    Some(code) => format!("{code} at {size}"),
                    None => "failed".to_owned(),
                },
                other => other.to_string(),
            }
        }
        _ => {
            let images = node.images().count();
            let text = first_words(&node.text(), room);
            if images > 0 {
                format!("{text} +{images}img")
            } else {
                text
            }
        }
    }
}

pub(super) fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let title = format!(
        " {} · {} turns ",
        first_words(&app.title, 24),
        app.conv.len()
    );
    let block = Block::bordered()
        .title(title)
        .border_style(pane_style(app, Focus::Tree));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let all = rows(&app.conv, &app.folded);
    let on_path = app.shown_path();
    let selected_at = app
        .conv
        .selected
        .and_then(|s| all.iter().position(|r| r.id == s))
        .unwrap_or(0);
    let height = usize::from(inner.height);
    // Keep the selected row in view, a third from the bottom when scrolled.
    let offset = (selected_at + 1 + height / 3)
        .saturating_sub(height)
        .min(all.len().saturating_sub(height));
    let lines: Vec<Line<'_>> = all
        .iter()
        .skip(offset)
        .take(height)
        .filter_map(|row| {
            let node = app.conv.node(row.id).ok()?;
            let (g, g_style) = glyph(node);
            let room = usize::from(inner.width).saturating_sub(row.prefix.chars().count() + 2);
            let mut spans = vec![
                Span::styled(row.prefix.clone(), dim()),
                Span::styled(format!("{g} "), g_style),
            ];
            if node.starred {
                spans.push(Span::styled("★ ", Style::new().fg(Color::Yellow)));
            }
            if let Some(label) = &node.label {
                spans.push(Span::styled(
                    format!("[{}] ", first_words(label, 16)),
                    Style::new().fg(Color::Blue),
                ));
            }
            let matched = node.role == Role::User
                && app
                    .search
                    .as_deref()
                    .is_some_and(|q| super::super::search::text_matches(&node.text(), q));
            let style = if matched {
                Style::new()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::UNDERLINED)
            } else {
                Style::new()
            };
            if app.compare_mark == Some(node.id) {
                spans.push(Span::styled("⇄ ", Style::new().fg(Color::Magenta)));
            }
            spans.push(Span::styled(summary(app, node, room), style));
            if app.folded.contains(&node.id) {
                let hidden = app.conv.subtree(node.id).map_or(0, |s| s.len() - 1);
                spans.push(Span::styled(
                    format!(" ▸ +{hidden}"),
                    Style::new().fg(Color::Cyan),
                ));
            }
            let mut line = Line::from(spans);
            if on_path.contains(&row.id) {
                line = line.patch_style(Style::new().add_modifier(Modifier::BOLD));
            } else {
                line = line.patch_style(dim());
            }
            if app.conv.selected == Some(row.id) {
                line = line.patch_style(Style::new().add_modifier(Modifier::REVERSED));
            }
            Some(line)
        })
        .collect();
    if lines.is_empty() {
        frame.render_widget(Paragraph::new("(no turns yet)").style(dim()), inner);
    } else {
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
