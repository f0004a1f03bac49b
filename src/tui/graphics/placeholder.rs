//! kitty's Unicode placeholders: a picture drawn as text.
//!
//! The picture is sent once, with an id and a virtual placement of
//! `cols`×`rows` cells (`U=1`); each cell of it on screen is then the
//! character U+10EEEE with three combining marks — its row, its column
//! and the id's high byte, from kitty's table of row/column diacritics —
//! in a foreground colour that is the id's low 24 bits. Being text, the
//! cells live in ratatui's buffer like any other: they scroll, clip, are
//! covered by an overlay and come back with a redraw, and tmux keeps them
//! in its grid. Only kitty ≥ 0.28 (and Ghostty) draw them; pixloom uses
//! them inside tmux, where a picture printed at a position would stay
//! there while the pane's text moves.
//!
//! The id comes from the picture's content: the view knows it while
//! drawing, the presenter when sending, with no table between them; the
//! same picture in two pixloom windows of one kitty is the same id and
//! the same pixels. The foreground is 24-bit colour, which tmux passes on
//! to terminals whose terminfo says so (kitty's and Ghostty's do).

use ratatui::buffer::Cell;
use ratatui::style::Color;

/// The placeholder character.
pub(crate) const PLACEHOLDER: char = '\u{10EEEE}';

/// kitty's row/column diacritics (its `rowcolumn-diacritics.txt`: the
/// combining marks of class 230 without a decomposition, Unicode 6.0),
/// value `n` is the `n`-th. 297 of them: a picture spans at most 297
/// rows and columns of placeholders.
pub(crate) const DIACRITICS: [char; 297] = [
    '\u{305}',
    '\u{30D}',
    '\u{30E}',
    '\u{310}',
    '\u{312}',
    '\u{33D}',
    '\u{33E}',
    '\u{33F}',
    '\u{346}',
    '\u{34A}',
    '\u{34B}',
    '\u{34C}',
    '\u{350}',
    '\u{351}',
    '\u{352}',
    '\u{357}',
    '\u{35B}',
    '\u{363}',
    '\u{364}',
    '\u{365}',
    '\u{366}',
    '\u{367}',
    '\u{368}',
    '\u{369}',
    '\u{36A}',
    '\u{36B}',
    '\u{36C}',
    '\u{36D}',
    '\u{36E}',
    '\u{36F}',
    '\u{483}',
    '\u{484}',
    '\u{485}',
    '\u{486}',
    '\u{487}',
    '\u{592}',
    '\u{593}',
    '\u{594}',
    '\u{595}',
    '\u{597}',
    '\u{598}',
    '\u{599}',
    '\u{59C}',
    '\u{59D}',
    '\u{59E}',
    '\u{59F}',
    '\u{5A0}',
    '\u{5A1}',
    '\u{5A8}',
    '\u{5A9}',
    '\u{5AB}',
    '\u{5AC}',
    '\u{5AF}',
    '\u{5C4}',
    '\u{610}',
    '\u{611}',
    '\u{612}',
    '\u{613}',
    '\u{614}',
    '\u{615}',
    '\u{616}',
    '\u{617}',
    '\u{657}',
    '\u{658}',
    '\u{659}',
    '\u{65A}',
    '\u{65B}',
    '\u{65D}',
    '\u{65E}',
    '\u{6D6}',
    '\u{6D7}',
    '\u{6D8}',
    '\u{6D9}',
    '\u{6DA}',
    '\u{6DB}',
    '\u{6DC}',
    '\u{6DF}',
    '\u{6E0}',
    '\u{6E1}',
    '\u{6E2}',
    '\u{6E4}',
    '\u{6E7}',
    '\u{6E8}',
    '\u{6EB}',
    '\u{6EC}',
    '\u{730}',
    '\u{732}',
    '\u{733}',
    '\u{735}',
    '\u{736}',
    '\u{73A}',
    '\u{73D}',
    '\u{73F}',
    '\u{740}',
    '\u{741}',
    '\u{743}',
    '\u{745}',
    '\u{747}',
    '\u{749}',
    '\u{74A}',
    '\u{7EB}',
    '\u{7EC}',
    '\u{7ED}',
    '\u{7EE}',
    '\u{7EF}',
    '\u{7F0}',
    '\u{7F1}',
    '\u{7F3}',
    '\u{816}',
    '\u{817}',
    '\u{818}',
    '\u{819}',
    '\u{81B}',
    '\u{81C}',
    '\u{81D}',
    '\u{81E}',
    '\u{81F}',
    '\u{820}',
    '\u{821}',
    '\u{822}',
    '\u{823}',
    '\u{825}',
    '\u{826}',
    '\u{827}',
    '\u{829}',
    '\u{82A}',
    '\u{82B}',
    '\u{82C}',
    '\u{82D}',
    '\u{951}',
    '\u{953}',
    '\u{954}',
    '\u{F82}',
    '\u{F83}',
    '\u{F86}',
    '\u{F87}',
    '\u{135D}',
    '\u{135E}',
    '\u{135F}',
    '\u{17DD}',
    '\u{193A}',
    '\u{1A17}',
    '\u{1A75}',
    '\u{1A76}',
    '\u{1A77}',
    '\u{1A78}',
    '\u{1A79}',
    '\u{1A7A}',
    '\u{1A7B}',
    '\u{1A7C}',
    '\u{1B6B}',
    '\u{1B6D}',
    '\u{1B6E}',
    '\u{1B6F}',
    '\u{1B70}',
    '\u{1B71}',
    '\u{1B72}',
    '\u{1B73}',
    '\u{1CD0}',
    '\u{1CD1}',
    '\u{1CD2}',
    '\u{1CDA}',
    '\u{1CDB}',
    '\u{1CE0}',
    '\u{1DC0}',
    '\u{1DC1}',
    '\u{1DC3}',
    '\u{1DC4}',
    '\u{1DC5}',
    '\u{1DC6}',
    '\u{1DC7}',
    '\u{1DC8}',
    '\u{1DC9}',
    '\u{1DCB}',
    '\u{1DCC}',
    '\u{1DD1}',
    '\u{1DD2}',
    '\u{1DD3}',
    '\u{1DD4}',
    '\u{1DD5}',
    '\u{1DD6}',
    '\u{1DD7}',
    '\u{1DD8}',
    '\u{1DD9}',
    '\u{1DDA}',
    '\u{1DDB}',
    '\u{1DDC}',
    '\u{1DDD}',
    '\u{1DDE}',
    '\u{1DDF}',
    '\u{1DE0}',
    '\u{1DE1}',
    '\u{1DE2}',
    '\u{1DE3}',
    '\u{1DE4}',
    '\u{1DE5}',
    '\u{1DE6}',
    '\u{1DFE}',
    '\u{20D0}',
    '\u{20D1}',
    '\u{20D4}',
    '\u{20D5}',
    '\u{20D6}',
    '\u{20D7}',
    '\u{20DB}',
    '\u{20DC}',
    '\u{20E1}',
    '\u{20E7}',
    '\u{20E9}',
    '\u{20F0}',
    '\u{2CEF}',
    '\u{2CF0}',
    '\u{2CF1}',
    '\u{2DE0}',
    '\u{2DE1}',
    '\u{2DE2}',
    '\u{2DE3}',
    '\u{2DE4}',
    '\u{2DE5}',
    '\u{2DE6}',
    '\u{2DE7}',
    '\u{2DE8}',
    '\u{2DE9}',
    '\u{2DEA}',
    '\u{2DEB}',
    '\u{2DEC}',
    '\u{2DED}',
    '\u{2DEE}',
    '\u{2DEF}',
    '\u{2DF0}',
    '\u{2DF1}',
    '\u{2DF2}',
    '\u{2DF3}',
    '\u{2DF4}',
    '\u{2DF5}',
    '\u{2DF6}',
    '\u{2DF7}',
    '\u{2DF8}',
    '\u{2DF9}',
    '\u{2DFA}',
    '\u{2DFB}',
    '\u{2DFC}',
    '\u{2DFD}',
    '\u{2DFE}',
    '\u{2DFF}',
    '\u{A66F}',
    '\u{A67C}',
    '\u{A67D}',
    '\u{A6F0}',
    '\u{A6F1}',
    '\u{A8E0}',
    '\u{A8E1}',
    '\u{A8E2}',
    '\u{A8E3}',
    '\u{A8E4}',
    '\u{A8E5}',
    '\u{A8E6}',
    '\u{A8E7}',
    '\u{A8E8}',
    '\u{A8E9}',
    '\u{A8EA}',
    '\u{A8EB}',
    '\u{A8EC}',
    '\u{A8ED}',
    '\u{A8EE}',
    '\u{A8EF}',
    '\u{A8F0}',
    '\u{A8F1}',
    '\u{AAB0}',
    '\u{AAB2}',
    '\u{AAB3}',
    '\u{AAB7}',
    '\u{AAB8}',
    '\u{AABE}',
    '\u{AABF}',
    '\u{AAC1}',
    '\u{FE20}',
    '\u{FE21}',
    '\u{FE22}',
    '\u{FE23}',
    '\u{FE24}',
    '\u{FE25}',
    '\u{FE26}',
    '\u{10A0F}',
    '\u{10A38}',
    '\u{1D185}',
    '\u{1D186}',
    '\u{1D187}',
    '\u{1D188}',
    '\u{1D189}',
    '\u{1D1AA}',
    '\u{1D1AB}',
    '\u{1D1AC}',
    '\u{1D1AD}',
    '\u{1D242}',
    '\u{1D243}',
    '\u{1D244}',
];

/// The kitty image id of a thumbnail whose content id is `content`:
/// never 0 (kitty's "no id").
pub(crate) fn image_id(content: u64) -> u32 {
    #[allow(clippy::cast_possible_truncation)]
    let id = (content ^ (content >> 32)) as u32;
    id.max(1)
}

/// The foreground colour that carries `id`'s low 24 bits.
pub(crate) fn color(id: u32) -> Color {
    let [_, r, g, b] = id.to_be_bytes();
    Color::Rgb(r, g, b)
}

/// Whether a picture of `cols`×`rows` cells can be drawn with placeholders.
pub(crate) fn fits(cols: u16, rows: u16) -> bool {
    usize::from(cols) <= DIACRITICS.len() && usize::from(rows) <= DIACRITICS.len()
}

/// Makes `cell` show cell (`row`, `col`) of image `id`.
pub(crate) fn set_cell(cell: &mut Cell, id: u32, row: u16, col: u16) {
    let mark = |v: usize| DIACRITICS.get(v).copied().unwrap_or(DIACRITICS[0]);
    let high = usize::from(id.to_be_bytes()[0]);
    // On the draw path, once per cell of every picture on screen: the
    // symbol is put together on the stack (4 + 3 × 2 or 4 bytes), not in
    // a String of its own.
    let mut bytes = [0u8; 16];
    let mut len = 0;
    for c in [
        PLACEHOLDER,
        mark(usize::from(row)),
        mark(usize::from(col)),
        mark(high),
    ] {
        len += c.encode_utf8(&mut bytes[len..]).len();
    }
    let symbol = std::str::from_utf8(&bytes[..len]).unwrap_or("\u{fffd}");
    cell.set_symbol(symbol)
        .set_fg(color(id))
        .set_bg(Color::Reset);
}

#[cfg(test)]
mod tests {
    use unicode_width::UnicodeWidthStr as _;

    use super::*;

    #[test]
    fn the_table_is_kittys() {
        // Sorted, distinct, all combining marks; the first three as kitty's
        // documentation lists them.
        assert!(DIACRITICS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(&DIACRITICS[..3], &['\u{305}', '\u{30D}', '\u{30E}']);
        assert_eq!(DIACRITICS[296], '\u{1D244}');
        for d in DIACRITICS {
            assert_eq!(d.to_string().width(), 0, "{d:?} takes no cell");
        }
    }

    #[test]
    fn a_placeholder_cell_is_one_column_wide_and_encodes_row_column_and_id() {
        let mut cell = Cell::default();
        let id = 0x1234_5678;
        set_cell(&mut cell, id, 2, 5);
        let sym: Vec<char> = cell.symbol().chars().collect();
        assert_eq!(
            sym,
            vec![PLACEHOLDER, DIACRITICS[2], DIACRITICS[5], DIACRITICS[0x12]]
        );
        assert_eq!(cell.fg, Color::Rgb(0x34, 0x56, 0x78));
        // One cell for ratatui, and the same counted code point by code
        // point (as tmux does): the row never shifts.
        assert_eq!(cell.symbol().width(), 1);
        assert!(crate::tui::cells::undisputed(cell.symbol()).is_none());
    }

    #[test]
    fn ids_are_never_zero_and_follow_the_content() {
        assert_eq!(image_id(0), 1);
        assert_eq!(image_id(7), image_id(7));
        assert_ne!(image_id(7), image_id(8));
        assert!(fits(297, 297));
        assert!(!fits(298, 1));
    }
}
