use std::collections::HashMap;
use std::sync::Arc;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;

use super::detect::{Replies, decide, parse_replies, truecolor};
use super::print::Presenter;
use super::*;
use crate::tui::thumbs::{Thumb, ansi256};

pub(super) fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| m.get(k).cloned()
}

// Replies as terminals send them (captured shapes).
const XTERM_VT340: &[u8] = b"\x1b[?63;1;2;4;6;9;15;16;22;28c";
const XTERM_PLAIN: &[u8] = b"\x1b[?64;1;2;6;9;15;16;17;18;21;22;28c";
const KITTY: &[u8] = b"\x1b_Gi=31;OK\x1b\\\x1b[6;18;9t\x1bP>|kitty(0.35.2)\x1b\\\x1b[?62;c";
const FOOT: &[u8] = b"\x1bP>|foot(1.16.2)\x1b\\\x1b[?62;4;22c";
const WEZTERM: &[u8] = b"\x1bP>|WezTerm 20240203-110809-5046fc22\x1b\\\x1b[?65;4;6;18;22c";
const TMUX: &[u8] = b"\x1bP>|tmux 3.4\x1b\\\x1b[?1;2;4c";
const KITTY_ERROR: &[u8] = b"\x1b_Gi=31;EINVAL:bad\x1b\\\x1b[?62;c";

#[test]
fn replies_are_parsed_whatever_their_order_and_noise() {
    let r = parse_replies(KITTY);
    assert!(r.kitty);
    assert_eq!(r.cell_px, Some((9, 18)));
    assert_eq!(r.version.as_deref(), Some("kitty(0.35.2)"));
    assert_eq!(r.da1, Some(vec![62]));
    assert!(!r.sixel());

    let r = parse_replies(XTERM_VT340);
    assert!(r.sixel() && !r.kitty && r.version.is_none());
    assert!(!parse_replies(XTERM_PLAIN).sixel());
    assert!(!parse_replies(KITTY_ERROR).kitty);
    // A key typed during the probe, and a reply cut before its end.
    let r = parse_replies(b"j\x1b[?62;4c\x1b[6;1");
    assert!(r.sixel());
    assert_eq!(parse_replies(b""), Replies::default());
    // "4" as the device class is not sixel.
    assert!(!parse_replies(b"\x1b[?4;6c").sixel());
}

#[test]
fn the_cell_size_comes_from_the_best_answer_there_is() {
    use super::detect::{WinSize, cell_size};
    let ws = |cells, pixels| Some(WinSize { cells, pixels });
    // (replies, TIOCGWINSZ, cell size)
    type Case = (&'static [u8], Option<WinSize>, Option<(u16, u16)>);
    let cases: Vec<Case> = vec![
        // kitty answers CSI 16 t: that wins.
        (KITTY, ws((100, 40), Some((800, 680))), Some((9, 18))),
        // xterm ignores it but fills TIOCGWINSZ's pixels.
        (XTERM_VT340, ws((130, 40), Some((1040, 680))), Some((8, 17))),
        // No pixels from the kernel (some SSH servers, mosh): CSI 14 t.
        (
            b"\x1b[4;680;1040t\x1b[?62;4c",
            ws((130, 40), None),
            Some((8, 17)),
        ),
        (b"\x1b[4;680;1040t\x1b[?62;4c", None, None),
        (XTERM_PLAIN, ws((80, 24), None), None),
        // Nonsense is ignored.
        (b"\x1b[4;0;0t\x1b[6;0;9t", ws((80, 24), None), None),
        (b"\x1b[4;10;10t", ws((80, 24), None), None),
    ];
    for (i, (bytes, size, want)) in cases.iter().enumerate() {
        assert_eq!(cell_size(&parse_replies(bytes), *size), *want, "case {i}");
    }
}

#[test]
fn terminals_that_name_themselves_get_time_to_answer() {
    use super::detect::{TIMEOUT, TIMEOUT_NAMED, timeout};
    let cases: &[(&[(&str, &str)], std::time::Duration)] = &[
        (
            &[("TERM", "xterm-kitty"), ("KITTY_WINDOW_ID", "1")],
            TIMEOUT_NAMED,
        ),
        // Over SSH kitty's TERM is often kept (terminfo installed).
        (&[("TERM", "xterm-kitty")], TIMEOUT_NAMED),
        (
            &[("TERM", "xterm-256color"), ("XTERM_VERSION", "XTerm(379)")],
            TIMEOUT_NAMED,
        ),
        (&[("TERM", "xterm"), ("MLTERM", "3.9.3")], TIMEOUT_NAMED),
        (
            &[("TERM", "xterm-256color"), ("KONSOLE_VERSION", "221203")],
            TIMEOUT_NAMED,
        ),
        (&[("TERM", "xterm-256color")], TIMEOUT),
        (&[("TERM", "vt220")], TIMEOUT),
        (&[], TIMEOUT),
        (
            &[("TERM", "xterm-256color"), ("KITTY_WINDOW_ID", "")],
            TIMEOUT,
        ),
    ];
    for (env, want) in cases {
        assert_eq!(timeout(&env_of(env)), *want, "{env:?}");
    }
}

#[test]
fn a_new_cell_size_remakes_the_spec_only_when_it_changed() {
    let kitty = ThumbSpec {
        backend: GraphicsBackend::Kitty,
        cell_px: (8, 17),
        cell_shape: (8, 17),
        ..ThumbSpec::default()
    };
    let sixel = ThumbSpec {
        backend: GraphicsBackend::Sixel,
        ..kitty.clone()
    };
    // (spec, new cell, new (cell_shape, cell_px) or unchanged)
    type Case = (ThumbSpec, (u16, u16), Option<((u16, u16), (u16, u16))>);
    let cases: Vec<Case> = vec![
        (kitty.clone(), (8, 17), None),
        (kitty.clone(), (0, 17), None),
        // A font zoom: kitty's picture keeps the shape within 10×20.
        (kitty.clone(), (10, 22), Some(((10, 22), (9, 20)))),
        (kitty.clone(), (6, 13), Some(((6, 13), (6, 13)))),
        // Sixel pixels are screen pixels: the real cell.
        (sixel.clone(), (10, 22), Some(((10, 22), (10, 22)))),
        (sixel, (8, 17), None),
    ];
    for (i, (spec, cell, want)) in cases.into_iter().enumerate() {
        let got = spec.with_cell(cell).map(|s| (s.cell_shape, s.cell_px));
        assert_eq!(got, want, "case {i}");
    }
}

#[test]
fn decision_table() {
    use GraphicsBackend::{Blocks, Iterm, Kitty, None as Off, Sixel};
    // (environment, replies, backend, truecolor)
    type Case = (
        &'static [(&'static str, &'static str)],
        &'static [u8],
        GraphicsBackend,
        bool,
    );
    let cases: &[Case] = &[
        // Local terminals, environment intact.
        (
            &[("TERM", "xterm-kitty"), ("KITTY_WINDOW_ID", "1")],
            KITTY,
            Kitty,
            true,
        ),
        (
            &[("TERM_PROGRAM", "iTerm.app"), ("COLORTERM", "truecolor")],
            b"\x1b[?62;4c",
            Iterm,
            true,
        ),
        // xterm with no hint of 24-bit colour: the 256-colour palette.
        (&[("TERM", "xterm")], XTERM_VT340, Sixel, false),
        (&[("TERM", "foot")], FOOT, Sixel, true),
        (&[("TERM", "xterm-256color")], WEZTERM, Iterm, true),
        // Over SSH: no TERM_PROGRAM, KITTY_WINDOW_ID or COLORTERM.
        (&[("TERM", "xterm-256color")], KITTY, Kitty, true),
        (
            &[("TERM", "xterm-256color"), ("LC_TERMINAL", "iTerm2")],
            b"\x1b[?62;4c",
            Iterm,
            true,
        ),
        (&[("TERM", "xterm-256color")], XTERM_PLAIN, Blocks, false),
        // Environment says kitty but nothing answered: not trusted.
        (&[("KITTY_WINDOW_ID", "3")], b"", Blocks, true),
        (&[("TERM", "xterm-256color")], b"", Blocks, false),
        // tmux: half-blocks even when the outer terminal is kitty or
        // tmux itself announces sixel; tmux converts 24-bit colour.
        (
            &[
                ("TMUX", "/tmp/tmux-0/default,1,0"),
                ("TERM", "tmux-256color"),
            ],
            TMUX,
            Blocks,
            true,
        ),
        (
            &[("TMUX", "/tmp/x,1,0"), ("KITTY_WINDOW_ID", "1")],
            KITTY,
            Blocks,
            true,
        ),
        // Over SSH from inside tmux: only TERM (or XTVERSION) tells.
        (&[("TERM", "screen-256color")], XTERM_VT340, Blocks, false),
        (&[("TERM", "xterm-256color")], TMUX, Blocks, true),
        (&[("TERM", "dumb")], b"", Off, false),
        (&[("TERM", "xterm-direct")], XTERM_PLAIN, Blocks, true),
        (&[("COLORTERM", "24bit")], XTERM_PLAIN, Blocks, true),
        (&[("VTE_VERSION", "7200")], XTERM_PLAIN, Blocks, true),
    ];
    for (i, (env, bytes, backend, tc)) in cases.iter().enumerate() {
        let env = env_of(env);
        let d = decide(&env, &parse_replies(bytes), None);
        assert_eq!(
            (d.backend, d.truecolor),
            (*backend, *tc),
            "case {i}: {}",
            d.why
        );
    }
    // Over SSH, XTVERSION naming a 24-bit terminal is enough.
    let named = parse_replies(b"\x1bP>|XTerm(388)\x1b\\\x1b[?63;4c");
    assert!(truecolor(&env_of(&[]), &named));
    assert!(!truecolor(&env_of(&[]), &parse_replies(XTERM_VT340)));
}

#[test]
fn choices_parse_and_name_themselves() {
    for s in ["kitty", "iterm", "sixel", "blocks", "none"] {
        let b: GraphicsBackend = s.parse().expect(s);
        assert_eq!(b.name(), s);
        assert_eq!(s.parse::<GraphicsChoice>(), Ok(GraphicsChoice::Force(b)));
    }
    assert_eq!("auto".parse::<GraphicsChoice>(), Ok(GraphicsChoice::Auto));
    assert!("ascii".parse::<GraphicsChoice>().is_err());
}

#[test]
fn ansi256_maps_to_the_xterm_cube_and_greys() {
    for (rgb, index) in [
        ([0, 0, 0], 16),
        ([255, 255, 255], 231),
        ([255, 0, 0], 196),
        ([0, 255, 0], 46),
        ([0, 0, 255], 21),
        ([95, 135, 175], 67),
        ([128, 128, 128], 244),
        ([8, 8, 8], 232),
        ([238, 238, 238], 255),
        ([250, 128, 114], 209), // salmon
    ] {
        assert_eq!(ansi256(rgb), index, "{rgb:?}");
    }
}

#[test]
fn half_blocks_use_the_palette_without_truecolor() {
    let spec = ThumbSpec {
        truecolor: false,
        ..ThumbSpec::default()
    };
    let img = image::RgbImage::from_pixel(2, 2, image::Rgb([255, 0, 0]));
    let t = Thumb::from_small(img, None, 2, 1, &spec);
    let mut buf = Buffer::empty(Rect::new(0, 0, 2, 1));
    assert!(
        t.render(0, buf.area, &mut buf).is_none(),
        "nothing to place"
    );
    assert_eq!(buf[(0, 0)].fg, Color::Indexed(196));
    assert!(t.pixels.is_none(), "half-blocks carry no picture");
}

fn shown(id: u64, y: u16, first_row: u16) -> Shown {
    Shown {
        id,
        area: Rect::new(2, y, 10, 4),
        first_row,
    }
}

#[test]
fn only_what_changed_is_printed() {
    let a = shown(1, 2, 0);
    let b = shown(2, 8, 0);
    // First frame (or a resize): everything.
    assert_eq!(
        plan(&[], &[a, b], true),
        Plan {
            remove: vec![],
            print: vec![a, b]
        }
    );
    // Same frame again (selection moved, a key typed, a spinner): nothing.
    assert_eq!(plan(&[a, b], &[a, b], false), Plan::default());
    // Scrolled by one row: both moved, so both go and come back.
    let (a2, b2) = (shown(1, 1, 0), shown(2, 7, 0));
    let p = plan(&[a, b], &[a2, b2], false);
    assert_eq!((p.remove, p.print), (vec![a, b], vec![a2, b2]));
    // Half scrolled out: same place, other first row, printed again.
    let a3 = shown(1, 2, 1);
    assert_eq!(plan(&[a], &[a3], false).print, vec![a3]);
    // New content in the same place.
    let c = shown(3, 2, 0);
    let p = plan(&[a, b], &[c, b], false);
    assert_eq!((p.remove, p.print), (vec![a], vec![c]));
    // An overlay hid one (it is not in this frame's list) then closed.
    assert_eq!(plan(&[a, b], &[b], false).remove, vec![a]);
    assert_eq!(plan(&[b], &[a, b], false).print, vec![a]);
    // Resize with the same placements: all printed again.
    assert_eq!(plan(&[a, b], &[a, b], true).print, vec![a, b]);
}

fn pixel_thumb(cols: u16, rows: u16, rgb: [u8; 3]) -> Arc<Thumb> {
    let spec = ThumbSpec {
        backend: GraphicsBackend::Kitty,
        cell_px: (2, 4),
        ..ThumbSpec::default()
    };
    let img =
        image::RgbImage::from_pixel(u32::from(cols) * 2, u32::from(rows) * 4, image::Rgb(rgb));
    Arc::new(Thumb::from_small(img, None, cols, rows, &spec))
}

#[test]
fn skip_marks_exactly_the_shown_cells() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 20, 10));
    mark_skip(&mut buf, &[shown(1, 2, 0)]);
    for y in 0..10 {
        for x in 0..20 {
            let inside = (2..12).contains(&x) && (2..6).contains(&y);
            assert_eq!(buf[(x, y)].skip, inside, "({x},{y})");
        }
    }
    // Skipped cells are left out of ratatui's diff; a cell that stops
    // being skipped differs from the previous frame's, so it is redrawn.
    let prev = buf.clone();
    let next = Buffer::empty(buf.area);
    let redrawn = prev.diff(&next).len();
    assert_eq!(redrawn, 40);
    assert!(buf.diff(&prev).is_empty());
}

#[test]
fn recorded_placements_drop_covered_and_last_row_ones() {
    let t = pixel_thumb(6, 3, [200, 10, 10]);
    let u = pixel_thumb(4, 2, [10, 200, 10]);
    let mut buf = Buffer::empty(Rect::new(0, 0, 30, 12));
    let placed: Vec<Placed> = [
        t.render(0, Rect::new(1, 1, 10, 3), &mut buf),
        // Half scrolled out at the top: rows 1.. of it.
        t.render(1, Rect::new(12, 0, 6, 5), &mut buf),
        u.render(0, Rect::new(1, 6, 4, 2), &mut buf),
        // Touching the last row.
        u.render(0, Rect::new(20, 10, 4, 2), &mut buf),
    ]
    .into_iter()
    .flatten()
    .collect();
    // An overlay drawn over the third.
    buf[(2, 7)].set_symbol("x");
    assert_eq!(placed.len(), 4);
    assert_eq!(
        placed[0].shown.area,
        Rect::new(1, 1, 6, 3),
        "clipped to the picture"
    );
    assert_eq!(placed[1].shown.area, Rect::new(12, 0, 6, 2));
    assert_eq!(placed[1].shown.first_row, 1);
    let vis = visible(placed, &buf);
    let areas: Vec<Rect> = vis.iter().map(|p| p.shown.area).collect();
    assert_eq!(areas, vec![Rect::new(1, 1, 6, 3), Rect::new(12, 0, 6, 2)]);
    assert_ne!(vis[0].shown.id, u.id);
    // The view draws row by row: rows of one picture merge into one
    // placement, unless something covers a row in between.
    let mut buf = Buffer::empty(Rect::new(0, 0, 30, 12));
    let rows: Vec<Placed> = (0..3)
        .filter_map(|r| t.render(r, Rect::new(1, 2 + r, 10, 1), &mut buf))
        .collect();
    let merged = visible(rows.clone(), &buf);
    assert_eq!(merged.len(), 1);
    assert_eq!(
        (merged[0].shown.area, merged[0].shown.first_row),
        (Rect::new(1, 2, 6, 3), 0)
    );
    buf[(3, 3)].set_symbol("│");
    let split: Vec<(u16, u16)> = visible(rows, &buf)
        .iter()
        .map(|p| (p.shown.area.y, p.shown.first_row))
        .collect();
    assert_eq!(split, vec![(2, 0), (4, 2)]);
    // Half-blocks only: nothing to place.
    let blocks = Thumb::from_cells(2, 1, vec![([1, 2, 3], [4, 5, 6]); 2]);
    assert!(blocks.render(0, Rect::new(0, 0, 2, 1), &mut buf).is_none());
}

/// A kitty presenter for pictures made at 2×4 pixels per cell.
fn kitty_presenter() -> Presenter {
    Presenter::new(&detect::Detected {
        backend: GraphicsBackend::Kitty,
        truecolor: true,
        cell_px: Some((2, 4)),
        why: String::new(),
        ..detect::Detected::default()
    })
}

#[test]
fn kitty_sends_each_picture_once_and_moves_it_by_id() {
    let t = pixel_thumb(4, 2, [1, 2, 3]);
    let mut buf = Buffer::empty(Rect::new(0, 0, 20, 10));
    let frame = |buf: &mut Buffer, y: u16| {
        *buf = Buffer::empty(Rect::new(0, 0, 20, 10));
        let placed = t.render(0, Rect::new(2, y, 4, 2), buf);
        visible(placed.into_iter().collect(), buf)
    };
    let mut pr = kitty_presenter();
    let mut out = Vec::new();
    let placed = frame(&mut buf, 2);
    pr.present(&placed, buf.area, &mut out).expect("present");
    let first = String::from_utf8_lossy(&out).into_owned();
    assert!(first.contains("a=t,f=100"), "{first}");
    assert!(
        first.contains("a=p,i=1,p=2,x=0,y=0,w=8,h=8,c=4,r=2,C=1,q=2"),
        "{first}"
    );
    // Same frame: nothing at all is written.
    out.clear();
    pr.present(&placed, buf.area, &mut out).expect("present");
    assert!(out.is_empty());
    // Scrolled: the old placement deleted, the image placed again by id.
    let placed = frame(&mut buf, 3);
    pr.present(&placed, buf.area, &mut out).expect("present");
    let moved = String::from_utf8_lossy(&out).into_owned();
    assert!(!moved.contains("a=t"), "no image data re-sent: {moved}");
    assert!(moved.contains("a=d,d=i,i=1,p=2"), "{moved}");
    assert!(moved.contains("\x1b[4;3H\x1b_Ga=p,i=1,p=3"), "{moved}");
    assert!(moved.len() < 120, "{} bytes", moved.len());
    // Gone (an overlay, a scroll): deleted.
    out.clear();
    pr.present(&[], buf.area, &mut out).expect("present");
    assert!(String::from_utf8_lossy(&out).contains("a=d,d=i,i=1,p=3"));
    // A resize deletes every placement and image and sends it again
    // (kitty 0.26 drops its images when the screen is cleared).
    out.clear();
    pr.present(&placed, Rect::new(0, 0, 30, 10), &mut out)
        .expect("present");
    let s = String::from_utf8_lossy(&out);
    assert!(s.contains("a=d,d=a") && s.contains("a=d,d=I,i=1"), "{s}");
    assert!(
        s.contains("a=t,f=100,t=d,i=4") && s.contains("a=p,i=4"),
        "{s}"
    );
}

/// iTerm2 pictures are encoded off the loop like sixel ones: nothing is
/// printed (the half-blocks stay) until the encoded text is in the cache,
/// then exactly that text, over blanked cells.
#[test]
fn iterm_prints_the_cached_png_over_blanked_cells() {
    let t = pixel_thumb(4, 2, [1, 2, 3]);
    let mut buf = Buffer::empty(Rect::new(0, 0, 20, 10));
    let frame = |buf: &mut Buffer| -> Vec<Placed> {
        t.render(0, Rect::new(2, 2, 4, 2), buf)
            .into_iter()
            .collect()
    };
    let mut cache = encoded::EncodedPictures::default();
    let (print, jobs) = cache.split(visible(frame(&mut buf), &buf), GraphicsBackend::Iterm);
    assert!(print.is_empty(), "nothing printed before it is encoded");
    assert_eq!(cache.want(&jobs).len(), 1, "one picture to encode");
    for job in &jobs {
        cache.insert(job.key, encoded::encode(job));
    }
    let (placed, jobs) = cache.split(visible(frame(&mut buf), &buf), GraphicsBackend::Iterm);
    assert!(
        jobs.is_empty() && placed.len() == 1,
        "encoded once, printed from the cache"
    );
    let d = detect::Detected {
        backend: GraphicsBackend::Iterm,
        truecolor: true,
        cell_px: None,
        why: String::new(),
        ..detect::Detected::default()
    };
    let mut pr = Presenter::new(&d);
    let mut out = Vec::new();
    pr.present(&placed, buf.area, &mut out).expect("present");
    let s = String::from_utf8_lossy(&out);
    assert!(s.contains("\x1b[3;3H    \x1b[4;3H    "), "{s}");
    assert!(s.contains("\x1b[3;3H\x1b]1337;File=inline=1;size="), "{s}");
    assert!(s.contains("width=4;height=2"), "{s}");
    use base64::Engine as _;
    let png = base64::engine::general_purpose::STANDARD
        .decode(
            s.split_once("doNotMoveCursor=1:")
                .and_then(|(_, rest)| rest.split_once('\x07'))
                .map(|(data, _)| data)
                .expect("data"),
        )
        .expect("base64");
    assert_eq!(
        png,
        *t.pixels.as_ref().expect("pixels").png,
        "the PNG made with the thumbnail"
    );
}

/// What the kitty presenter sends after each event: the table of which
/// events send the picture again (the terminal may have dropped it) and
/// which only place it by id.
#[test]
fn kitty_sends_pictures_again_after_whatever_may_have_dropped_them() {
    #[derive(Debug, Clone, Copy)]
    enum Step {
        /// The same frame again (a key, a tick).
        Same,
        /// The picture scrolled to row `y`.
        Move(u16),
        /// An overlay covers it.
        Hidden,
        /// The screen changed size (columns).
        Resize(u16),
        /// The loop said the terminal may have lost everything (a resize
        /// event, also one back to the same size).
        Lost,
    }
    use Step::*;
    // (step, picture data sent, placed, every placement deleted)
    let table: &[(Step, bool, bool, bool)] = &[
        (Same, true, true, true), // the first frame
        (Same, false, false, false),
        (Move(3), false, true, false),
        (Hidden, false, false, false),
        (Move(3), false, true, false), // the overlay closed
        (Resize(30), true, true, true),
        (Resize(20), true, true, true), // and back
        (Same, false, false, false),
        (Lost, true, true, true),
        (Lost, true, true, true),
        (Move(2), false, true, false),
    ];
    let t = pixel_thumb(4, 2, [9, 8, 7]);
    let mut pr = kitty_presenter();
    let (mut width, mut y) = (20, 2);
    for (i, &(step, sent, placed, cleared)) in table.iter().enumerate() {
        let mut show = true;
        match step {
            Same => {}
            Move(to) => y = to,
            Hidden => show = false,
            Resize(w) => width = w,
            Lost => pr.invalidate(),
        }
        let mut buf = Buffer::empty(Rect::new(0, 0, width, 10));
        let rec: Vec<Placed> = show
            .then(|| t.render(0, Rect::new(2, y, 4, 2), &mut buf))
            .flatten()
            .into_iter()
            .collect();
        let mut out = Vec::new();
        pr.present(&visible(rec, &buf), buf.area, &mut out)
            .expect("present");
        let s = String::from_utf8_lossy(&out);
        let got = (
            s.contains("a=t,f=100"),
            s.contains("_Ga=p,"),
            s.contains("a=d,d=a"),
        );
        assert_eq!(got, (sent, placed, cleared), "step {i} {step:?}: {s:?}");
        if placed {
            // The hole is blanked before the picture goes in: no stale
            // text shows, even if the terminal dropped the picture.
            let blank = format!("\x1b[{};3H    ", y + 1);
            assert!(s.contains(&blank), "step {i}: {s:?}");
        }
    }
}
