//! The image edge from outside: inspection, preparation, the store, and
//! imports from files, links (a local server) and gateway results. Every
//! test image is generated here.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::sync::{Arc, Mutex};

use image::{DynamicImage, ImageFormat, RgbImage, Rgba, RgbaImage};
use pixloom::images::{
    GATEWAY_LIMIT_BYTES, ImageError, ImageKind, ImageStore, UPLOAD_BUDGET_BYTES, accept_result,
    data_url, import_bytes, import_file, import_url, import_url_with_cap, inspect, prepare_upload,
};
use pixloom_core::tree::ImageOrigin;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod imports;

// ----- generated images -------------------------------------------------

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn gradient(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x ^ y) % 256) as u8])
    }))
}

/// Raw RGB: stripes plus noise of half-range `amp` (detail like a photo's).
/// Rows repeat every 61 lines: JPEG and PNG do not exploit that, and
/// copying rows keeps generation fast in debug builds.
fn noisy(w: u32, h: u32, amp: u32) -> Vec<u8> {
    const BANK: u32 = 61;
    let row_len = w as usize * 3;
    let mut s = 0x9E37_79B9u32;
    let mut bank = Vec::with_capacity(row_len * BANK as usize);
    for y in 0..BANK {
        for x in 0..w {
            for c in 0..3 {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let base = ((x / 9 + y / 7 + c * 50) % 180) as i32 + 38;
                let n = (s % (2 * amp + 1)) as i32 - amp as i32;
                bank.push((base + n).clamp(0, 255) as u8);
            }
        }
    }
    let mut v = Vec::with_capacity(row_len * h as usize);
    for y in 0..h as usize {
        let r = y % BANK as usize;
        v.extend_from_slice(&bank[r * row_len..(r + 1) * row_len]);
    }
    v
}

fn jpeg(raw: &[u8], w: u32, h: u32, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(raw, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// `jpeg` with an APP1 EXIF segment (IFD0: orientation only) after SOI.
fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut payload = b"Exif\0\0II\x2A\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
    payload.extend_from_slice(&orientation.to_le_bytes());
    payload.extend_from_slice(&[0; 6]);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn store() -> (tempfile::TempDir, ImageStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = ImageStore::open(dir.path().join("images")).unwrap();
    (dir, store)
}

// ----- inspect ------------------------------------------------------------

#[test]
fn inspect_reads_every_format_from_its_header() {
    let img = gradient(123, 45);
    let cases = [
        (ImageFormat::Png, ImageKind::Png),
        (ImageFormat::Jpeg, ImageKind::Jpeg),
        (ImageFormat::WebP, ImageKind::Webp),
        (ImageFormat::Gif, ImageKind::Gif),
        (ImageFormat::Bmp, ImageKind::Bmp),
        (ImageFormat::Tiff, ImageKind::Tiff),
    ];
    for (format, kind) in cases {
        let info = inspect(&encode(&img, format)).unwrap();
        assert_eq!(
            (info.format, info.width, info.height),
            (kind, 123, 45),
            "{format:?}"
        );
    }
}

#[test]
fn inspect_refuses_non_images_by_name() {
    let cases: [(&[u8], &str); 4] = [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "looks like a PDF"),
        (
            b"<!doctype html>\n<html><head><title>Login</title>",
            "looks like an HTML page",
        ),
        (
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\"/>",
            "SVG is not supported",
        ),
        (b"", "is empty"),
    ];
    for (bytes, want) in cases {
        let e = inspect(bytes).unwrap_err();
        assert!(e.to_string().contains(want), "{want}: {e}");
    }
}

#[test]
fn inspect_refuses_cut_headers() {
    let png = encode(&gradient(50, 50), ImageFormat::Png);
    let e = inspect(&png[..20]).unwrap_err();
    assert!(matches!(e, ImageError::Damaged { .. }), "{e:?}");
}

/// A real PNG (IHDR, IDAT, IEND) claiming 100000×100000: refused from the
/// header, fast, with nothing decoded.
#[test]
fn inspect_refuses_a_decompression_bomb_fast() {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&[0; 4]); // CRC unchecked before the refusal
    }
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut bomb, b"IHDR", &ihdr);
    chunk(&mut bomb, b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]);
    chunk(&mut bomb, b"IEND", &[]);
    // Refused from the header alone: decoding 30 GB of pixels would not
    // return (its speed is the benchmarks' business, not a timed test's).
    let e = inspect(&bomb).unwrap_err();
    assert!(e.to_string().contains("100000×100000"), "{e}");
    assert!(e.to_string().contains("at most 100 megapixels"), "{e}");
    assert!(matches!(
        prepare_upload(&bomb),
        Err(ImageError::TooManyPixels { .. })
    ));
}

// ----- prepare ------------------------------------------------------------

#[test]
fn small_png_passes_through_byte_identical() {
    let png = encode(&gradient(640, 480), ImageFormat::Png);
    assert!(png.len() < UPLOAD_BUDGET_BYTES);
    let p = prepare_upload(&png).unwrap();
    assert_eq!(p.bytes, png);
    assert_eq!(p.info.format, ImageKind::Png);
}

/// The brief's "20 MB photo": 6000×4000 of noisy detail at q95.
#[test]
fn a_twenty_megabyte_photo_comes_out_within_budget() {
    let (w, h) = (6000, 4000);
    let photo = jpeg(&noisy(w, h, 16), w, h, 95);
    assert!(photo.len() > 15_000_000, "only {} bytes", photo.len());
    let p = prepare_upload(&photo).unwrap();
    assert!(
        p.bytes.len() <= UPLOAD_BUDGET_BYTES,
        "{} bytes",
        p.bytes.len()
    );
    assert_eq!(p.info.format, ImageKind::Jpeg);
    let back = image::load_from_memory(&p.bytes).unwrap();
    assert_eq!((back.width(), back.height()), (p.info.width, p.info.height));
    assert!(p.info.width <= 2048 && p.info.width >= 1024, "{:?}", p.info);
    let aspect = f64::from(p.info.width) / f64::from(p.info.height);
    assert!((aspect - 1.5).abs() < 0.01, "{aspect}");
}

#[test]
fn exif_orientation_6_is_applied() {
    // Top half white, bottom half black; orientation 6 = turn 90° clockwise,
    // so upright the left half is black and the right half white.
    let (w, h) = (400u32, 240u32);
    let raw: Vec<u8> = (0..h)
        .flat_map(|y| (0..w * 3).map(move |_| if y < h / 2 { 255 } else { 0 }))
        .collect();
    let rotated = with_orientation(&jpeg(&raw, w, h, 90), 6);
    let p = prepare_upload(&rotated).unwrap();
    assert_eq!((p.info.width, p.info.height), (240, 400));
    let back = image::load_from_memory(&p.bytes).unwrap().to_luma8();
    assert!(back.get_pixel(30, 200)[0] < 40, "left should be black");
    assert!(back.get_pixel(210, 200)[0] > 215, "right should be white");
}

#[test]
fn transparent_png_stays_png_and_transparent() {
    // Noisy RGBA, too big to pass: re-encoded, still PNG, still see-through.
    let (w, h) = (1500u32, 1000u32);
    let raw = noisy(w, h, 90);
    let img = RgbaImage::from_fn(w, h, |x, y| {
        let i = ((y * w + x) * 3) as usize;
        Rgba([
            raw[i],
            raw[i + 1],
            raw[i + 2],
            if x < w / 2 { 255 } else { 60 },
        ])
    });
    let png = encode(&DynamicImage::ImageRgba8(img), ImageFormat::Png);
    assert!(png.len() > UPLOAD_BUDGET_BYTES);
    let p = prepare_upload(&png).unwrap();
    assert_eq!(p.info.format, ImageKind::Png);
    assert!(p.bytes.len() <= UPLOAD_BUDGET_BYTES);
    let back = image::load_from_memory(&p.bytes).unwrap().to_rgba8();
    assert!(back.pixels().any(|px| px[3] < 100));
}

#[test]
fn gif_bmp_tiff_are_converted() {
    for format in [ImageFormat::Gif, ImageFormat::Bmp, ImageFormat::Tiff] {
        let p = prepare_upload(&encode(&gradient(300, 200), format)).unwrap();
        assert!(p.info.format.is_uploadable(), "{format:?}");
        assert_eq!((p.info.width, p.info.height), (300, 200));
    }
}

#[test]
fn nothing_prepared_can_exceed_the_gateway_limit() {
    // Worst cases: pure noise, large, opaque and transparent.
    let (w, h) = (2200u32, 2000u32);
    let raw = noisy(w, h, 127);
    let opaque = jpeg(&raw, w, h, 100);
    let rgba = RgbaImage::from_fn(w, h, |x, y| {
        let i = ((y * w + x) * 3) as usize;
        Rgba([raw[i], raw[i + 1], raw[i + 2], raw[i] / 2])
    });
    let transparent = encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png);
    for input in [opaque, transparent] {
        assert!(input.len() > GATEWAY_LIMIT_BYTES, "input {}", input.len());
        let p = prepare_upload(&input).unwrap();
        assert!(p.bytes.len() <= UPLOAD_BUDGET_BYTES, "{}", p.bytes.len());
    }
}

// ----- results ------------------------------------------------------------

#[test]
fn results_must_be_whole() {
    let png = encode(&gradient(256, 256), ImageFormat::Png);
    let jpg = encode(&gradient(256, 256), ImageFormat::Jpeg);
    assert_eq!(accept_result(&png).unwrap().format, ImageKind::Png);
    assert_eq!(accept_result(&jpg).unwrap().format, ImageKind::Jpeg);
    for (bytes, name) in [(&png, "png"), (&jpg, "jpg")] {
        let e = accept_result(&bytes[..bytes.len() * 2 / 3]).unwrap_err();
        assert!(matches!(e, ImageError::Damaged { .. }), "{name}: {e:?}");
    }
    let url = data_url(&jpg, &accept_result(&jpg).unwrap());
    assert!(url.starts_with("data:image/jpeg;base64,/9j/"));
}

/// Timing and peak memory of the benchmark case: run with
/// `cargo test --release --test integration -- --ignored --nocapture images::timing`.
#[test]
#[ignore = "release-mode measurement"]
fn timing_ten_megabyte_photo() {
    let (w, h) = (6000, 4000);
    let photo = jpeg(&noisy(w, h, 12), w, h, 90);
    eprintln!("input: {:.1} MB", photo.len() as f64 / 1e6);
    // CPU time of this thread (all the work runs on it): unlike wall time,
    // not inflated when other processes share the cores.
    let cpu_ms = || {
        let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
        s.split(' ')
            .next()
            .and_then(|ns| ns.parse::<f64>().ok())
            .map_or(f64::NAN, |ns| ns / 1e6)
    };
    for _ in 0..3 {
        let (t, cpu) = (std::time::Instant::now(), cpu_ms());
        let full = image::load_from_memory(&photo).unwrap();
        let ms = cpu_ms() - cpu;
        eprintln!(
            "decode alone (zune-jpeg): {:?} wall, {ms:.0} ms CPU",
            t.elapsed()
        );
        drop(full);
    }
    let reset_peak = || std::fs::write("/proc/self/clear_refs", "5");
    let peak_mb = || {
        let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        s.lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    for _ in 0..5 {
        let _ = reset_peak();
        let before = peak_mb();
        let (t, cpu) = (std::time::Instant::now(), cpu_ms());
        let p = prepare_upload(&photo).unwrap();
        eprintln!(
            "prepare: {:?} wall, {:.0} ms CPU, out {:.2} MB {}x{}, peak RSS {:.0} MB (baseline {:.0} MB)",
            t.elapsed(),
            cpu_ms() - cpu,
            p.bytes.len() as f64 / 1e6,
            p.info.width,
            p.info.height,
            peak_mb(),
            before
        );
    }
}
