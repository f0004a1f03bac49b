//! Thumbnails: images drawn as Unicode half-blocks INTO the ratatui buffer,
//! and, for a pixel protocol, the picture the printer sends.
//!
//! Each cell is `▀` with the upper pixel as foreground and the lower pixel
//! as background (24-bit, or the nearest xterm 256-colour index when the
//! terminal lacks truecolor: [`ansi256`]), so a `cols`×`rows` area shows
//! `cols`×`2·rows` pixels. The picture is scaled to exactly that off the UI
//! task ([`load`] runs on `spawn_blocking`), so drawing is a copy. It works
//! over SSH and inside tmux, cannot flicker and never fights ratatui's
//! diff, because it *is* ordinary cells.
//!
//! With kitty / iTerm2 / sixel ([`super::graphics`]) the thumbnail also
//! carries [`Pixels`] at the terminal's cell size (and its PNG); `render`
//! still writes the half-blocks (they are what a test buffer shows, and
//! what shows if an overlay covers part of the image) and returns a
//! [`Placed`]; the view hands it back in what it drew
//! ([`super::view::Drawn`]), and the loop marks those cells skipped and
//! prints the picture over them.
//!
//! Scaled thumbnails are kept on disk under the cache directory as
//! `v2-<sha256>-<W>x<H>.png` (the picture at the size it is drawn), so a
//! conversation opens without decoding its 4K originals again; the
//! originals are never kept in memory.
//!
//! [`ThumbCache`] keeps decoded thumbnails keyed by blob and cell size, an
//! LRU by count, and remembers which are being decoded so each is asked for
//! once; a result for a size the view no longer wants is dropped.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use image::{DynamicImage, RgbImage};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;

pub use super::graphics::GraphicsBackend;
pub use super::graphics::geometry::fit_cells;
use super::graphics::lru::Lru;
use super::graphics::{Pixels, Placed, Route, Shown, ThumbSpec, placeholder};
use crate::folder_fs::FileKey;
use crate::images::ImageStore;
use pixloom_core::tree::Blob;

/// A picture scaled to `cols`×`rows` cells: per cell the upper and lower
/// pixel, row-major; for a pixel protocol also the picture itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumb {
    pub cols: u16,
    pub rows: u16,
    pub cells: Vec<([u8; 3], [u8; 3])>,
    /// Draw with the 256-colour palette instead of 24-bit colour.
    pub(crate) indexed: bool,
    pub(crate) pixels: Option<Arc<Pixels>>,
    /// Drawn as kitty Unicode placeholders of its picture (inside tmux)
    /// instead of half-blocks.
    pub(crate) placeholders: bool,
    /// Identity of the content (for "print only what changed").
    pub(crate) id: u64,
}

impl Thumb {
    /// Half-blocks in 24-bit colour from ready-made cells.
    #[cfg(test)]
    pub(crate) fn from_cells(cols: u16, rows: u16, cells: Vec<([u8; 3], [u8; 3])>) -> Thumb {
        let mut t = Thumb {
            cols,
            rows,
            cells,
            indexed: false,
            pixels: None,
            placeholders: false,
            id: 0,
        };
        t.id = t.content_id();
        t
    }

    /// Scales `img` to exactly `cols`×`2·rows` pixels. Slow for big images
    /// (tens of ms): call off the UI task.
    #[cfg(test)]
    pub(crate) fn from_image(img: &DynamicImage, cols: u16, rows: u16) -> Thumb {
        Thumb::build(img, cols, rows, &ThumbSpec::default())
    }

    /// Scales `img` for `spec`: the picture at the pixel size the backend
    /// draws (if any) and the half-block cells. Off the UI task.
    #[cfg(test)]
    pub(crate) fn build(img: &DynamicImage, cols: u16, rows: u16, spec: &ThumbSpec) -> Thumb {
        let (w, h) = small_size(cols, rows, spec);
        Thumb::from_small(crate::images::shrink(img, w, h), None, cols, rows, spec)
    }

    /// From the picture already at [`small_size`] (and its PNG, when read
    /// from the disk cache).
    pub(crate) fn from_small(
        small: RgbImage,
        png: Option<Vec<u8>>,
        cols: u16,
        rows: u16,
        spec: &ThumbSpec,
    ) -> Thumb {
        let (cols, rows) = (cols.max(1), rows.max(1));
        let (w, h) = (u32::from(cols), u32::from(rows) * 2);
        let pixels = spec.pixel_size(cols, rows).map(|_| {
            // Inside tmux kitty is sent 256 colours (see `palette`).
            let indexed = (spec.route == Route::Placeholders)
                .then(|| palette::indexed_png(&small))
                .flatten();
            let png = indexed.or(png).unwrap_or_else(|| encode_png(&small));
            Arc::new(Pixels {
                image: small.clone(),
                png: Arc::new(png),
                cell_px: spec.cell_px,
                backdrop: spec.backdrop,
            })
        });
        let cells_img = if small.dimensions() == (w, h) {
            small
        } else {
            DynamicImage::ImageRgb8(small)
                .resize_exact(w, h, image::imageops::FilterType::Triangle)
                .to_rgb8()
        };
        let mut cells = Vec::with_capacity(usize::from(cols) * usize::from(rows));
        for r in 0..u32::from(rows) {
            for c in 0..u32::from(cols) {
                let up = cells_img
                    .get_pixel_checked(c, 2 * r)
                    .map_or([0; 3], |p| p.0);
                let down = cells_img
                    .get_pixel_checked(c, 2 * r + 1)
                    .map_or([0; 3], |p| p.0);
                cells.push((up, down));
            }
        }
        let mut t = Thumb {
            cols,
            rows,
            cells,
            indexed: !spec.truecolor,
            placeholders: spec.route == Route::Placeholders
                && pixels.is_some()
                && placeholder::fits(cols, rows),
            pixels,
            id: 0,
        };
        t.id = t.content_id();
        t
    }

    fn content_id(&self) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        (self.cols, self.rows, self.indexed, &self.cells).hash(&mut h);
        if let Some(p) = &self.pixels {
            (p.image.dimensions(), p.cell_px, p.png.len()).hash(&mut h);
        }
        h.finish()
    }

    fn color(&self, rgb: [u8; 3]) -> Color {
        if self.indexed {
            Color::Indexed(ansi256(rgb))
        } else {
            Color::Rgb(rgb[0], rgb[1], rgb[2])
        }
    }

    /// Draws rows `first_row..` of the thumbnail at `area` (clipped to it).
    /// A thumbnail with pixels returns where it was placed, for the
    /// printer (`None` for half-blocks only, or when nothing was drawn).
    #[must_use = "a placement not handed back is never printed"]
    pub fn render(&self, first_row: u16, area: Rect, buf: &mut Buffer) -> Option<Placed> {
        let area = area.intersection(buf.area);
        let mut drawn = Rect {
            width: 0,
            height: 0,
            ..area
        };
        for dy in 0..area.height {
            let r = first_row + dy;
            if r >= self.rows {
                break;
            }
            drawn.height = dy + 1;
            drawn.width = area.width.min(self.cols);
            for dx in 0..area.width.min(self.cols) {
                let (up, down) =
                    self.cells[usize::from(r) * usize::from(self.cols) + usize::from(dx)];
                let Some(cell) = buf.cell_mut((area.x + dx, area.y + dy)) else {
                    continue;
                };
                if self.placeholders {
                    placeholder::set_cell(cell, placeholder::image_id(self.id), r, dx);
                } else {
                    cell.set_symbol("▀")
                        .set_fg(self.color(up))
                        .set_bg(self.color(down));
                }
            }
        }
        let pixels = self.pixels.as_ref().filter(|_| !drawn.is_empty())?;
        Some(Placed {
            shown: Shown {
                id: self.id,
                area: drawn,
                first_row,
            },
            pixels: Arc::clone(pixels),
            fingerprint: super::graphics::fingerprint(buf, drawn),
            encoded: None,
        })
    }
}

/// The xterm 256-colour index nearest to `rgb`: the 6×6×6 cube (16–231)
/// or the 24 greys (232–255), by squared distance.
pub(crate) fn ansi256(rgb: [u8; 3]) -> u8 {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let nearest = |v: u8| -> usize {
        LEVELS
            .iter()
            .enumerate()
            .min_by_key(|(_, l)| (i32::from(**l) - i32::from(v)).abs())
            .map_or(0, |(i, _)| i)
    };
    let dist = |a: [u8; 3], b: [u8; 3]| -> i32 {
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| (i32::from(*x) - i32::from(*y)).pow(2))
            .sum()
    };
    let [r, g, b] = rgb.map(nearest);
    let cube = [LEVELS[r], LEVELS[g], LEVELS[b]];
    let cube_index = 16 + 36 * r + 6 * g + b;
    let avg = (u32::from(rgb[0]) + u32::from(rgb[1]) + u32::from(rgb[2])) / 3;
    // Greys are 8, 18, …, 238.
    let grey_i = (avg.saturating_sub(3) / 10).min(23);
    let grey_v = u8::try_from(8 + 10 * grey_i).unwrap_or(238);
    let grey = [grey_v; 3];
    let index = if dist(rgb, grey) < dist(rgb, cube) {
        232 + grey_i as usize
    } else {
        cube_index
    };
    u8::try_from(index).unwrap_or(u8::MAX)
}

/// The size of the picture a thumbnail is made from: the backend's pixels,
/// else one pixel per column and two per row.
pub(crate) fn small_size(cols: u16, rows: u16, spec: &ThumbSpec) -> (u32, u32) {
    let (cols, rows) = (cols.max(1), rows.max(1));
    spec.pixel_size(cols, rows)
        .unwrap_or((u32::from(cols), u32::from(rows) * 2))
}

fn encode_png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = DynamicImage::ImageRgb8(img.clone())
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png);
    out
}

/// The on-disk cache file of a thumbnail.
pub(crate) fn cache_file(dir: &Path, sha256: &str, (w, h): (u32, u32)) -> PathBuf {
    // `v2-`: written only for verified content; files of earlier versions
    // (cached under the hash a file claimed) are never read.
    dir.join(format!("v2-{sha256}-{w}x{h}.png"))
}

/// `$XDG_CACHE_HOME/pixloom/thumbs`, else `~/.cache/pixloom/thumbs`.
pub(crate) fn default_cache_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = env("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            env("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("pixloom").join("thumbs"))
}

/// Makes the thumbnail of `blob` in `store`: the file is verified first
/// (its bytes hash to its name, see [`ImageStore::open_verified`]), then
/// taken from the disk cache if there, else scaled once from the same open
/// file (see [`crate::images::shrink_open`]) and stored. The disk cache is
/// keyed by the sha256, so it is only ever read or written for content that
/// hashed to it: a received folder cannot put its picture, or show a
/// cached one, under another image's name. Slow (tens of ms for a 4K PNG):
/// call off the UI task.
pub fn load(
    store: &ImageStore,
    blob: &Blob,
    cols: u16,
    rows: u16,
    spec: &ThumbSpec,
) -> Result<Thumb, String> {
    // A file verified in an earlier run is known by its identity (device,
    // inode, length, change times): a different or rewritten file has
    // another, so it is hashed again.
    let marker = |key: &FileKey| {
        spec.cache_dir
            .as_ref()
            .map(|d| d.join(format!("v2-verified-{}", key.name())))
    };
    let image = store
        .open_verified_or_known(blob, |key| {
            marker(key)
                .and_then(|m| std::fs::read_to_string(m).ok())
                .is_some_and(|sha| sha == blob.sha256)
        })
        .map_err(|e| e.to_string())?;
    if let Some(m) = marker(&image.key)
        && !m.exists()
    {
        store_file(&m, blob.sha256.as_bytes());
    }
    let size = small_size(cols, rows, spec);
    let cached = spec
        .cache_dir
        .as_ref()
        .map(|d| cache_file(d, &blob.sha256, size));
    if let Some(file) = &cached
        && let Ok(png) = std::fs::read(file)
        && let Ok(img) = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        && (img.width(), img.height()) == size
    {
        return Ok(Thumb::from_small(
            img.to_rgb8(),
            Some(png),
            cols,
            rows,
            spec,
        ));
    }
    let small = crate::images::shrink_open(image.file, &image.path, size.0, size.1)?;
    let png = encode_png(&small);
    if let Some(file) = &cached {
        store_file(file, &png);
    }
    Ok(Thumb::from_small(small, Some(png), cols, rows, spec))
}

/// Best effort: a cache that cannot be written only costs a decode (or a
/// hash) later.
fn store_file(file: &Path, png: &[u8]) {
    let Some(dir) = file.parent() else {
        return;
    };
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| tempfile::NamedTempFile::new_in(dir))
        .and_then(|mut tmp| {
            std::io::Write::write_all(&mut tmp, png)?;
            tmp.persist(file).map_err(|e| e.error)?;
            Ok(())
        });
    if let Err(e) = written {
        tracing::debug!("thumbnail cache {}: {e}", file.display());
    }
}

/// Which thumbnail a drawn frame wanted: the view reports these; the loop
/// turns the missing ones into decode effects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbWant {
    pub blob: pixloom_core::tree::Blob,
    pub cols: u16,
    pub rows: u16,
}

/// By the image's file name (`<sha256>.<ext>`, what the tree names) and
/// size: a thumbnail only gets here once that file verified (see [`load`]),
/// so an entry never stands for another file claiming the same hash.
type ThumbKey = (String, u16, u16);

/// Decoded thumbnails, at most `capacity`, least recently wanted dropped.
#[derive(Debug, Clone)]
pub struct ThumbCache {
    ready: Lru<ThumbKey, Arc<Thumb>>,
    failed: HashMap<ThumbKey, String>,
    decoding: HashSet<ThumbKey>,
    /// The latest size wanted per image file: a late result of another
    /// size is stale.
    wanted: HashMap<String, (u16, u16)>,
}

impl Default for ThumbCache {
    fn default() -> Self {
        ThumbCache::new(64)
    }
}

/// What the cache says about one thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThumbState<'a> {
    Ready(&'a Thumb),
    Decoding,
    Failed(&'a str),
}

impl ThumbCache {
    pub fn new(capacity: usize) -> Self {
        ThumbCache {
            ready: Lru::new(capacity),
            failed: HashMap::new(),
            decoding: HashSet::new(),
            wanted: HashMap::new(),
        }
    }

    /// The thumbnail of the image file `file_name` (`<sha256>.<ext>`).
    pub fn get(&self, file_name: &str, cols: u16, rows: u16) -> ThumbState<'_> {
        let key = (file_name.to_owned(), cols, rows);
        if let Some(t) = self.ready.get(&key) {
            ThumbState::Ready(t)
        } else if let Some(e) = self.failed.get(&key) {
            ThumbState::Failed(e)
        } else {
            ThumbState::Decoding
        }
    }

    /// Notes what a frame showed; returns the wants that need decoding
    /// (not ready, not failed, not already decoding).
    pub fn want(&mut self, wants: &[ThumbWant]) -> Vec<ThumbWant> {
        let mut out = Vec::new();
        for w in wants {
            let key = (w.blob.file_name(), w.cols, w.rows);
            self.wanted.insert(w.blob.file_name(), (w.cols, w.rows));
            if self.ready.touch(&key) {
                continue;
            }
            if !self.failed.contains_key(&key) && self.decoding.insert(key) {
                out.push(w.clone());
            }
        }
        out
    }

    /// Files a decoded thumbnail; `false` when it was dropped as stale.
    pub fn insert(
        &mut self,
        file_name: String,
        cols: u16,
        rows: u16,
        thumb: Result<Arc<Thumb>, String>,
    ) -> bool {
        let key = (file_name, cols, rows);
        self.decoding.remove(&key);
        if self.wanted.get(&key.0) != Some(&(cols, rows)) {
            return false;
        }
        match thumb {
            Ok(t) => self.ready.insert(key, t),
            Err(e) => {
                self.failed.insert(key, e);
            }
        }
        true
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ready.len()
    }

    /// Forgets every thumbnail (the cell size changed: each must be made
    /// again at the new one). A decode still running when this happens
    /// is kept when it lands if the view still wants its cells (made at
    /// the old cell size: kitty and iTerm2 scale it to the cells anyway).
    pub(crate) fn forget_all(&mut self) {
        self.ready.clear();
        self.failed.clear();
        self.decoding.clear();
        self.wanted.clear();
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.ready.is_empty()
    }
}

mod palette;

#[cfg(test)]
mod tests;
