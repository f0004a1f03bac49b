//! Real terminal graphics behind one seam: which protocol the terminal
//! speaks ([`detect`]), and how thumbnails drawn by the view reach the
//! screen without fighting ratatui ([`Presenter`]).
//!
//! The frame is drawn as usual: [`Thumb::render`](super::thumbs::Thumb::render)
//! writes half-blocks into the buffer and, when the thumbnail carries
//! pixels, returns a [`Placed`], which the view hands back in its
//! `Drawn`. Inside the same `terminal.draw` the loop keeps the placements
//! whose cells were not drawn over (an overlay) and that stay off the last
//! row ([`visible`]) and, for sixel, whose text is encoded already
//! ([`encoded::to_print`]), marks their cells skipped ([`mark_skip`]) so
//! ratatui's diff never writes there, and after the draw
//! [`Presenter::present`] prints only what changed ([`plan`]). A cell that
//! stops being skipped differs from ratatui's previous cell (the skip flag
//! is part of `Cell`'s equality), so ratatui rewrites it and the text
//! covers the old sixel / iTerm pixels; kitty placements live on their own
//! layer and are deleted by id.
//!
//! Sixel text (viuer's encoder, icy_sixel) and iTerm2's OSC 1337 text are
//! encoded off the loop and cached ([`sixel`]); kitty (image ids,
//! placements, deletion) is written here. viuer itself is not linked: see
//! `docs/graphics.md` for where it fell short.

pub(crate) mod detect;
pub(crate) mod encoded;
pub(crate) mod geometry;
pub(crate) mod hint;
pub(crate) mod kitty;
pub(crate) mod lru;
pub(crate) mod placeholder;
pub(crate) mod print;
pub(crate) mod replies;
pub(crate) mod tmux;

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use serde::Deserialize;

/// How images reach the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GraphicsBackend {
    /// The kitty graphics protocol (kitty, Ghostty, Konsole, WezTerm with it on).
    Kitty,
    /// iTerm2's inline images (OSC 1337: iTerm2, WezTerm, Konsole, mintty).
    Iterm,
    /// DEC sixel (xterm -ti vt340, foot, mlterm, Windows Terminal, Konsole).
    Sixel,
    /// Half-blocks in the buffer (everywhere, including SSH and tmux).
    #[default]
    Blocks,
    /// No images: a box with the image's size in its place.
    None,
}

impl GraphicsBackend {
    /// Whether images are printed with a pixel protocol after the draw.
    pub(crate) fn is_pixels(self) -> bool {
        matches!(
            self,
            GraphicsBackend::Kitty | GraphicsBackend::Iterm | GraphicsBackend::Sixel
        )
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            GraphicsBackend::Kitty => "kitty",
            GraphicsBackend::Iterm => "iterm",
            GraphicsBackend::Sixel => "sixel",
            GraphicsBackend::Blocks => "blocks",
            GraphicsBackend::None => "none",
        }
    }
}

impl std::fmt::Display for GraphicsBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for GraphicsBackend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "kitty" => Ok(GraphicsBackend::Kitty),
            "iterm" | "iterm2" => Ok(GraphicsBackend::Iterm),
            "sixel" => Ok(GraphicsBackend::Sixel),
            "blocks" | "halfblocks" => Ok(GraphicsBackend::Blocks),
            "none" => Ok(GraphicsBackend::None),
            _ => Err(format!(
                "graphics {s:?}: use auto, kitty, iterm, sixel, blocks or none"
            )),
        }
    }
}

/// How a pixel protocol's pictures reach the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Route {
    /// Printed after the draw at their place, over cells the diff skips
    /// (sixel, iTerm2, kitty placements).
    #[default]
    Printed,
    /// kitty Unicode placeholders ([`placeholder`]): each picture sent
    /// once, then drawn as text in the buffer; inside tmux, where a
    /// picture printed at a place would stay there while the pane moves.
    Placeholders,
}

/// `--graphics` / the `graphics` config key: detect, or force a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum GraphicsChoice {
    #[default]
    Auto,
    Force(GraphicsBackend),
}

impl std::str::FromStr for GraphicsChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(GraphicsChoice::Auto),
            other => other.parse().map(GraphicsChoice::Force),
        }
    }
}

impl TryFrom<String> for GraphicsChoice {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<GraphicsBackend> for GraphicsChoice {
    fn from(b: GraphicsBackend) -> Self {
        GraphicsChoice::Force(b)
    }
}

/// What thumbnails are made for: known after detection, handed to the
/// decoder so it scales once, to the right size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbSpec {
    pub backend: GraphicsBackend,
    /// Half-blocks in 24-bit colour, else the xterm 256-colour palette.
    pub truecolor: bool,
    /// Pixels per cell of the picture made for a pixel protocol.
    pub cell_px: (u16, u16),
    /// The terminal's cell in screen pixels (width, height), as it told:
    /// its shape decides how many cells a picture spans, for pixels and
    /// half-blocks alike (a cell is rarely exactly twice as high as wide:
    /// 8×17, 10×22, 9×18…). 8×16 when the terminal did not tell.
    pub cell_shape: (u16, u16),
    /// Where scaled thumbnails are kept between runs (`None`: not kept).
    pub cache_dir: Option<std::path::PathBuf>,
    /// Drawn as kitty placeholders rather than half-blocks under a print.
    pub route: Route,
    /// The terminal's background colour (`OSC 11`), for the pixels a
    /// sixel cannot cover exactly (see `encoded::zero_like`).
    pub backdrop: Option<[u8; 3]>,
}

impl Default for ThumbSpec {
    fn default() -> Self {
        ThumbSpec {
            backend: GraphicsBackend::Blocks,
            truecolor: true,
            cell_px: (8, 16),
            cell_shape: DEFAULT_CELL,
            cache_dir: None,
            route: Route::Printed,
            backdrop: None,
        }
    }
}

/// The cell assumed when the terminal does not tell its size: 1:2, the
/// shape half-blocks would need for square pixels.
pub(crate) const DEFAULT_CELL: (u16, u16) = (8, 16);

impl ThumbSpec {
    /// The pixel size of a `cols`×`rows` picture for this backend, or
    /// `None` when only half-blocks are drawn.
    pub(crate) fn pixel_size(&self, cols: u16, rows: u16) -> Option<(u32, u32)> {
        self.backend.is_pixels().then(|| {
            (
                u32::from(cols) * u32::from(self.cell_px.0),
                u32::from(rows) * u32::from(self.cell_px.1),
            )
        })
    }
}

/// A thumbnail's picture for a pixel protocol, at `cell_px` per cell.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Pixels {
    pub(crate) image: image::RgbImage,
    /// The same picture as PNG (kitty and iTerm2 send it as is).
    pub(crate) png: Arc<Vec<u8>>,
    pub cell_px: (u16, u16),
    /// The terminal's background colour, when it told (see [`ThumbSpec`]).
    pub(crate) backdrop: Option<[u8; 3]>,
}

impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Pixels({}x{}, {} B png)",
            self.image.width(),
            self.image.height(),
            self.png.len()
        )
    }
}

/// Where a frame shows (part of) a thumbnail: rows `first_row..` of the
/// picture in `area` (already clipped to the picture and the screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shown {
    /// The thumbnail's identity (its content).
    pub(crate) id: u64,
    pub(crate) area: Rect,
    pub(crate) first_row: u16,
}

/// A thumbnail the view drew this frame, with what printing it needs.
#[derive(Debug, Clone)]
pub struct Placed {
    pub(crate) shown: Shown,
    pub(crate) pixels: Arc<Pixels>,
    /// A hash of the cells `render` wrote: if the buffer differs at the
    /// end of the frame, something (an overlay) was drawn over it.
    pub(crate) fingerprint: u64,
    /// Sixel: the picture encoded, from the app's [`encoded::EncodedPictures`]
    /// ([`encoded::to_print`] attaches it; never encoded while printing).
    pub(crate) encoded: Option<Arc<str>>,
}

/// A hash of the cells of `area` (symbol and colours).
pub(crate) fn fingerprint(buf: &Buffer, area: Rect) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            if let Some(c) = buf.cell((x, y)) {
                c.symbol().hash(&mut h);
                c.fg.hash(&mut h);
                c.bg.hash(&mut h);
            }
        }
    }
    h.finish()
}

/// The placements that really show: not drawn over, not touching the
/// screen's last row (a printer's trailing newline there would scroll the
/// screen), not empty. Later ones win over earlier ones they overlap.
pub(crate) fn visible(placed: Vec<Placed>, buf: &Buffer) -> Vec<Placed> {
    let screen = buf.area;
    let mut out: Vec<Placed> = Vec::new();
    for p in placed.into_iter().rev() {
        let a = p.shown.area;
        if a.is_empty()
            || a.intersection(screen) != a
            || a.bottom() >= screen.bottom()
            || fingerprint(buf, a) != p.fingerprint
            || out.iter().any(|q| q.shown.area.intersects(a))
        {
            continue;
        }
        out.push(p);
    }
    out.reverse();
    merge_rows(out)
}

/// The view draws a thumbnail row by row: consecutive rows of the same
/// picture become one placement (one image printed, not one per row).
fn merge_rows(placed: Vec<Placed>) -> Vec<Placed> {
    let mut out: Vec<Placed> = Vec::with_capacity(placed.len());
    for p in placed {
        if let Some(q) = out.last_mut() {
            let (qa, pa) = (q.shown.area, p.shown.area);
            if q.shown.id == p.shown.id
                && qa.x == pa.x
                && qa.width == pa.width
                && qa.bottom() == pa.y
                && q.shown.first_row + qa.height == p.shown.first_row
            {
                q.shown.area.height += pa.height;
                continue;
            }
        }
        out.push(p);
    }
    out
}

/// Marks every cell of the shown placements skipped, so ratatui's diff
/// leaves what the printer put there. Must run on every frame.
pub(crate) fn mark_skip(buf: &mut Buffer, shown: &[Shown]) {
    for s in shown {
        let a = s.area.intersection(buf.area);
        for y in a.top()..a.bottom() {
            for x in a.left()..a.right() {
                if let Some(c) = buf.cell_mut((x, y)) {
                    c.set_skip(true);
                }
            }
        }
    }
}

/// What to do after a frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Placements of the last frame that are gone or changed.
    pub(crate) remove: Vec<Shown>,
    /// Placements of this frame to print (new, moved or changed).
    pub(crate) print: Vec<Shown>,
}

/// Print only what changed: a placement identical (content, area, first
/// row) to one already on screen is left alone. `full` (first frame,
/// resize, clear) drops everything and prints everything.
pub fn plan(prev: &[Shown], now: &[Shown], full: bool) -> Plan {
    if full {
        return Plan {
            remove: prev.to_vec(),
            print: now.to_vec(),
        };
    }
    let before: HashSet<&Shown> = prev.iter().collect();
    let after: HashSet<&Shown> = now.iter().collect();
    Plan {
        remove: prev
            .iter()
            .filter(|s| !after.contains(s))
            .copied()
            .collect(),
        print: now
            .iter()
            .filter(|s| !before.contains(s))
            .copied()
            .collect(),
    }
}

#[cfg(test)]
mod tests;
