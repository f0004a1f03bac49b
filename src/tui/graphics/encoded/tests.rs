//! Sixel pictures are encoded once, off the draw: a frame prints only
//! what is in the cache (a placeholder until then), a redraw or a move
//! never asks for the same picture again.

use std::sync::Arc;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::*;
use crate::tui::fixtures::branched;
use crate::tui::graphics::detect::Detected;
use crate::tui::graphics::print::Presenter;
use crate::tui::graphics::{GraphicsBackend, Route, ThumbSpec};
use crate::tui::thumbs::Thumb;
use crate::tui::update::{Effect, drawn, update};
use crate::tui::view::Drawn;
use crate::tui::{Event, Msg};

/// A 4×2-cell picture at 2×4 pixels a cell, as made for sixel.
fn sixel_thumb() -> Thumb {
    let spec = ThumbSpec {
        backend: GraphicsBackend::Sixel,
        cell_px: (2, 4),
        ..ThumbSpec::default()
    };
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb([200, 30, 30]));
    Thumb::from_small(img, None, 4, 2, &spec)
}

fn sixel_presenter() -> Presenter {
    Presenter::new(&Detected {
        backend: GraphicsBackend::Sixel,
        truecolor: true,
        cell_px: Some((2, 4)),
        why: String::new(),
        ..Detected::default()
    })
}

/// One frame: the thumbnail drawn at row `y`, what the printer is given
/// and the jobs left, and what it wrote.
fn frame(
    t: &Thumb,
    y: u16,
    cache: &EncodedPictures,
    pr: &mut Presenter,
) -> (Buffer, Vec<EncodeJob>, String) {
    let mut buf = Buffer::empty(Rect::new(0, 0, 20, 10));
    let placed = t.render(0, Rect::new(2, y, 4, 2), &mut buf);
    let (print, jobs) = to_print(
        placed.into_iter().collect(),
        &mut buf,
        GraphicsBackend::Sixel,
        Route::Printed,
        cache,
    );
    let mut out = Vec::new();
    pr.present(&print, buf.area, &mut out).expect("present");
    (buf, jobs, String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn a_sixel_is_printed_from_the_cache_and_never_encoded_while_drawing() {
    let t = sixel_thumb();
    let mut cache = EncodedPictures::default();
    let mut pr = sixel_presenter();

    // Not encoded yet: nothing printed, the half-blocks stay (the cells
    // are not skipped), one job.
    let (buf, jobs, out) = frame(&t, 2, &cache, &mut pr);
    assert!(
        out.is_empty(),
        "nothing printed before it is encoded: {out:?}"
    );
    assert!(!buf[(2, 2)].skip, "the placeholder is drawn by ratatui");
    assert_eq!(buf[(2, 2)].symbol(), "▀");
    assert_eq!(jobs.len(), 1);
    let key = jobs[0].key;
    assert_eq!(cache.want(&jobs).len(), 1, "asked for once");
    // Drawn again while it encodes: not asked for again.
    let (_, again, _) = frame(&t, 2, &cache, &mut pr);
    assert_eq!(again, jobs);
    assert!(cache.want(&again).is_empty(), "already encoding");

    // Ready: printed as cached, byte for byte (a stand-in text: had the
    // printer encoded anything itself, a real sixel would show).
    cache.insert(key, Ok(Arc::from("SIXEL-TEXT")));
    let (buf, jobs, out) = frame(&t, 2, &cache, &mut pr);
    assert!(jobs.is_empty());
    assert!(buf[(2, 2)].skip, "the printed picture's cells are skipped");
    assert!(out.contains("\x1b[3;3HSIXEL-TEXT"), "{out:?}");

    // The same screen again: nothing written, nothing asked for.
    let (_, jobs, out) = frame(&t, 2, &cache, &mut pr);
    assert!(jobs.is_empty() && out.is_empty(), "{out:?}");

    // Moved (j/k scrolled it a row): the same text at the new place.
    let (_, jobs, out) = frame(&t, 3, &cache, &mut pr);
    assert!(jobs.is_empty(), "a move is not a new picture");
    assert!(out.contains("\x1b[4;3HSIXEL-TEXT"), "{out:?}");
}

#[test]
fn update_asks_for_each_sixel_once_and_keeps_what_arrives() {
    let t = sixel_thumb();
    let mut buf = Buffer::empty(Rect::new(0, 0, 20, 10));
    let placed = t.render(0, Rect::new(2, 2, 4, 2), &mut buf);
    let (_, jobs) = to_print(
        placed.into_iter().collect(),
        &mut buf,
        GraphicsBackend::Sixel,
        Route::Printed,
        &EncodedPictures::default(),
    );
    let frame = Drawn {
        encode_jobs: jobs.clone(),
        ..Drawn::default()
    };
    let mut app = branched();
    assert_eq!(
        drawn(&mut app, &frame),
        vec![Effect::EncodePicture(jobs[0].clone())]
    );
    assert!(drawn(&mut app, &frame).is_empty(), "the next frame waits");
    let key = jobs[0].key;
    let fx = update(
        &mut app,
        Msg::Event(Event::PictureEncoded {
            key,
            text: Ok(Arc::from("S")),
        }),
    );
    assert!(fx.is_empty());
    assert_eq!(app.encoded.get(&key).map(|s| &**s), Some("S"));
}

#[test]
fn encoding_makes_a_sixel_of_the_part_shown() {
    let t = sixel_thumb();
    let pixels = t.pixels.clone().expect("a sixel thumbnail carries pixels");
    let whole = PictureKey {
        id: t.id,
        first_row: 0,
        cols: 4,
        rows: 2,
    };
    let s = encode(&EncodeJob {
        key: whole,
        pixels: Arc::clone(&pixels),
        backend: GraphicsBackend::Sixel,
    })
    .expect("encoded");
    assert!(s.starts_with("\x1bP") && s.ends_with("\x1b\\"), "{s:?}");
    // 8×8 pixels, sent as whole 6-pixel bands: 8×6 (tmux would give a
    // partial last band a whole cell row more).
    assert!(s.contains("\"1;1;8;6"), "8×6 pixels: {s:?}");
    let lower = PictureKey {
        first_row: 1,
        rows: 1,
        ..whole
    };
    let s = encode(&EncodeJob {
        key: lower,
        pixels,
        backend: GraphicsBackend::Sixel,
    })
    .expect("encoded");
    assert!(s.contains("\"1;1;8;4"), "the lower row only: {s:?}");
}

#[test]
fn in_whole_bands_register_zero_is_the_background() {
    // 8×8 pixels make 6 rows of sixel: what tmux leaves below is painted
    // in register 0, which must then be the terminal's background.
    let spec = ThumbSpec {
        backend: GraphicsBackend::Sixel,
        cell_px: (2, 4),
        backdrop: Some([255, 255, 255]),
        ..ThumbSpec::default()
    };
    let img = image::RgbImage::from_fn(8, 8, |_, y| {
        image::Rgb(if y < 4 { [200, 0, 0] } else { [0, 0, 200] })
    });
    let t = Thumb::from_small(img, None, 4, 2, &spec);
    let s = encode(&EncodeJob {
        key: PictureKey {
            id: t.id,
            first_row: 0,
            cols: 4,
            rows: 2,
        },
        pixels: t.pixels.clone().expect("pixels"),
        backend: GraphicsBackend::Sixel,
    })
    .expect("encoded");
    assert!(s.contains("\"1;1;8;6"), "{s:?}");
    let zero: Vec<u32> = s
        .split("#0;2;")
        .nth(1)
        .expect("register 0 defined")
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|v| v.parse().expect("percent"))
        .collect();
    assert!(
        zero.iter().all(|&v| v >= 90),
        "register 0 is (nearly) white: {zero:?} in {s:?}"
    );
    // Every register still defined once, and used.
    let defined = s.matches(";2;").count();
    assert!(defined >= 3, "red, blue and white: {s:?}");
}
