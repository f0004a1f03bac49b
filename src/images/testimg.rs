//! Test images made in code (no binary fixtures in the repository).

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

use super::kind::ImageKind;

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

/// `kind`-encoded bytes of [`rgb`].
pub fn encoded(kind: ImageKind, w: u32, h: u32) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(rgb(w, h));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, kind.image_format())
        .expect("encode test image");
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
    let mut s = seed | 1;
    let mut bank = Vec::with_capacity(row_len * BANK);
    for y in 0..BANK as u32 {
        for x in 0..w {
            for c in 0..3 {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
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
