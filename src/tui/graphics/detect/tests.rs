//! Inside tmux: the decision table of `super::super::tmux`, row by row,
//! and `--graphics` forced there.

use super::*;
use crate::tui::graphics::tests::env_of;
use crate::tui::graphics::tmux::{HINT_FORCED, HINT_PASSTHROUGH};

const IN_TMUX: &[(&str, &str)] = &[
    ("TMUX", "/tmp/tmux-0/default,1,0"),
    ("TERM", "tmux-256color"),
];

/// What tmux 3.5a says in xterm -ti vt340, kitty 0.41 and nested (seen).
const XTERM: &str = "3.5a\t256,bpaste,clipboard,RGB,sixel,title\txterm\tXTerm(379)\toff\t8\t17";
const KITTY_ON: &str =
    "3.5a\tbpaste,ccolour,clipboard,cstyle,focus,title\txterm-kitty\t\ton\t9\t18";
const KITTY_OFF: &str =
    "3.5a\tbpaste,ccolour,clipboard,cstyle,focus,title\txterm-kitty\t\toff\t9\t18";
const NESTED: &str = "3.5a\t\ttmux-256color\ttmux 3.5a\ton\t\t";
const TMUX_3_3: &str = "3.3a\tbpaste,clipboard,title\txterm\t\toff\t\t";

/// The outer terminal's answers through passthrough.
const KITTY_041: &[u8] = b"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.41.1)\x1b\\\x1b[?62;c";
const KITTY_026: &[u8] = b"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.26.5)\x1b\\\x1b[?62;c";
const GHOSTTY: &[u8] = b"\x1b_Gi=31;OK\x1b\\\x1bP>|ghostty 1.1.2\x1b\\\x1b[?62;22c";
const KONSOLE: &[u8] = b"\x1b_Gi=31;OK\x1b\\\x1b[?62;4;22c";
const XTERM_DA: &[u8] = b"\x1b[?63;1;2;4;6;9;15;16;22;28c";

fn in_tmux(info: Option<&str>, outer: &[u8]) -> InTmux {
    InTmux {
        info: info.map(TmuxInfo::parse),
        outer: parse_replies(outer),
    }
}

#[test]
fn inside_tmux_first_match_wins() {
    // (what tmux said, what came back through passthrough, tmux's own
    // XTVERSION when there was no tmux to ask) → (backend, route, hint)
    type Row = (
        Option<&'static str>,
        &'static [u8],
        &'static [u8],
        GraphicsBackend,
        Route,
        Option<&'static str>,
    );
    use GraphicsBackend::{Blocks, Kitty, Sixel};
    use Route::{Placeholders, Printed};
    let tmux35: &[u8] = b"\x1bP>|tmux 3.5a\x1b\\\x1b[?1;2;4c";
    let tmux33: &[u8] = b"\x1bP>|tmux 3.3a\x1b\\\x1b[?1;2c";
    let rows: &[Row] = &[
        // tmux 3.4+ draws sixel for xterm: sixel, as is.
        (Some(XTERM), b"", b"", Sixel, Printed, None),
        // kitty 0.41 with passthrough on: placeholders.
        (Some(KITTY_ON), KITTY_041, b"", Kitty, Placeholders, None),
        (Some(KITTY_ON), GHOSTTY, b"", Kitty, Placeholders, None),
        // kitty 0.26 has no placeholders, Konsole neither: no option helps.
        (Some(KITTY_ON), KITTY_026, b"", Blocks, Printed, None),
        (Some(KITTY_ON), KONSOLE, b"", Blocks, Printed, None),
        // Passthrough off: half-blocks, and the hint.
        (
            Some(KITTY_OFF),
            b"",
            b"",
            Blocks,
            Printed,
            Some(HINT_PASSTHROUGH),
        ),
        // tmux 3.3 in xterm: no sixel in tmux, passthrough off.
        (
            Some(TMUX_3_3),
            b"",
            b"",
            Blocks,
            Printed,
            Some(HINT_PASSTHROUGH),
        ),
        // Nested: nothing is sure to get through two multiplexers.
        (Some(NESTED), KITTY_041, b"", Blocks, Printed, None),
        (
            None,
            b"\x1bP>|tmux 3.4\x1b\\\x1b[?1;2;4c",
            tmux35,
            Blocks,
            Printed,
            None,
        ),
        // Over SSH from inside tmux (nothing to ask): the answers decide.
        (None, KITTY_041, tmux35, Kitty, Placeholders, None),
        (None, XTERM_DA, tmux35, Sixel, Printed, None),
        (None, XTERM_DA, tmux33, Blocks, Printed, None),
        (None, b"", tmux35, Blocks, Printed, Some(HINT_PASSTHROUGH)),
    ];
    let env = env_of(IN_TMUX);
    for (i, (info, outer, plain, backend, route, hint)) in rows.iter().enumerate() {
        let t = in_tmux(*info, outer);
        let replies = match &t.info {
            Some(info) => info.as_replies(),
            None => parse_replies(plain),
        };
        let d = decide(&env, &replies, Some(&t));
        assert_eq!(
            (d.backend, d.route, d.hint),
            (*backend, *route, *hint),
            "row {i}: {}",
            d.why
        );
    }
}

#[test]
fn forced_inside_tmux_goes_the_way_tmux_passes_it() {
    let auto = Detected {
        backend: GraphicsBackend::Blocks,
        ..Detected::default()
    };
    let on = in_tmux(Some(KITTY_ON), b"");
    let off = in_tmux(Some(KITTY_OFF), b"");
    // (backend, what tmux said, in tmux) → (route, passthrough, hint)
    type Row<'a> = (
        GraphicsBackend,
        Option<&'a InTmux>,
        bool,
        Route,
        bool,
        Option<&'static str>,
    );
    let rows: Vec<Row> = vec![
        (
            GraphicsBackend::Kitty,
            Some(&on),
            true,
            Route::Placeholders,
            true,
            None,
        ),
        (
            GraphicsBackend::Kitty,
            Some(&off),
            true,
            Route::Placeholders,
            true,
            Some(HINT_FORCED),
        ),
        (
            GraphicsBackend::Iterm,
            Some(&off),
            true,
            Route::Printed,
            true,
            Some(HINT_FORCED),
        ),
        // Sixel goes as is: tmux 3.4+ draws it itself.
        (
            GraphicsBackend::Sixel,
            Some(&off),
            true,
            Route::Printed,
            false,
            None,
        ),
        // Over SSH from tmux, passthrough unknown: wrapped, no hint.
        (
            GraphicsBackend::Kitty,
            None,
            true,
            Route::Placeholders,
            true,
            None,
        ),
        // Outside tmux: as before.
        (
            GraphicsBackend::Kitty,
            None,
            false,
            Route::Printed,
            false,
            None,
        ),
        (
            GraphicsBackend::Iterm,
            None,
            false,
            Route::Printed,
            false,
            None,
        ),
    ];
    for (i, (b, t, inside, route, through, hint)) in rows.into_iter().enumerate() {
        let d = forced(b, auto.clone(), t, inside);
        assert_eq!(d.backend, b, "row {i}");
        assert_eq!(
            (d.route, d.passthrough, d.hint),
            (route, through, hint),
            "row {i}"
        );
    }
}

#[test]
fn the_outer_queries_are_wrapped_and_the_plain_ones_hold_no_kitty_query() {
    let outer = outer_queries();
    assert!(outer.starts_with(b"\x1bPtmux;\x1b\x1b_G"), "{outer:?}");
    // Three wrapped sequences, nothing outside a wrapper.
    let text = String::from_utf8(outer).expect("ascii");
    assert_eq!(text.matches("\x1bPtmux;").count(), 3);
    assert!(!PLAIN_QUERIES.contains("\x1b_G"));
}

#[test]
fn the_background_colour_is_read_in_any_precision() {
    let r = parse_replies(b"\x1b]11;rgb:ffff/8080/0000\x1b\\\x1b[?1;2;4c");
    assert_eq!(r.background, Some([255, 128, 0]));
    let r = parse_replies(b"\x1b]11;rgb:f/8/0\x07");
    assert_eq!(r.background, Some([255, 136, 0]));
    assert_eq!(
        parse_replies(b"\x1b]11;rgb:zz/00/00\x1b\\").background,
        None
    );
    assert_eq!(parse_replies(b"\x1b]11;rgb:ff/00\x1b\\").background, None);
}
