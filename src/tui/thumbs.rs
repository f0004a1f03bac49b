//! Thumbnails: images drawn as Unicode half-blocks INTO the ratatui buffer.
//!
//! Each cell is `▀` with the upper pixel as foreground and the lower pixel
//! as background (truecolor), so a `cols`×`rows` area shows `cols`×`2·rows`
//! pixels. The picture is scaled to exactly that off the UI task
//! ([`Thumb::from_image`] runs on `spawn_blocking`), so drawing is a copy.
//! It works over SSH and inside tmux, cannot flicker and never fights
//! ratatui's diff, because it *is* ordinary cells.
//!
//! [`GraphicsBackend`] is the seam for real graphics protocols later
//! (kitty / iTerm2 / sixel through viuer, printed after the draw onto
//! cells marked skip; see `/work/shared/GRAPHICS-NOTES.md`).
//!
//! [`ThumbCache`] keeps decoded thumbnails keyed by blob and cell size, an
//! LRU by count, and remembers which are being decoded so each is asked for
//! once; a result for a size the view no longer wants is dropped.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use image::DynamicImage;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;

/// How images reach the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GraphicsBackend {
    /// Half-blocks in the buffer (everywhere, including SSH and tmux).
    #[default]
    Blocks,
    /// No images: a box with the image's size in its place.
    None,
}

impl std::str::FromStr for GraphicsBackend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "blocks" | "halfblocks" => Ok(GraphicsBackend::Blocks),
            "none" => Ok(GraphicsBackend::None),
            _ => Err(format!(
                "--graphics {s:?}: use blocks or none (kitty, iterm and sixel are not built yet)"
            )),
        }
    }
}

/// A picture scaled to `cols`×`rows` cells: per cell the upper and lower
/// pixel, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumb {
    pub cols: u16,
    pub rows: u16,
    pub cells: Vec<([u8; 3], [u8; 3])>,
}

impl Thumb {
    /// Scales `img` to exactly `cols`×`2·rows` pixels. Slow for big images
    /// (tens of ms): call off the UI task.
    pub fn from_image(img: &DynamicImage, cols: u16, rows: u16) -> Thumb {
        let (w, h) = (u32::from(cols.max(1)), u32::from(rows.max(1)) * 2);
        let small = img.thumbnail_exact(w, h).to_rgb8();
        let mut cells = Vec::with_capacity(usize::from(cols) * usize::from(rows));
        for r in 0..u32::from(rows) {
            for c in 0..u32::from(cols) {
                let up = small.get_pixel_checked(c, 2 * r).map_or([0; 3], |p| p.0);
                let down = small
                    .get_pixel_checked(c, 2 * r + 1)
                    .map_or([0; 3], |p| p.0);
                cells.push((up, down));
            }
        }
        Thumb { cols, rows, cells }
    }

    /// Draws rows `first_row..` of the thumbnail at `area` (clipped to it).
    pub fn render(&self, first_row: u16, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        for dy in 0..area.height {
            let r = first_row + dy;
            if r >= self.rows {
                break;
            }
            for dx in 0..area.width.min(self.cols) {
                let (up, down) =
                    self.cells[usize::from(r) * usize::from(self.cols) + usize::from(dx)];
                if let Some(cell) = buf.cell_mut((area.x + dx, area.y + dy)) {
                    cell.set_symbol("▀")
                        .set_fg(Color::Rgb(up[0], up[1], up[2]))
                        .set_bg(Color::Rgb(down[0], down[1], down[2]));
                }
            }
        }
    }
}

/// The largest `cols`×`rows` cell box with the image's aspect ratio inside
/// `max_cols`×`max_rows`, assuming square half-block pixels (a cell is
/// one pixel wide, two high).
pub fn fit(width: u32, height: u32, max_cols: u16, max_rows: u16) -> (u16, u16) {
    if width == 0 || height == 0 || max_cols == 0 || max_rows == 0 {
        return (0, 0);
    }
    let (w, h) = (f64::from(width), f64::from(height));
    let scale = (f64::from(max_cols) / w).min(f64::from(max_rows) * 2.0 / h);
    // Rounded and clamped: the result always fits and is never empty.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let cols = ((w * scale).round() as u16).clamp(1, max_cols);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let rows = ((h * scale / 2.0).round() as u16).clamp(1, max_rows);
    (cols, rows)
}

/// Which thumbnail a drawn frame wanted: the view reports these; the loop
/// turns the missing ones into decode effects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbWant {
    pub blob: crate::core::tree::Blob,
    pub cols: u16,
    pub rows: u16,
}

type ThumbKey = (String, u16, u16);

/// Decoded thumbnails, at most `capacity`, least recently wanted dropped.
#[derive(Debug, Clone)]
pub struct ThumbCache {
    capacity: usize,
    ready: HashMap<ThumbKey, (Arc<Thumb>, u64)>,
    failed: HashMap<ThumbKey, String>,
    decoding: HashSet<ThumbKey>,
    /// The latest size wanted per blob: a late result of another size is
    /// stale.
    wanted: HashMap<String, (u16, u16)>,
    uses: u64,
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
            capacity: capacity.max(1),
            ready: HashMap::new(),
            failed: HashMap::new(),
            decoding: HashSet::new(),
            wanted: HashMap::new(),
            uses: 0,
        }
    }

    pub fn get(&self, sha256: &str, cols: u16, rows: u16) -> ThumbState<'_> {
        let key = (sha256.to_owned(), cols, rows);
        if let Some((t, _)) = self.ready.get(&key) {
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
            self.uses += 1;
            let key = (w.blob.sha256.clone(), w.cols, w.rows);
            self.wanted.insert(w.blob.sha256.clone(), (w.cols, w.rows));
            if let Some(entry) = self.ready.get_mut(&key) {
                entry.1 = self.uses;
            } else if !self.failed.contains_key(&key) && self.decoding.insert(key) {
                out.push(w.clone());
            }
        }
        out
    }

    /// Files a decoded thumbnail; `false` when it was dropped as stale.
    pub fn insert(
        &mut self,
        sha256: String,
        cols: u16,
        rows: u16,
        thumb: Result<Arc<Thumb>, String>,
    ) -> bool {
        let key = (sha256, cols, rows);
        self.decoding.remove(&key);
        if self.wanted.get(&key.0) != Some(&(cols, rows)) {
            return false;
        }
        match thumb {
            Ok(t) => {
                self.uses += 1;
                self.ready.insert(key, (t, self.uses));
                while self.ready.len() > self.capacity {
                    let oldest = self
                        .ready
                        .iter()
                        .min_by_key(|(_, (_, used))| *used)
                        .map(|(k, _)| k.clone());
                    if let Some(k) = oldest {
                        self.ready.remove(&k);
                    }
                }
            }
            Err(e) => {
                self.failed.insert(key, e);
            }
        }
        true
    }

    pub fn len(&self) -> usize {
        self.ready.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ready.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::tree::Blob;

    fn blob(sha: &str) -> Blob {
        Blob {
            sha256: sha.into(),
            ext: "png".into(),
            bytes: 1,
            width: 16,
            height: 9,
        }
    }

    #[test]
    fn fit_keeps_the_aspect_ratio_within_the_box() {
        // 16:9 into 40x12 cells = 40x24 pixels: width-bound.
        assert_eq!(fit(3840, 2160, 40, 12), (40, 11));
        // Into 80x12 cells = 80x24 pixels: height-bound.
        assert_eq!(fit(3840, 2160, 80, 12), (43, 12));
        // Wide box, tall image.
        assert_eq!(fit(720, 1280, 80, 10), (11, 10));
        assert_eq!(fit(1000, 1000, 10, 100), (10, 5));
        assert_eq!(fit(0, 10, 10, 10), (0, 0));
    }

    #[test]
    fn half_blocks_carry_upper_and_lower_pixels() {
        let mut img = image::RgbImage::new(2, 4);
        for (x, y, p) in img.enumerate_pixels_mut() {
            *p = if y < 2 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            };
            let _ = x;
        }
        let t = Thumb::from_image(&DynamicImage::ImageRgb8(img), 2, 2);
        assert_eq!(t.cells.len(), 4);
        assert_eq!(t.cells[0], ([255, 0, 0], [255, 0, 0]));
        assert_eq!(t.cells[3], ([0, 0, 255], [0, 0, 255]));
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 4));
        t.render(0, Rect::new(1, 1, 3, 3), &mut buf);
        let cell = &buf[(1, 1)];
        assert_eq!(cell.symbol(), "▀");
        assert_eq!(cell.fg, Color::Rgb(255, 0, 0));
        assert_eq!(
            buf[(3, 1)].symbol(),
            " ",
            "clipped to the thumbnail's width"
        );
    }

    #[test]
    fn cache_asks_once_drops_stale_and_evicts_least_recent() {
        let mut c = ThumbCache::new(2);
        let a = ThumbWant {
            blob: blob("a"),
            cols: 4,
            rows: 2,
        };
        assert_eq!(c.want(std::slice::from_ref(&a)), vec![a.clone()]);
        assert!(
            c.want(std::slice::from_ref(&a)).is_empty(),
            "already decoding"
        );
        // The view now wants another size: the first result is stale.
        let a2 = ThumbWant {
            cols: 6,
            rows: 3,
            ..a.clone()
        };
        assert_eq!(c.want(std::slice::from_ref(&a2)).len(), 1);
        let t = |cols, rows| {
            Ok(Arc::new(Thumb {
                cols,
                rows,
                cells: vec![([0; 3], [0; 3]); usize::from(cols * rows)],
            }))
        };
        assert!(!c.insert("a".into(), 4, 2, t(4, 2)));
        assert!(c.insert("a".into(), 6, 3, t(6, 3)));
        assert!(matches!(c.get("a", 6, 3), ThumbState::Ready(_)));
        for s in ["b", "c"] {
            let w = ThumbWant {
                blob: blob(s),
                cols: 1,
                rows: 1,
            };
            c.want(std::slice::from_ref(&w));
            assert!(c.insert(s.into(), 1, 1, t(1, 1)));
        }
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("a", 6, 3), ThumbState::Decoding, "the oldest went");
        assert!(!c.insert("z".into(), 1, 1, Err("x".into())), "never wanted");
    }
}
