//! Picture synthesis: a deterministic image per prompt and [`Draw`] (the
//! hue from a hash of the prompt, the palette's spread, pattern and layout
//! from the prompt and the draw), or a reference image scaled to the output
//! size and marked with the prompt's colours; fast PNG encoding; and the
//! size an `auto` request gets.
//!
//! CPU-bound: callers run it on `spawn_blocking`. Rows are filled on
//! scoped threads so a 4K result stays well under a second.

use std::f32::consts::PI;
use std::num::NonZeroUsize;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ExtendedColorType, ImageEncoder, RgbImage};
use sha2::{Digest, Sha256};

use pixloom_core::size::{RATIOS, SIZES, Size, Tier};

/// How a prompt looks: a three-stop palette, a pattern, and a "sun" disc.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Look {
    stops: [[f32; 3]; 3],
    accent: [f32; 3],
    pattern: Pattern,
    cos: f32,
    sin: f32,
    freq: f32,
    sun: (f32, f32, f32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    Linear,
    Stripes,
    Rings,
    Checker,
    Waves,
}

/// Which picture of a prompt to draw: the real gateway answers every call
/// with a new picture, so the fake numbers its draws and mixes the number
/// into the picture; a seed fixes the whole sequence for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Draw {
    /// The gateway's seed (`--seed`, `FakeConfig::seed`).
    pub seed: u64,
    /// The draw's place in the gateway's sequence (0, 1, …).
    pub(crate) number: u64,
}

/// How far a draw may turn the prompt's hue, in degrees either way: the
/// variants of one prompt stay one family of colours.
const HUE_JITTER: f32 = 25.0;

/// The look of a prompt in one draw: the same prompt and draw always look
/// the same. The prompt alone sets the composition (pattern, angle,
/// frequency, the disc's size) and the hue family; the draw sets the
/// colours within it and where the disc sits. So two draws of a prompt
/// are visibly variants of one picture, and cost about the same bytes
/// as PNG (the composition is what decides the size); two prompts differ
/// in hue and composition.
pub(crate) fn look(prompt: &str, draw: Draw) -> Look {
    let prompt = prompt.trim().as_bytes();
    let family = Sha256::digest(prompt);
    let this = Sha256::new()
        .chain_update(prompt)
        .chain_update(draw.seed.to_be_bytes())
        .chain_update(draw.number.to_be_bytes())
        .finalize();
    let fixed = |i: usize| f32::from(family[i]) / 255.0;
    let unit = |i: usize| f32::from(this[i]) / 255.0;
    let hue = f32::from(u16::from_be_bytes([family[0], family[1]])) / 65536.0 * 360.0
        + (unit(0) * 2.0 - 1.0) * HUE_JITTER;
    let spread = 35.0 + unit(2) * 110.0;
    let sat = 0.55 + unit(3) * 0.4;
    let pattern = match family[4] % 5 {
        0 => Pattern::Linear,
        1 => Pattern::Stripes,
        2 => Pattern::Rings,
        3 => Pattern::Checker,
        _ => Pattern::Waves,
    };
    let angle = fixed(5) * PI;
    Look {
        stops: [
            hsv(hue, sat, 0.22 + unit(8) * 0.2),
            hsv(hue + spread, sat * 0.9, 0.75 + unit(9) * 0.2),
            hsv(hue + 180.0, sat * 0.7, 0.5 + unit(10) * 0.3),
        ],
        accent: hsv(hue + 90.0, 0.9, 0.95),
        pattern,
        cos: angle.cos(),
        sin: angle.sin(),
        freq: 3.0 + f32::from(family[6] % 9),
        sun: (
            0.2 + unit(11) * 0.6,
            0.2 + unit(12) * 0.6,
            0.08 + fixed(13) * 0.12,
        ),
    }
}

/// `hsv` in degrees and 0..1, to linear 0..255 RGB.
fn hsv(h: f32, s: f32, v: f32) -> [f32; 3] {
    let h = h.rem_euclid(360.0) / 60.0;
    let c = v * s;
    let x = c * (1.0 - ((h % 2.0) - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [(r + m) * 255.0, (g + m) * 255.0, (b + m) * 255.0]
}

fn lerp3(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

/// 0→1→0 over each unit interval: stripes without hard edges.
fn tri(x: f32) -> f32 {
    let f = x - x.floor();
    1.0 - (2.0 * f - 1.0).abs()
}

impl Look {
    /// The colour at `(u, v)`, both in units of the image's shorter side.
    fn shade(&self, u: f32, v: f32) -> [f32; 3] {
        let along = u * self.cos + v * self.sin;
        let across = -u * self.sin + v * self.cos;
        let t = match self.pattern {
            Pattern::Linear => along.clamp(0.0, 1.0),
            Pattern::Stripes => tri(along * self.freq * 0.5),
            Pattern::Rings => {
                let (du, dv) = (u - self.sun.0, v - self.sun.1);
                tri((du * du + dv * dv).sqrt() * self.freq * 0.5)
            }
            Pattern::Checker => {
                let cell = (along * self.freq).floor() + (across * self.freq).floor();
                0.3 + 0.4 * (cell.rem_euclid(2.0)) + 0.3 * along.clamp(0.0, 1.0)
            }
            Pattern::Waves => {
                0.5 + 0.5 * (along * self.freq * PI + (across * 3.0).sin() * 1.5).sin()
            }
        };
        let base = if t < 0.5 {
            lerp3(self.stops[0], self.stops[1], t * 2.0)
        } else {
            lerp3(self.stops[1], self.stops[2], t * 2.0 - 1.0)
        };
        // A soft-edged disc, so every picture has a subject.
        let (du, dv) = (u - self.sun.0, v - self.sun.1);
        let d = (du * du + dv * dv).sqrt();
        let edge = ((self.sun.2 - d) / 0.01).clamp(0.0, 1.0);
        lerp3(base, self.accent, edge * 0.85)
    }
}

fn to_px(c: [f32; 3]) -> [u8; 3] {
    [
        c[0].clamp(0.0, 255.0) as u8,
        c[1].clamp(0.0, 255.0) as u8,
        c[2].clamp(0.0, 255.0) as u8,
    ]
}

/// Runs `f(y, row)` over every row of pixels, rows split across threads.
fn par_rows(img: &mut RgbImage, f: impl Fn(u32, &mut [u8]) + Sync) {
    let w = img.width() as usize;
    let h = img.height() as usize;
    if w == 0 || h == 0 {
        return;
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .clamp(1, 16);
    let rows_per = h.div_ceil(threads);
    let buf: &mut [u8] = img;
    std::thread::scope(|s| {
        for (i, chunk) in buf.chunks_mut(rows_per * w * 3).enumerate() {
            let f = &f;
            s.spawn(move || {
                for (j, row) in chunk.chunks_exact_mut(w * 3).enumerate() {
                    f((i * rows_per + j) as u32, row);
                }
            });
        }
    });
}

/// For each output coordinate along one axis: the two source indices and
/// the weight of the second, in 256ths (bilinear sampling, centres
/// aligned).
fn axis_map(src_len: u32, dst_len: u32) -> Vec<(usize, usize, u16)> {
    let ratio = src_len as f32 / dst_len as f32;
    let last = src_len.saturating_sub(1) as f32;
    (0..dst_len)
        .map(|i| {
            let s = ((i as f32 + 0.5) * ratio - 0.5).clamp(0.0, last);
            let s0 = s.floor();
            let s1 = (s0 + 1.0).min(last);
            (s0 as usize, s1 as usize, ((s - s0) * 256.0) as u16)
        })
        .collect()
}

/// `src` scaled to `width`×`height` by bilinear sampling, each byte mapped
/// through `lut[channel]` on the way. Hand-written rather than a resize
/// crate's generic code, which runs unoptimised in debug builds (tests):
/// only the source rows actually sampled are widened, then each output row
/// is a blend of two widened rows.
fn scale(src: &RgbImage, width: u32, height: u32, lut: &[[u8; 256]; 3]) -> RgbImage {
    let (sw, sh) = src.dimensions();
    let mut out = RgbImage::new(width, height);
    if sw == 0 || sh == 0 || width == 0 || height == 0 {
        return out;
    }
    let xs = axis_map(sw, width);
    let ys = axis_map(sh, height);
    let stride = width as usize * 3;
    let src_stride = sw as usize * 3;
    let raw = src.as_raw();
    // Widened rows, by source row index, only where sampled.
    let mut needed = vec![false; sh as usize];
    for &(y0, y1, _) in &ys {
        needed[y0] = true;
        needed[y1] = true;
    }
    let mut wide: Vec<Option<Vec<u8>>> = vec![None; sh as usize];
    for (y, slot) in wide.iter_mut().enumerate() {
        if !needed[y] {
            continue;
        }
        let row = &raw[y * src_stride..(y + 1) * src_stride];
        let mut w = vec![0u8; stride];
        // Plain loops and `as` casts: this is hot, and debug builds do not
        // inline `From` calls.
        for (out, &(x0, x1, wx)) in w.chunks_exact_mut(3).zip(&xs) {
            let (a, b, wx) = (
                &row[x0 * 3..x0 * 3 + 3],
                &row[x1 * 3..x1 * 3 + 3],
                wx as u32,
            );
            let wa = 256 - wx;
            out[0] = lut[0][((a[0] as u32 * wa + b[0] as u32 * wx) >> 8) as usize];
            out[1] = lut[1][((a[1] as u32 * wa + b[1] as u32 * wx) >> 8) as usize];
            out[2] = lut[2][((a[2] as u32 * wa + b[2] as u32 * wx) >> 8) as usize];
        }
        *slot = Some(w);
    }
    let empty = Vec::new();
    let wide_row = |y: usize| wide[y].as_ref().unwrap_or(&empty);
    par_rows(&mut out, |y, row| {
        let (y0, y1, wy) = ys[y as usize];
        let (a, b) = (wide_row(y0), wide_row(y1));
        if wy == 0 || y0 == y1 {
            row.copy_from_slice(a);
            return;
        }
        // A blend of two widened rows, 8 bytes at a time: every other byte
        // in a 16-bit lane, which cannot overflow (255 * 256 < 65536).
        let (wa, wb) = (u64::from(256 - wy), u64::from(wy));
        const LANES: u64 = 0x00FF_00FF_00FF_00FF;
        let mut i = 0;
        let n = row.len();
        while i + 8 <= n {
            let (mut ab, mut bb) = ([0u8; 8], [0u8; 8]);
            ab.copy_from_slice(&a[i..i + 8]);
            bb.copy_from_slice(&b[i..i + 8]);
            let (x, y) = (u64::from_ne_bytes(ab), u64::from_ne_bytes(bb));
            let even = (((x & LANES) * wa + (y & LANES) * wb) >> 8) & LANES;
            let odd = (((x >> 8) & LANES) * wa + ((y >> 8) & LANES) * wb) & !LANES;
            row[i..i + 8].copy_from_slice(&(even | odd).to_ne_bytes());
            i += 8;
        }
        while i < n {
            row[i] = ((a[i] as u64 * wa + b[i] as u64 * wb) >> 8) as u8;
            i += 1;
        }
    });
    out
}

/// The identity byte map.
fn no_tint() -> [[u8; 256]; 3] {
    let id: [u8; 256] = std::array::from_fn(|v| v as u8);
    [id, id, id]
}

/// The pattern is drawn at most this large on its long side, then scaled
/// up: the picture is smooth anyway, and per-pixel maths at 4K would cost
/// far more than the (SIMD) resize.
const DRAFT_LONG_SIDE: u32 = 480;

/// A fresh picture for `prompt` in `draw`, exactly `width`×`height`.
pub(crate) fn generate(prompt: &str, draw: Draw, width: u32, height: u32) -> RgbImage {
    let look = look(prompt, draw);
    let width = width.max(1);
    let height = height.max(1);
    let k = (DRAFT_LONG_SIDE as f32 / width.max(height) as f32).min(1.0);
    let dw = ((width as f32 * k).round() as u32).clamp(1, width);
    let dh = ((height as f32 * k).round() as u32).clamp(1, height);
    // Coordinates in units of the full image's shorter side, so the
    // picture's layout does not depend on the draft size.
    let step_x = width as f32 / dw as f32 / width.min(height) as f32;
    let step_y = height as f32 / dh as f32 / width.min(height) as f32;
    let mut draft = RgbImage::new(dw, dh);
    par_rows(&mut draft, |y, row| {
        let v = (y as f32 + 0.5) * step_y;
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            px.copy_from_slice(&to_px(look.shade((x as f32 + 0.5) * step_x, v)));
        }
    });
    if (dw, dh) == (width, height) {
        return draft;
    }
    scale(&draft, width, height, &no_tint())
}

/// The disc's diameter, in percent of the picture's shorter side.
pub(crate) const DISC_PERCENT: u32 = 80;

/// A known picture (`[fake:disc=RRGGBB]`): a disc of exactly `colour`,
/// centred, its diameter [`DISC_PERCENT`] of the shorter side, on white,
/// with hard edges (no blended pixels): every pixel is white or `colour`.
pub(crate) fn disc(colour: [u8; 3], width: u32, height: u32) -> RgbImage {
    let (width, height) = (width.max(1), height.max(1));
    let r = f64::from(width.min(height)) * f64::from(DISC_PERCENT) / 200.0;
    let (cx, cy) = (f64::from(width) / 2.0, f64::from(height) / 2.0);
    let mut img = RgbImage::from_pixel(width, height, image::Rgb([255, 255, 255]));
    par_rows(&mut img, |y, row| {
        let dy = f64::from(y) + 0.5 - cy;
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let dx = x as f64 + 0.5 - cx;
            if dx * dx + dy * dy <= r * r {
                px.copy_from_slice(&colour);
            }
        }
    });
    img
}

/// Share of the tint toward the prompt's accent colour on a derived
/// image, in 256ths.
const TINT_256: u32 = 26;
/// Height of the prompt-patterned band at the bottom of a derived image,
/// in percent.
const BAND_PERCENT: u32 = 6;

/// `reference` scaled to `width`×`height`, tinted toward the prompt's
/// colour, with a band of the prompt's pattern along the bottom: visibly
/// the same picture (its mean colour stays close), visibly edited.
pub(crate) fn derive(
    reference: &DynamicImage,
    prompt: &str,
    draw: Draw,
    width: u32,
    height: u32,
) -> RgbImage {
    let look = look(prompt, draw);
    // A tint is a byte → byte map per channel; it commutes with the
    // blending, so it is applied while scaling.
    let lut: [[u8; 256]; 3] = std::array::from_fn(|c| {
        let accent = look.accent[c].clamp(0.0, 255.0) as u32;
        std::array::from_fn(|v| ((v as u32 * (256 - TINT_256) + accent * TINT_256) >> 8) as u8)
    });
    let mut img = scale(&reference.to_rgb8(), width, height, &lut);
    let band_h = (height * BAND_PERCENT / 100).clamp(1, height.max(1));
    let band = generate(prompt, draw, width, band_h);
    let at = (height - band_h) as usize * width as usize * 3;
    let buf: &mut [u8] = &mut img;
    if let Some(dst) = buf.get_mut(at..at + band.as_raw().len()) {
        dst.copy_from_slice(band.as_raw());
    }
    img
}

/// PNG bytes, encoded for speed rather than size. zlib level 1 with the
/// Up filter: the pictures are smooth vertically (scaled up from a draft),
/// so this is both the fastest and among the smallest choices measured,
/// and its deflate runs in miniz_oxide's own optimised code even in debug
/// builds, unlike `CompressionType::Fast` whose generic encoder does not.
/// How far apart two pictures of one size are: the mean absolute
/// difference per channel (0 to 255). The fake promises that different
/// prompts draw clearly different pictures (well over 20); its tests and
/// the integration tests check that with this one measure.
pub fn mean_abs_difference(a: &RgbImage, b: &RgbImage) -> u64 {
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum / a.as_raw().len().max(1) as u64
}

pub(crate) fn encode_png(img: &RgbImage) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::with_capacity(img.as_raw().len() / 8);
    PngEncoder::new_with_quality(&mut out, CompressionType::Level(1), FilterType::Up).write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

/// The first `WxH` in `text` (`x`, `X` or `×`), if any.
fn dims_in(text: &str) -> Option<(u32, u32)> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit()) {
            let num = |from: usize| -> (u32, usize) {
                let mut j = from;
                let mut n: u32 = 0;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    n = n
                        .saturating_mul(10)
                        .saturating_add(chars[j].to_digit(10).unwrap_or(0));
                    j += 1;
                }
                (n, j)
            };
            let (w, j) = num(i);
            if j < chars.len() && matches!(chars[j], 'x' | 'X' | '×') {
                let (h, k) = num(j + 1);
                if k > j + 1 && w > 0 && h > 0 {
                    return Some((w, h));
                }
            }
            i = j;
        } else {
            i += 1;
        }
    }
    None
}

/// The first table ratio written as `W:H` in `text`, if any.
fn ratio_in(text: &str) -> Option<pixloom_core::size::Ratio> {
    RATIOS.iter().copied().find(|r| {
        let pat = format!("{}:{}", r.w, r.h);
        text.match_indices(&pat).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + pat.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_digit())
                && !after.is_some_and(|c| c.is_ascii_digit())
        })
    })
}

/// At most 2K: prompts and references never buy a 4K result.
fn cap_2k(s: Size) -> Size {
    if s.tier == Tier::Detail4K {
        s.tier_down().unwrap_or(s)
    } else {
        s
    }
}

/// The size `auto` (or no size) gets on a model that takes `size`: a table
/// size named in the prompt, else a ratio named in the prompt, else the
/// reference image's shape, else one of the 1K/2K sizes chosen by the
/// prompt's hash. Never 4K. Deterministic: the same request, the same size.
pub(crate) fn auto_size(prompt: &str, reference: Option<(u32, u32)>) -> (u32, u32) {
    let h = Sha256::digest(prompt.trim().as_bytes());
    let tier = if h[14] % 2 == 0 {
        Tier::Fast1K
    } else {
        Tier::Recommended2K
    };
    let pick = dims_in(prompt)
        .and_then(|(w, h)| Size::lookup(w, h))
        .map(cap_2k)
        .or_else(|| ratio_in(prompt).map(|r| Size::of(r, tier)))
        .or_else(|| reference.map(|(w, h)| cap_2k(Size::nearest(w, h))))
        .unwrap_or_else(|| {
            let small: Vec<Size> = SIZES
                .iter()
                .copied()
                .filter(|s| s.tier != Tier::Detail4K)
                .collect();
            small[usize::from(h[15]) % small.len()]
        });
    (pick.width, pick.height)
}

/// The size `gpt-image-2-all` produces: it takes no `size` field, so the
/// dimensions come from the prompt (`WxH`, scaled down to at most 2048 on
/// the long side: that model has no 4K), else a named ratio at 1K, else
/// 1280x1280.
pub(crate) fn all_model_size(prompt: &str) -> (u32, u32) {
    if let Some((w, h)) =
        dims_in(prompt).filter(|&(w, h)| (16..=16384).contains(&w) && (16..=16384).contains(&h))
    {
        let long = w.max(h);
        if long <= 2048 {
            return (w, h);
        }
        let scale = |v: u32| ((u64::from(v) * 2048 / u64::from(long)) as u32).max(1);
        return (scale(w), scale(h));
    }
    if let Some(r) = ratio_in(prompt) {
        let s = Size::of(r, Tier::Fast1K);
        return (s.width, s.height);
    }
    (1280, 1280)
}

#[cfg(test)]
mod tests;
