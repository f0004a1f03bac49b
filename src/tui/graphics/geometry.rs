//! Cell geometry: how many cells a picture spans so it shows undistorted,
//! and at how many pixels per cell its picture is made. Both follow the
//! cell size the terminal reports (`CSI 16 t`, else `TIOCGWINSZ`'s pixel
//! fields, else `CSI 14 t` ÷ cells: see [`super::detect`]); a cell is
//! rarely exactly 1:2 (kitty and xterm with DejaVu Sans Mono 10: 8×17,
//! mlterm: 10×22, Konsole: 8×18), and assuming 1:2 made every picture
//! 6–10% too high.

use super::{DEFAULT_CELL, GraphicsBackend, ThumbSpec};

/// The largest `cols`×`rows` box of `cell`-pixel cells (width, height)
/// showing a `width`×`height` image undistorted inside
/// `max_cols`×`max_rows`. The picture is then scaled to exactly that box,
/// so a wrong cell shape stretches it (1:2 on 8×17 cells: 6% too high).
pub fn fit_cells(
    width: u32,
    height: u32,
    max_cols: u16,
    max_rows: u16,
    cell: (u16, u16),
) -> (u16, u16) {
    if width == 0 || height == 0 || max_cols == 0 || max_rows == 0 || cell.0 == 0 || cell.1 == 0 {
        return (0, 0);
    }
    let (w, h) = (f64::from(width), f64::from(height));
    let (cw, ch) = (f64::from(cell.0), f64::from(cell.1));
    // Screen pixels per image pixel.
    let scale = (f64::from(max_cols) * cw / w).min(f64::from(max_rows) * ch / h);
    // Rounded and clamped: the result always fits and is never empty.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let cols = ((w * scale / cw).round() as u16).clamp(1, max_cols);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let rows = ((h * scale / ch).round() as u16).clamp(1, max_rows);
    (cols, rows)
}

/// The largest sixel picture xterm shows (its `maxGraphicSize` default,
/// 1000×1000): a bigger one it drops whole — seen in the real-terminal
/// check, where the full-screen view stayed empty in xterm and in tmux in
/// xterm. mlterm, foot and WezTerm take more; one cap keeps one rule.
pub(crate) const SIXEL_MAX_PX: u16 = 1000;

/// [`fit_cells`] in a box the backend can show: a sixel picture is kept
/// within [`SIXEL_MAX_PX`] screen pixels each way.
pub(crate) fn fit_picture(
    backend: GraphicsBackend,
    (width, height): (u32, u32),
    max_cols: u16,
    max_rows: u16,
    cell: (u16, u16),
) -> (u16, u16) {
    let (max_cols, max_rows) = if backend == GraphicsBackend::Sixel && cell.0 > 0 && cell.1 > 0 {
        (
            max_cols.min(SIXEL_MAX_PX / cell.0),
            max_rows.min(SIXEL_MAX_PX / cell.1),
        )
    } else {
        (max_cols, max_rows)
    };
    fit_cells(width, height, max_cols, max_rows, cell)
}

/// The pixels per cell of the picture made for `backend` on a terminal
/// whose cells are `real` pixels (`None`: it did not say).
///
/// Sixel pixels are screen pixels: the picture is made at the real cell
/// size (viuer assumes 6×12; the printer encodes other sizes itself),
/// capped so a huge font does not cost megabytes. kitty and iTerm2 scale
/// a picture to its cells themselves: more than 10×20 pixels per cell
/// only costs bytes, so a bigger cell is scaled down, keeping its shape.
pub(crate) fn picture_cell(backend: GraphicsBackend, real: Option<(u16, u16)>) -> (u16, u16) {
    match (backend, real) {
        (GraphicsBackend::Sixel, None) => super::print::VIUER_SIXEL_CELL,
        (GraphicsBackend::Sixel, Some((w, h))) => (w.clamp(4, 12), h.clamp(8, 24)),
        (_, None) => DEFAULT_CELL,
        (_, Some((w, h))) => {
            let scale = (10.0 / f64::from(w)).min(20.0 / f64::from(h)).min(1.0);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let shrink = |v: u16| ((f64::from(v) * scale).round() as u16).max(1);
            (shrink(w), shrink(h))
        }
    }
}

impl ThumbSpec {
    /// This spec for cells of `shape` pixels, when that changes it.
    pub(crate) fn with_cell(&self, shape: (u16, u16)) -> Option<ThumbSpec> {
        let ok = shape.0 > 0 && shape.1 > 0;
        (ok && shape != self.cell_shape).then(|| ThumbSpec {
            cell_shape: shape,
            cell_px: picture_cell(self.backend, Some(shape)),
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sixel_picture_stays_within_what_xterm_shows() {
        // A 16:9 picture in a 200×60 box of 8×17 cells: 1600 px wide as
        // kitty, at most 1000 as sixel (xterm drops it whole beyond).
        let kitty = fit_picture(GraphicsBackend::Kitty, (1920, 1080), 200, 60, (8, 17));
        let sixel = fit_picture(GraphicsBackend::Sixel, (1920, 1080), 200, 60, (8, 17));
        assert!(kitty.0 * 8 > 1000, "{kitty:?}");
        assert!(sixel.0 * 8 <= 1000 && sixel.1 * 17 <= 1000, "{sixel:?}");
        // Tall: the height is the bound.
        let tall = fit_picture(GraphicsBackend::Sixel, (720, 1280), 200, 80, (8, 17));
        assert!(tall.1 * 17 <= 1000, "{tall:?}");
        // Small boxes are untouched.
        assert_eq!(
            fit_picture(GraphicsBackend::Sixel, (1280, 720), 40, 12, (8, 17)),
            fit_cells(1280, 720, 40, 12, (8, 17))
        );
    }

    #[test]
    fn fit_keeps_the_aspect_ratio_on_the_cells_the_terminal_has() {
        // (image, box in cells, cell in pixels, cells spanned)
        type Case = ((u32, u32), (u16, u16), (u16, u16), (u16, u16));
        let cases: &[Case] = &[
            // 1:2 cells: as before (16:9 into 40x12 is width-bound, into
            // 80x12 height-bound; a tall image; a square one).
            ((3840, 2160), (40, 12), (8, 16), (40, 11)),
            ((3840, 2160), (80, 12), (8, 16), (43, 12)),
            ((720, 1280), (80, 10), (8, 16), (11, 10)),
            ((1000, 1000), (10, 100), (8, 16), (10, 5)),
            // A square image, 24 columns wide, on the cells of real
            // terminals: rows = 24 * w / h.
            ((1280, 1280), (24, 40), (8, 17), (24, 11)), // kitty, xterm
            ((1280, 1280), (24, 40), (10, 22), (24, 11)), // mlterm
            ((1280, 1280), (24, 40), (8, 18), (24, 11)), // Konsole
            ((1280, 1280), (40, 40), (8, 17), (40, 19)),
            ((1280, 1280), (40, 40), (10, 22), (40, 18)),
            ((1280, 1280), (40, 40), (7, 14), (40, 20)),
            // Height-bound on tall cells: more columns than 1:2 gives.
            ((1280, 1280), (80, 10), (8, 20), (25, 10)),
            // Empty in, empty out; never more than the box.
            ((0, 10), (10, 10), (8, 16), (0, 0)),
            ((10, 10), (10, 10), (0, 16), (0, 0)),
            ((100_000, 10), (10, 10), (8, 17), (10, 1)),
        ];
        for &((w, h), (mc, mr), cell, want) in cases {
            assert_eq!(
                fit_cells(w, h, mc, mr, cell),
                want,
                "{w}x{h} in {mc}x{mr} on {cell:?}"
            );
        }
        // Shown on those cells, a disc stays round within a row's rounding.
        for cell in [(8, 17), (10, 22), (8, 18), (9, 18), (7, 15), (6, 13)] {
            let (cols, rows) = fit_cells(1280, 1280, 40, 40, cell);
            let shown = f64::from(cols * cell.0) / f64::from(rows * cell.1);
            let one_row = f64::from(cell.1) / f64::from(rows * cell.1);
            assert!(
                (shown - 1.0).abs() <= one_row,
                "{cell:?}: {cols}x{rows} cells, {shown:.3}"
            );
        }
    }

    #[test]
    fn pictures_keep_the_cell_shape() {
        use GraphicsBackend::{Blocks, Iterm, Kitty, Sixel};
        type Case = (GraphicsBackend, Option<(u16, u16)>, (u16, u16));
        let cases: &[Case] = &[
            (Kitty, Some((8, 17)), (8, 17)),
            (Kitty, Some((9, 18)), (9, 18)),
            // A big font: scaled down to 10x20 at most, shape kept.
            (Kitty, Some((16, 34)), (9, 20)),
            (Iterm, Some((20, 40)), (10, 20)),
            (Kitty, None, (8, 16)),
            (Blocks, Some((10, 22)), (9, 20)),
            // Sixel: the real size (screen pixels), within limits.
            (Sixel, Some((10, 22)), (10, 22)),
            (Sixel, Some((8, 17)), (8, 17)),
            (Sixel, None, (6, 12)),
            (Sixel, Some((30, 60)), (12, 24)),
        ];
        for &(b, real, want) in cases {
            assert_eq!(picture_cell(b, real), want, "{b} {real:?}");
        }
    }
}
