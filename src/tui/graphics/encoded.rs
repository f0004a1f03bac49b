//! Pictures sent as text in the escape sequence itself (sixel, and iTerm2's
//! base64 PNG), encoded off the UI loop and kept.
//!
//! Quantising and encoding a picture (or a crop of it as a PNG) takes
//! milliseconds to tens of them,
//! so it never happens while a frame is drawn or printed: a placement
//! whose text is not ready is left as the half-blocks the view drew (the
//! placeholder) and becomes a [`EncodeJob`]; `update` asks the effects to
//! [`encode`] it on a blocking task, and the result lands in the app's
//! [`EncodedPictures`] (`Event::PictureEncoded`). The next frame prints the cached
//! text. The key is the picture's content and its crop, not where it is:
//! a redraw, or `j`/`k` moving a picture, prints the same bytes again at
//! the new place without encoding them again.

use std::collections::HashSet;
use std::sync::Arc;

use image::DynamicImage;

use ratatui::buffer::Buffer;

use super::lru::Lru;
use super::{GraphicsBackend, Pixels, Placed, Route, Shown};

/// Which encoded text: a thumbnail's content (its id, which covers its
/// pixels per cell) and the part shown, rows `first_row..` of `cols`×`rows`
/// cells. Where it shows is not part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PictureKey {
    pub(crate) id: u64,
    pub(crate) first_row: u16,
    pub cols: u16,
    pub rows: u16,
}

impl PictureKey {
    pub(crate) fn of(p: &Placed) -> PictureKey {
        PictureKey {
            id: p.shown.id,
            first_row: p.shown.first_row,
            cols: p.shown.area.width,
            rows: p.shown.area.height,
        }
    }
}

/// A picture to encode: what the key names, with the pixels to crop, in
/// the protocol of `backend` (sixel or iTerm2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeJob {
    pub(crate) key: PictureKey,
    pub(crate) pixels: Arc<Pixels>,
    pub(crate) backend: GraphicsBackend,
}

/// The part of `pixels` shown: rows `first_row..` of `cols`×`rows` cells.
pub(crate) fn crop(pixels: &Pixels, first_row: u16, cols: u16, rows: u16) -> DynamicImage {
    let (cw, ch) = (u32::from(pixels.cell_px.0), u32::from(pixels.cell_px.1));
    let img = &pixels.image;
    let y = (u32::from(first_row) * ch).min(img.height());
    let h = (u32::from(rows) * ch).min(img.height() - y);
    let w = (u32::from(cols) * cw).min(img.width());
    DynamicImage::ImageRgb8(image::imageops::crop_imm(img, 0, y, w, h).to_image())
}

/// The job's picture as the text its protocol sends (without the cursor
/// move before it): sixel (icy_sixel, viuer's encoder), or iTerm2's
/// inline image (OSC 1337, a PNG in base64, stretched over the cells).
/// Slow: only ever on a blocking task, never while drawing.
pub(crate) fn encode(job: &EncodeJob) -> Result<Arc<str>, String> {
    if job.backend == GraphicsBackend::Iterm {
        return iterm(job).map(Arc::from);
    }
    let k = job.key;
    let shown = crop(&job.pixels, k.first_row, k.cols, k.rows);
    let box_height = shown.height();
    let mut rgba = whole_bands(shown).to_rgba8();
    let cut = rgba.height() < box_height;
    let edge = match job.pixels.backdrop {
        // The last pixel row in the background colour puts that colour
        // in the palette, for register 0 (see `zero_like`).
        Some(bg) if cut => {
            let last = rgba.height() - 1;
            for x in 0..rgba.width() {
                rgba.put_pixel(x, last, image::Rgba([bg[0], bg[1], bg[2], 255]));
            }
            bg
        }
        Some(bg) => bg,
        None => bottom_colour(&rgba),
    };
    icy_sixel::sixel_string(
        rgba.as_raw(),
        i32::try_from(rgba.width()).unwrap_or(0),
        i32::try_from(rgba.height()).unwrap_or(0),
        icy_sixel::PixelFormat::RGBA8888,
        icy_sixel::DiffusionMethod::Auto,
        icy_sixel::MethodForLargest::Auto,
        icy_sixel::MethodForRep::Auto,
        icy_sixel::Quality::AUTO,
    )
    .map(|s| Arc::from(if cut { zero_like(&s, edge) } else { s }))
    .map_err(|e| e.to_string())
}

/// The mean colour of the picture's last pixel row.
fn bottom_colour(img: &image::RgbaImage) -> [u8; 3] {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return [0; 3];
    }
    let mut sum = [0u64; 3];
    for x in 0..w {
        let p = img.get_pixel(x, h - 1).0;
        for (s, v) in sum.iter_mut().zip(p) {
            *s += u64::from(v);
        }
    }
    sum.map(|s| u8::try_from(s / u64::from(w)).unwrap_or(u8::MAX))
}

/// Seen in tmux 3.5a in xterm: tmux shows a sixel over whole cells and
/// the terminal paints the pixels below its last band (up to 5 rows, see
/// [`whole_bands`]) in colour register 0, whatever the sixel's P2 asks —
/// a strip of one of the picture's colours under it. So register 0 is
/// made the palette colour closest to `edge` — the terminal's background
/// when it told (`OSC 11`), else the mean of the picture's bottom row —
/// by swapping its number with 0's: the strip vanishes into the blank
/// cell, or continues the edge.
fn zero_like(sixel: &str, edge: [u8; 3]) -> String {
    let percent = edge.map(|v| u32::from(v) * 100 / 255);
    let mut best: Option<(u32, u32)> = None;
    for (at, n) in registers(sixel) {
        // A definition: `#n;2;r;g;b` (percentages); a use is `#n` alone.
        let Some(def) = sixel[at.end..].strip_prefix(";2;") else {
            continue;
        };
        let rgb: Vec<u32> = def
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .filter_map(|v| v.parse().ok())
            .collect();
        if let [r, g, b] = rgb[..] {
            let d = [r, g, b]
                .iter()
                .zip(percent)
                .map(|(a, b)| a.abs_diff(b).pow(2))
                .sum();
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((n, d));
            }
        }
    }
    let Some((k, _)) = best.filter(|&(k, _)| k != 0) else {
        return sixel.to_owned();
    };
    let mut out = String::with_capacity(sixel.len());
    let mut copied = 0;
    for (at, n) in registers(sixel) {
        let swapped = match n {
            0 => k,
            n if n == k => 0,
            n => n,
        };
        out.push_str(&sixel[copied..at.start]);
        out.push_str(&swapped.to_string());
        copied = at.end;
    }
    out.push_str(&sixel[copied..]);
    out
}

/// Every colour register a sixel names (`#n`, defined or used): where its
/// number stands and the number.
fn registers(sixel: &str) -> impl Iterator<Item = (std::ops::Range<usize>, u32)> + '_ {
    sixel.match_indices('#').filter_map(move |(at, _)| {
        let start = at + 1;
        let len = sixel[start..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let n = sixel[start..start + len].parse().ok()?;
        Some((start..start + len, n))
    })
}

/// Sixel is sent in bands of 6 pixel rows, and tmux (3.5a) gives a
/// picture the cells of its last band whole: a height that is not a
/// multiple of 6 covered one row more than its own (a brown strip under
/// the picture). The last partial band is left out: at most 5 pixel rows
/// at the bottom, which stay the blank cell under it.
fn whole_bands(img: DynamicImage) -> DynamicImage {
    let (w, h) = (img.width(), img.height());
    if h < 6 || h % 6 == 0 {
        return img;
    }
    img.crop_imm(0, 0, w, h - h % 6)
}

/// iTerm2's inline image of the job's crop: the PNG made with the
/// thumbnail when the whole picture shows, else the crop encoded now.
fn iterm(job: &EncodeJob) -> Result<String, String> {
    use base64::Engine as _;
    let k = job.key;
    let p = &job.pixels;
    let whole = k.first_row == 0
        && u32::from(k.cols) * u32::from(p.cell_px.0) == p.image.width()
        && u32::from(k.rows) * u32::from(p.cell_px.1) == p.image.height();
    let cropped;
    let png: &[u8] = if whole {
        &p.png
    } else {
        let mut buf = Vec::new();
        crop(p, k.first_row, k.cols, k.rows)
            .write_to(&mut std::io::Cursor::new(&mut buf), image::ImageFormat::Png)
            .map_err(|e| e.to_string())?;
        cropped = buf;
        &cropped
    };
    Ok(format!(
        "\x1b]1337;File=inline=1;size={};width={};height={};preserveAspectRatio=0;doNotMoveCursor=1:{}\x07",
        png.len(),
        k.cols,
        k.rows,
        base64::engine::general_purpose::STANDARD.encode(png)
    ))
}

/// Encoded pictures, at most `capacity`, least recently wanted
/// dropped; each asked for once (while encoding, or after it failed, it
/// is not asked for again).
#[derive(Debug, Clone)]
pub(crate) struct EncodedPictures {
    ready: Lru<PictureKey, Arc<str>>,
    encoding: HashSet<PictureKey>,
    failed: HashSet<PictureKey>,
}

impl Default for EncodedPictures {
    fn default() -> Self {
        EncodedPictures::new(64)
    }
}

impl EncodedPictures {
    pub(crate) fn new(capacity: usize) -> EncodedPictures {
        EncodedPictures {
            ready: Lru::new(capacity),
            encoding: HashSet::new(),
            failed: HashSet::new(),
        }
    }

    /// The encoded picture, when ready.
    pub(crate) fn get(&self, key: &PictureKey) -> Option<&Arc<str>> {
        self.ready.get(key)
    }

    /// Notes what a frame wanted printed; returns the jobs to start (not
    /// ready, not encoding, not failed).
    pub(crate) fn want(&mut self, jobs: &[EncodeJob]) -> Vec<EncodeJob> {
        let mut out = Vec::new();
        for job in jobs {
            if !self.ready.touch(&job.key)
                && !self.failed.contains(&job.key)
                && self.encoding.insert(job.key)
            {
                out.push(job.clone());
            }
        }
        out
    }

    /// Files an encoded picture (or why it could not be).
    pub(crate) fn insert(&mut self, key: PictureKey, text: Result<Arc<str>, String>) {
        self.encoding.remove(&key);
        match text {
            Ok(s) => self.ready.insert(key, s),
            Err(e) => {
                tracing::warn!("encoding a picture failed: {e}");
                self.failed.insert(key);
            }
        }
    }

    /// Splits a frame's visible placements: those that can be printed now
    /// (their text attached) and the jobs for the others, which stay
    /// half-blocks until their text is ready.
    pub(crate) fn split(
        &self,
        placed: Vec<Placed>,
        backend: GraphicsBackend,
    ) -> (Vec<Placed>, Vec<EncodeJob>) {
        let mut ready = Vec::new();
        let mut jobs = Vec::new();
        for mut p in placed {
            let key = PictureKey::of(&p);
            match self.get(&key) {
                Some(s) => {
                    p.encoded = Some(Arc::clone(s));
                    ready.push(p);
                }
                None => jobs.push(EncodeJob {
                    key,
                    pixels: Arc::clone(&p.pixels),
                    backend,
                }),
            }
        }
        (ready, jobs)
    }
}

/// What a frame prints: the placements that really show ([`visible`](super::visible));
/// for sixel and iTerm2 only those whose picture is encoded, the others returned as
/// jobs and left as the half-blocks the view drew until it is. The cells
/// of what is printed are marked skipped ([`mark_skip`](super::mark_skip)).
///
/// With Unicode placeholders the pictures are text in the buffer already:
/// every placement goes to the presenter (to send pictures it has not
/// sent), nothing is skipped.
pub(crate) fn to_print(
    placed: Vec<Placed>,
    buf: &mut Buffer,
    backend: GraphicsBackend,
    route: Route,
    encoded: &EncodedPictures,
) -> (Vec<Placed>, Vec<EncodeJob>) {
    if route == Route::Placeholders {
        return (placed, Vec::new());
    }
    let shown = super::visible(placed, buf);
    let (print, jobs) = if matches!(backend, GraphicsBackend::Sixel | GraphicsBackend::Iterm) {
        encoded.split(shown, backend)
    } else {
        (shown, Vec::new())
    };
    let cells: Vec<Shown> = print.iter().map(|p| p.shown).collect();
    super::mark_skip(buf, &cells);
    (print, jobs)
}

#[cfg(test)]
mod tests;
