//! The presenter with kitty Unicode placeholders (inside tmux): each
//! picture sent once through passthrough, never placed, never re-sent
//! when it moves; and the picture drawn as placeholder text.

use std::sync::Arc;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;

use super::*;
use crate::tui::graphics::encoded::EncodedPictures;
use crate::tui::graphics::encoded::to_print;
use crate::tui::graphics::{ThumbSpec, placeholder};
use crate::tui::thumbs::Thumb;

fn placeholder_thumb(rgb: [u8; 3]) -> Arc<Thumb> {
    let spec = ThumbSpec {
        backend: GraphicsBackend::Kitty,
        cell_px: (2, 4),
        route: Route::Placeholders,
        ..ThumbSpec::default()
    };
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb(rgb));
    Arc::new(Thumb::from_small(img, None, 4, 2, &spec))
}

fn presenter() -> Presenter {
    Presenter::new(&Detected {
        backend: GraphicsBackend::Kitty,
        cell_px: Some((2, 4)),
        route: Route::Placeholders,
        passthrough: true,
        ..Detected::default()
    })
}

/// One frame with `t` drawn at row `y` from its row `first`: the buffer
/// and what the presenter wrote.
fn frame(t: &Thumb, y: u16, first: u16, pr: &mut Presenter) -> (Buffer, String) {
    let mut buf = Buffer::empty(Rect::new(0, 0, 20, 10));
    let placed = t.render(first, Rect::new(2, y, 4, 2), &mut buf);
    let (print, jobs) = to_print(
        placed.into_iter().collect(),
        &mut buf,
        GraphicsBackend::Kitty,
        Route::Placeholders,
        &EncodedPictures::default(),
    );
    assert!(jobs.is_empty(), "nothing to encode for placeholders");
    let mut out = Vec::new();
    pr.present(&print, buf.area, &mut out).expect("present");
    (buf, String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn the_picture_is_placeholder_text_in_the_buffer() {
    let t = placeholder_thumb([200, 10, 10]);
    let (buf, _) = frame(&t, 3, 0, &mut presenter());
    let id = placeholder::image_id(t.id);
    for (row, y) in [(0u16, 3u16), (1, 4)] {
        for col in 0..4u16 {
            let cell = &buf[(2 + col, y)];
            let mut want = Buffer::empty(Rect::new(0, 0, 1, 1));
            placeholder::set_cell(&mut want[(0, 0)], id, row, col);
            assert_eq!(cell.symbol(), want[(0, 0)].symbol(), "({col}, {y})");
            assert_eq!(cell.fg, placeholder::color(id));
            assert!(!cell.skip, "text: the diff writes it like any other");
        }
    }
    // Scrolled by a row: the picture's second row is drawn first.
    let (buf, _) = frame(&t, 3, 1, &mut presenter());
    assert!(buf[(2, 3)].symbol().contains(placeholder::DIACRITICS[1]));
    assert_eq!(buf[(2, 4)].fg, Color::Reset, "one row left: nothing below");
}

#[test]
fn a_picture_is_sent_once_wrapped_with_its_virtual_placement_and_moves_for_free() {
    let t = placeholder_thumb([10, 200, 10]);
    let mut pr = presenter();
    let (_, first) = frame(&t, 2, 0, &mut pr);
    let id = placeholder::image_id(t.id);
    assert!(
        first.starts_with(&format!(
            "\x1bPtmux;\x1b\x1b_Ga=T,U=1,f=100,t=d,i={id},c=4,r=2,q=2,m=0;"
        )),
        "{first:?}"
    );
    assert!(first.ends_with("\x1b\x1b\\\x1b\\"), "{first:?}");
    assert!(!first.contains("a=p"), "never placed: the text places it");
    // Moved (j/k, a scroll), cropped, drawn again: no byte.
    for (y, row) in [(2, 0), (5, 0), (3, 1), (2, 0)] {
        let (_, out) = frame(&t, y, row, &mut pr);
        assert_eq!(out, "", "at row {y} from {row}");
    }
    // A resize or clear (another screen) may have cost kitty the picture.
    let mut out = Vec::new();
    let mut buf = Buffer::empty(Rect::new(0, 0, 30, 12));
    let placed = t.render(0, Rect::new(2, 2, 4, 2), &mut buf);
    pr.present(&placed.into_iter().collect::<Vec<_>>(), buf.area, &mut out)
        .expect("present");
    assert!(String::from_utf8_lossy(&out).contains("a=T,U=1"));
}

#[test]
fn without_passthrough_the_sequences_go_as_they_are() {
    let t = placeholder_thumb([10, 10, 200]);
    let mut pr = Presenter::new(&Detected {
        backend: GraphicsBackend::Kitty,
        route: Route::Placeholders,
        ..Detected::default()
    });
    let (_, out) = frame(&t, 2, 0, &mut pr);
    assert!(out.starts_with("\x1b_Ga=T,U=1"), "{out:?}");
    assert!(!out.contains("tmux;"));
}
