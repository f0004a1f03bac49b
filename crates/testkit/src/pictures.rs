//! Test images made in code (no binary fixtures in the repository), all
//! noise from one seeded generator ([`Noise`]), so every run and every
//! machine makes the same bytes.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageEncoder as _, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// xorshift32: small, fast and the same everywhere. The one generator
/// behind every noisy test picture and benchmark input.
pub struct Noise(u32);

impl Noise {
    /// A generator from `seed` (0 is made 1: xorshift would stay at 0).
    pub fn new(seed: u32) -> Noise {
        Noise(seed | 1)
    }

    pub fn next_u32(&mut self) -> u32 {
        let mut s = self.0;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        self.0 = s;
        s
    }

    pub fn next_u64(&mut self) -> u64 {
        u64::from(self.next_u32()) << 32 | u64::from(self.next_u32())
    }
}

/// A smooth colourful picture.
pub fn rgb(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            (x * 255 / w.max(1)) as u8,
            (y * 255 / h.max(1)) as u8,
            ((x + y) % 256) as u8,
        ])
    })
}

/// `format`-encoded bytes of [`rgb`].
pub fn encoded(format: ImageFormat, w: u32, h: u32) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(rgb(w, h));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode test image");
    out.into_inner()
}

/// A PNG with real transparency (a fading alpha channel).
pub fn alpha_png(w: u32, h: u32) -> Vec<u8> {
    let img = RgbaImage::from_fn(w, h, |x, y| {
        Rgba([
            (x % 256) as u8,
            (y % 256) as u8,
            90,
            (x * 255 / w.max(1)) as u8,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(img)
        .write_to(&mut out, ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

/// Raw RGB noise over stripes: hard to compress, like a detailed photo.
/// `amp` is the noise's half-range (127: pure noise, the worst case). Rows
/// repeat every 61 lines (codecs do not exploit that; generation is fast).
pub fn noise_rgb(w: u32, h: u32, amp: u32, seed: u32) -> Vec<u8> {
    const BANK: usize = 61;
    let row_len = w as usize * 3;
    let mut noise = Noise::new(seed);
    let mut bank = Vec::with_capacity(row_len * BANK);
    for y in 0..BANK as u32 {
        for x in 0..w {
            for c in 0..3 {
                let s = noise.next_u32();
                let base = ((x / 7 + y / 5 + c * 40) % 200) as i32 + 28;
                let n = (s % (2 * amp + 1)) as i32 - amp as i32;
                bank.push((base + n).clamp(0, 255) as u8);
            }
        }
    }
    let mut v = Vec::with_capacity(row_len * h as usize);
    for y in 0..h as usize {
        let r = y % BANK;
        v.extend_from_slice(&bank[r * row_len..(r + 1) * row_len]);
    }
    v
}

/// A JPEG (jpeg-encoder, 4:4:4) of raw RGB pixels.
pub fn jpeg_of(pixels: &[u8], w: u32, h: u32, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(pixels, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    out
}

/// The JPEG with an EXIF APP1 segment (big-endian TIFF, IFD0 holding only
/// the orientation tag) inserted right after SOI.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut payload = b"Exif\0\0MM\0\x2A\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    payload.extend_from_slice(&orientation.to_be_bytes());
    payload.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, next IFD = 0
    let len = u16::try_from(payload.len() + 2).expect("small");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A valid PNG header claiming `w`×`h`, with nothing after it.
pub fn bomb_png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&ihdr);
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32fast::hash(&chunk).to_be_bytes());
    out
}

/// A whole PNG claiming `w`×`h` with a few bytes of pixel data: what a
/// decompression bomb looks like before anyone inflates it.
pub fn bomb_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = bomb_png_header(w, h);
    // zlib: header, one stored block of 16 zero bytes, adler32 of them.
    let mut zlib = vec![0x78, 0x01, 0x01, 16, 0, !16u8, 0xFF];
    zlib.extend_from_slice(&[0; 16]);
    zlib.extend_from_slice(&0x0010_0001u32.to_be_bytes());
    push_chunk(&mut out, b"IDAT", &zlib);
    push_chunk(&mut out, b"IEND", &[]);
    out
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
    let mut chunk = kind.to_vec();
    chunk.extend_from_slice(data);
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32fast::hash(&chunk).to_be_bytes());
}

/// A photo-sized JPEG of noise over a gradient (incompressible, so large).
pub fn noisy_jpeg(w: u16, h: u16, quality: u8) -> Vec<u8> {
    let mut noise = Noise::new(0x2545_f491);
    let mut px = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
    for y in 0..h {
        for x in 0..w {
            let n = (noise.next_u32() & 0x3f) as u8;
            px.push(((x / 24) as u8).wrapping_add(n));
            px.push(((y / 16) as u8).wrapping_add(n));
            px.push(n.wrapping_mul(3));
        }
    }
    jpeg_of(&px, u32::from(w), u32::from(h), quality)
}

/// A photo-like picture: smooth colour fields plus grain. `grain` sets
/// how well it compresses (the benchmarks tune it to a target size).
pub fn photo(width: u32, height: u32, grain: u8, seed: u32) -> RgbImage {
    let mut noise = Noise::new(seed);
    let (w, h) = (width as f32, height as f32);
    let mut img = RgbImage::new(width, height);
    let grain = u64::from(grain.max(1));
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (fx, fy) = (x as f32 / w, y as f32 / h);
        let r = 0.5 + 0.5 * (fx * 6.3 + fy * 2.1).sin();
        let g = 0.5 + 0.5 * (fy * 5.1 - fx * 1.7).cos();
        let b = 0.5 + 0.5 * ((fx + fy) * 3.7).sin();
        let bits = noise.next_u64();
        let n = |shift: u32| ((bits >> shift) % grain) as f32 - grain as f32 / 2.0;
        let c = |v: f32, k: f32| (v * 200.0 + 28.0 + k).clamp(0.0, 255.0) as u8;
        *px = Rgb([c(r, n(0)), c(g, n(16)), c(b, n(32))]);
    }
    img
}

/// A PNG of `img`, encoded fast (as the gateway's large results are).
pub fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("PNG encodes");
    out
}

/// A JPEG of `img` (jpeg-encoder, 4:4:4).
pub fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    jpeg_of(img.as_raw(), img.width(), img.height(), quality)
}
