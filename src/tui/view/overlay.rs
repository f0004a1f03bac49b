//! Overlays, drawn over the panes: help (generated from the keymap), the
//! size grid, the model list, the variant count, the attach path, yes/no
//! questions, error detail, node info and the full-screen image.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::sanitize;
use pixloom_core::size::{RATIOS, Size, SizeSpec, Tier};
use pixloom_core::tree::{Node, NodeId};

use super::super::action::Action;
use super::super::keymap::{self, Context};
use super::super::scroll::ScrollRoom;
use super::super::state::{App, Overlay, SizeCursor, model_choices};
use super::frame::{fitted_image, frame_box, frame_box_titled, picked};
use super::{Drawn, bold, centered, dim};

/// What `count` variants cost; bold above `confirm_above`.
fn price_line(app: &App, count: usize) -> Line<'static> {
    use crate::budget::usd;
    use pixloom_core::model::PRICE_PER_CALL_MICRO_USD as PRICE;
    let calls = count as u64;
    let price = format!("{calls} × {} = {}", usd(PRICE), usd(calls * PRICE));
    if app.budgets.asks_first(calls) {
        Line::styled(format!("{price} · asks before sending"), bold())
    } else {
        Line::styled(format!("{price} · each a separate billed call"), dim())
    }
}

pub(super) fn draw(frame: &mut Frame<'_>, app: &App, area: Rect, out: &mut Drawn) {
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => out.room = help(frame, app, area, *scroll),
        Overlay::SizePicker { cursor } => size_picker(frame, app, area, *cursor),
        Overlay::ModelPicker { cursor } => model_picker(frame, app, area, *cursor),
        Overlay::Variants { user, count } => {
            let inner = frame_box(
                frame,
                centered(area, 52, 6),
                format!(" variants of {user} "),
            );
            let lines = vec![
                Line::from(vec![
                    Span::raw("How many images?  "),
                    Span::styled(format!("‹ {count} ›"), bold()),
                ]),
                Line::styled(
                    "a digit 1-8 starts that many · h/l change · enter starts",
                    dim(),
                ),
                price_line(app, *count),
                Line::styled("g: a grid across sizes and models instead", dim()),
            ];
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::Input(b) => super::input::input_box(frame, app, area, b),
        Overlay::Gallery { parent, cursor } => {
            super::gallery::gallery(frame, app, area, *parent, *cursor, out);
        }
        Overlay::Compare { left, right } => {
            super::gallery::compare(frame, app, area, *left, *right, out);
        }
        Overlay::ConfirmDelete(id) => {
            let below = app
                .conv
                .subtree(*id)
                .map_or(0, |s| s.len().saturating_sub(1));
            let running = app.conv.subtree(*id).map_or(0, |s| {
                s.iter().filter(|n| app.in_flight.contains_key(n)).count()
            });
            let mut text = format!("Delete {id}");
            if below > 0 {
                text.push_str(&format!(" and {}", crate::tui::update::turns_below(below)));
            }
            text.push('?');
            let mut lines = vec![Line::from(text)];
            let orphans = crate::convfile::orphans::orphaned_by_delete(&app.conv, *id);
            if !orphans.blobs.is_empty() {
                lines.push(Line::from(format!(
                    "It also deletes {} no other turn uses.",
                    orphans.describe()
                )));
            }
            if running > 0 {
                for text in [
                    format!("{running} running request(s) will be cancelled;"),
                    "they may already be billed.".to_owned(),
                ] {
                    lines.push(Line::styled(text, Style::new().fg(Color::Yellow)));
                }
            }
            lines.push(Line::styled("y deletes · n keeps", dim()));
            let inner = frame_box(
                frame,
                centered(area, 64, 2 + u16::try_from(lines.len()).unwrap_or(3)),
                " delete ",
            );
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::ConfirmCancel(id) => super::confirm_cancel::draw(frame, app, area, *id),
        Overlay::ConfirmSpend { user, requests, .. } => {
            let question = crate::budget::Budgets::question(requests.len() as u64);
            let what = if requests.windows(2).all(|w| w[0] == w[1]) {
                "Variants"
            } else {
                "A grid"
            };
            let lines = vec![
                Line::from(format!("{what} of {user}: {question}")),
                Line::styled("y sends · n keeps them unsent", dim()),
            ];
            let inner = frame_box(frame, centered(area, 64, 4), " spend ");
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::ConfirmRerun(q) => super::confirm_rerun::draw(frame, app, area, q),
        Overlay::ConfirmQuit => {
            // Our own words only (ids, times): nothing to sanitise.
            let mut lines = vec![Line::from("Quit anyway? Quitting now:")];
            lines.extend(
                app.quit_losses()
                    .into_iter()
                    .map(|l| Line::from(format!("• {l}"))),
            );
            let store = app.keymap.hint(Context::Confirm, Action::StoreResult);
            lines.push(Line::styled(
                format!("y quits · n stays · {store} stores (after freeing space)"),
                dim(),
            ));
            // Two rows per line leaves room for wrapping, plus the border.
            let height = u16::try_from(lines.len() * 2 + 2).unwrap_or(u16::MAX);
            let inner = frame_box(frame, centered(area, 72, height), " quit ");
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
        Overlay::ErrorDetail { id, scroll } => {
            if let Some(d) = super::details::error_detail(app, area, *id) {
                out.room = d.draw(frame, app, area, *scroll);
            }
        }
        Overlay::NodeInfo { id, scroll } => {
            if let Some(d) = super::details::node_info(app, area, *id) {
                out.room = d.draw(frame, app, area, *scroll);
            }
        }
        Overlay::ImageView(id) => image_view(frame, app, area, *id, out),
    }
}

/// Whether help lists `ctx` in the app (or in a replay).
pub(super) fn help_shows(ctx: Context, replay: bool) -> bool {
    match ctx {
        Context::Replay => replay,
        // Before any conversation is open: docs/keys.md lists it.
        Context::Start => false,
        Context::Browse
        | Context::Tree
        | Context::Composer
        | Context::Picker
        | Context::Confirm => !replay,
        Context::Gallery | Context::Dialog | Context::Input | Context::Global => true,
    }
}

/// Help flows the keymap's sections into as many balanced columns as
/// fit; when they are still too long, all columns scroll together.
/// Returns the room it scrolls in.
fn help(frame: &mut Frame<'_>, app: &App, area: Rect, scroll: usize) -> ScrollRoom {
    // The keys of this screen: a replay lists its own, the app all but
    // the replay's (docs/keys.md has everything).
    let sections: Vec<_> = app
        .keymap
        .help_sections()
        .into_iter()
        .filter(|(ctx, _)| help_shows(*ctx, app.replay.is_some()))
        .collect();
    let key_w = sections
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(8)
        + 2;
    let mut lines: Vec<Line<'_>> = Vec::new();
    for (ctx, rows) in sections {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::styled(ctx.title(), bold().fg(Color::Cyan)));
        for (keys, action) in rows {
            lines.push(Line::from(vec![
                Span::styled(format!("{keys:<key_w$}"), bold()),
                Span::raw(keymap::describe(ctx, action)),
            ]));
        }
    }
    let col_w = lines.iter().map(Line::width).max().unwrap_or(40) + 3;
    let outer = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    let cols = (usize::from(outer.width.saturating_sub(2)) / col_w).max(1);
    let per_col = lines.len().div_ceil(cols).max(1);
    let room = ScrollRoom::of(per_col, usize::from(outer.height.saturating_sub(2)));
    let scroll = scroll.min(room.max);
    let title = match room.position(scroll) {
        Some(at) => format!(" keys · {at} · esc closes "),
        None => " keys · esc closes ".to_owned(),
    };
    let bottom = super::details::scroll_keys(app, room, scroll);
    let inner = frame_box_titled(frame, outer, title, bottom);
    for (c, chunk) in lines.chunks(per_col).enumerate().take(cols) {
        let x = inner.x + u16::try_from(c * col_w).unwrap_or(u16::MAX);
        let w = (inner.x + inner.width)
            .saturating_sub(x)
            .min(u16::try_from(col_w).unwrap_or(u16::MAX));
        let shown: Vec<Line<'_>> = chunk.iter().skip(scroll).cloned().collect();
        frame.render_widget(
            Paragraph::new(shown),
            Rect {
                x,
                width: w,
                ..inner
            },
        );
    }
    room
}

fn size_picker(frame: &mut Frame<'_>, app: &App, area: Rect, cursor: SizeCursor) {
    let inner = frame_box(frame, centered(area, 56, 17), " output size ");
    // Brackets mark the cursor and a star the size in use, so both show
    // without colour too.
    let model = &app.composer.params.model;
    // Sizes the model in use cannot make (gpt-image-2-all: no 4K) are
    // dimmed: sending one is refused.
    let cell = |text: String, on: bool, current: bool, makes: bool| {
        let mut style = match (on, makes) {
            (true, _) => picked(),
            (false, true) => Style::new(),
            (false, false) => dim(),
        };
        if current {
            style = style.add_modifier(Modifier::BOLD).fg(Color::Green);
        }
        let star = if current { "*" } else { "" };
        let text = if on {
            format!("[{text}{star}]")
        } else {
            format!("{text}{star}")
        };
        Span::styled(format!("{text:^14}"), style)
    };
    let current = app.composer.params.size;
    let mut lines = vec![Line::from(
        std::iter::once(Span::styled(format!("{:<8}", "ratio"), dim()))
            .chain(
                Tier::ALL
                    .iter()
                    .map(|t| Span::styled(format!("{:^14}", t.label()), dim())),
            )
            .collect::<Vec<_>>(),
    )];
    lines.push(Line::from(vec![
        Span::raw(format!("{:<8}", "")),
        cell(
            "auto".to_owned(),
            cursor.row == 0,
            current == SizeSpec::Auto,
            true,
        ),
    ]));
    for (i, ratio) in RATIOS.iter().enumerate() {
        let mut spans = vec![Span::raw(format!("{:<8}", ratio.to_string()))];
        for (c, tier) in Tier::ALL.iter().enumerate() {
            let size = Size::of(*ratio, *tier);
            spans.push(cell(
                size.to_string(),
                cursor.row == i + 1 && cursor.col == c,
                current == SizeSpec::Exact(size),
                pixloom_core::model::cannot_make(model, SizeSpec::Exact(size)).is_none(),
            ));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
    let note = if pixloom_core::model::takes_size(model) {
        "hjkl move · enter picks · 4K fails more often upstream"
    } else {
        "in the prompt, up to 2K · 4K needs gpt-image-2-vip"
    };
    lines.push(Line::styled(note, dim()));
    frame.render_widget(Paragraph::new(lines), inner);
}

fn model_picker(frame: &mut Frame<'_>, app: &App, area: Rect, cursor: usize) {
    let choices = model_choices(&app.composer.params);
    let h = u16::try_from(choices.len()).unwrap_or(8) + 4;
    let inner = frame_box(frame, centered(area, 56, h), " model and endpoint ");
    let mut lines: Vec<Line<'_>> = choices
        .iter()
        .enumerate()
        .map(|(i, (model, endpoint))| {
            let what = match endpoint {
                pixloom_core::tree::Endpoint::Chat => "chat: whole history",
                pixloom_core::tree::Endpoint::Images => "images: generations/edits",
            };
            let text = format!(" {:<22} {what} ", sanitize::line(model));
            Line::styled(
                text,
                if i == cursor.min(choices.len() - 1) {
                    picked()
                } else {
                    Style::new()
                },
            )
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::styled("j/k move · enter picks", dim()));
    frame.render_widget(Paragraph::new(lines), inner);
}

fn image_view(frame: &mut Frame<'_>, app: &App, area: Rect, id: NodeId, out: &mut Drawn) {
    let Ok(node) = app.conv.node(id) else { return };
    let Some(img) = node.images().next() else {
        return;
    };
    let title = format!(
        " {id} · {}x{} · esc closes ",
        img.original.width, img.original.height
    );
    let inner = frame_box(frame, area, title);
    view_image(frame, app, node, inner, out);
}

/// The node's first image fitted into `inner`; until it is decoded its
/// size (and, full screen, the key that closes).
pub(super) fn view_image(
    frame: &mut Frame<'_>,
    app: &App,
    node: &Node,
    inner: Rect,
    out: &mut Drawn,
) {
    fitted_image(frame, app, node, inner, out, true);
}
