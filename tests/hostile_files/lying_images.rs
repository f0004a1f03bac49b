//! Images that lie about their size: refused in bounded memory.

use super::*;

/// A well-formed PNG (signature, IHDR, one IDAT, IEND, real CRCs)
/// claiming `w`×`h`.
fn lying_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let body = [kind.as_slice(), data].concat();
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    };
    let ihdr = [&w.to_be_bytes()[..], &h.to_be_bytes(), &[8, 2, 0, 0, 0]].concat();
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]);
    chunk(b"IEND", &[]);
    out
}

/// A baseline JPEG header (SOI, DQT, SOF0, DHT, SOS) claiming `w`×`h`,
/// then EOI: JPEG's largest side is 65535.
fn lying_jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    let mut segment = |marker: u8, data: &[u8]| {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&(data.len() as u16 + 2).to_be_bytes());
        out.extend_from_slice(data);
    };
    segment(0xDB, &[[0u8].as_slice(), &[1; 64]].concat());
    let sof = [
        &[8u8][..],
        &h.to_be_bytes(),
        &w.to_be_bytes(),
        &[1, 1, 0x11, 0],
    ]
    .concat();
    segment(0xC0, &sof);
    let dht = [&[0u8][..], &[1], &[0; 15], &[0]].concat();
    segment(0xC4, &dht);
    segment(0xDA, &[1, 1, 0, 0, 63, 0]);
    out.extend_from_slice(&[0x00, 0xFF, 0xD9]);
    out
}

/// A WebP claiming `w`×`h` in its VP8X header and its lossless (VP8L)
/// image header (WebP's largest is 16384²), with no image data.
fn lying_webp(w: u32, h: u32) -> Vec<u8> {
    let mut vp8x = vec![0u8; 4];
    vp8x.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    let mut vp8l = vec![0x2F];
    vp8l.extend_from_slice(&((w - 1) | (h - 1) << 14).to_le_bytes());
    vp8l.extend_from_slice(&[0; 3]);
    let mut body = b"WEBP".to_vec();
    for (kind, data) in [(b"VP8X", vp8x), (b"VP8L", vp8l)] {
        body.extend_from_slice(kind);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&data);
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// A GIF whose screen and one frame claim `w`×`h`, with a one-byte image.
fn lying_gif(w: u16, h: u16) -> Vec<u8> {
    gif_with_frame((w, h), (w, h))
}

/// A GIF with a `screen`-sized canvas and one `frame`-sized frame at its
/// corner holding one byte of image data (a whole 1×1 frame: valid).
fn gif_with_frame(screen: (u16, u16), frame: (u16, u16)) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&screen.0.to_le_bytes());
    out.extend_from_slice(&screen.1.to_le_bytes());
    out.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF]); // 2-colour table
    out.push(0x2C);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&frame.0.to_le_bytes());
    out.extend_from_slice(&frame.1.to_le_bytes());
    out.extend_from_slice(&[0, 2, 2, 0x4C, 0x01, 0, 0x3B]);
    out
}

/// A BMP (RLE8, two colours) claiming `w`×`h` whose data ends at once.
fn lying_bmp(w: i32, h: i32) -> Vec<u8> {
    let mut info = Vec::new();
    info.extend_from_slice(&40u32.to_le_bytes());
    info.extend_from_slice(&w.to_le_bytes());
    info.extend_from_slice(&h.to_le_bytes());
    info.extend_from_slice(&1u16.to_le_bytes()); // planes
    info.extend_from_slice(&8u16.to_le_bytes()); // bits per pixel
    info.extend_from_slice(&1u32.to_le_bytes()); // BI_RLE8
    info.extend_from_slice(&2u32.to_le_bytes()); // image data size
    info.extend_from_slice(&[0; 8]); // resolution
    info.extend_from_slice(&2u32.to_le_bytes()); // colours used
    info.extend_from_slice(&0u32.to_le_bytes());
    let palette = [0u8, 0, 0, 0, 255, 255, 255, 0];
    let data = [0u8, 1]; // end of bitmap
    let offset = 14 + info.len() + palette.len();
    let mut out = b"BM".to_vec();
    out.extend_from_slice(&((offset + data.len()) as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(offset as u32).to_le_bytes());
    out.extend_from_slice(&info);
    out.extend_from_slice(&palette);
    out.extend_from_slice(&data);
    out
}

/// A little-endian TIFF (8-bit grey, one uncompressed strip of one byte)
/// claiming `w`×`h`.
fn lying_tiff(w: u32, h: u32) -> Vec<u8> {
    // (tag, type: 3 SHORT / 4 LONG, value), in tag order.
    let entries: [(u16, u16, u32); 8] = [
        (256, 4, w),
        (257, 4, h),
        (258, 3, 8),
        (259, 3, 1),
        (262, 3, 1),
        (273, 4, 0), // strip offset, filled in below
        (278, 4, h),
        (279, 4, 1),
    ];
    let ifd_len = 2 + entries.len() * 12 + 4;
    let strip = (8 + ifd_len) as u32;
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        let value = if tag == 273 { strip } else { value };
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.push(0);
    out
}

/// `bytes` (fewer than `smaller_than`), written to `dir/name`, refused by
/// a file import and by the result-accept path, each allocating under a
/// megabyte; the import's message names the file and the claimed size,
/// the accept's speaks of the gateway's image. Returns both errors.
fn refused_in_bounded_memory(
    dir: &Path,
    store: &ImageStore,
    name: &str,
    bytes: &[u8],
    (w, h): (u32, u32),
    smaller_than: usize,
) -> (ImageError, ImageError) {
    assert!(bytes.len() < smaller_than, "{name}: {} bytes", bytes.len());
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    let (imported, import_peak) = pixloom_testkit::alloc::peak_during(|| import_file(&path, store));
    let imported = imported.unwrap_err();
    let msg = imported.to_string();
    assert!(msg.contains(name), "{msg}");
    assert!(msg.contains(&format!("{w}×{h} pixels")), "{msg}");
    assert!(import_peak < MIB, "{name}: import took {import_peak} bytes");
    let (accepted, accept_peak) = pixloom_testkit::alloc::peak_during(|| accept_result(bytes));
    let accepted = accepted.unwrap_err();
    assert!(
        accepted.to_string().starts_with("the gateway's image "),
        "{accepted}"
    );
    assert!(accept_peak < MIB, "{name}: accept took {accept_peak} bytes");
    eprintln!(
        "{name}: {} bytes claiming {w}×{h}: refused; peak allocation {import_peak} B (import), {accept_peak} B (accept)",
        bytes.len()
    );
    (imported, accepted)
}

/// GIF, BMP and TIFF decoders fill the whole canvas the header claims:
/// tiny files claiming up to the 100-megapixel limit (a 35-byte GIF at
/// 10000×10000 once took 1.8 s and 880 MB) are refused from the header as
/// too small for their size, by import and by the result-accept path, in
/// well under a megabyte. A real picture of each format at a modest size
/// still passes.
#[test]
fn tiny_images_claiming_a_huge_canvas_are_refused_in_bounded_memory() {
    let _serial = one_at_a_time();
    let home = tempfile::tempdir().unwrap();
    let store = ImageStore::open(home.path().join("images")).unwrap();
    let cases = [
        // A whole 1×1 frame on a huge screen: a valid GIF, which decoded
        // to a 400 MB canvas.
        (
            "canvas.gif",
            gif_with_frame((10_000, 10_000), (1, 1)),
            10_000,
            10_000,
        ),
        (
            "canvas-4k.gif",
            gif_with_frame((4000, 4000), (1, 1)),
            4000,
            4000,
        ),
        ("frame.gif", lying_gif(10_000, 10_000), 10_000, 10_000),
        ("canvas.bmp", lying_bmp(10_000, 10_000), 10_000, 10_000),
        ("canvas.tiff", lying_tiff(10_000, 10_000), 10_000, 10_000),
    ];
    for (name, bytes, w, h) in cases {
        let (e, accepted) =
            refused_in_bounded_memory(home.path(), &store, name, &bytes, (w, h), 200);
        assert!(
            matches!(e, ImageError::TooSmallForItsSize { width, height, bytes: n, .. }
                if (width, height, n) == (w, h, bytes.len() as u64)),
            "{name}: {e:?}"
        );
        let msg = e.to_string();
        for needle in [
            &format!("only {} bytes", bytes.len()),
            "export it as PNG or JPEG",
        ] {
            assert!(msg.contains(needle), "{needle:?} not in {msg}");
        }
        assert!(
            matches!(accepted, ImageError::TooSmallForItsSize { .. }),
            "{name}: {accepted:?}"
        );
    }
    assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 0);
    // The line is MAX_PIXELS_PER_BYTE pixels per byte: 35 bytes may claim
    // 143,360 pixels.
    let limit = 35 * MAX_PIXELS_PER_BYTE;
    let at_limit = gif_with_frame((379, 378), (1, 1));
    let over = gif_with_frame((380, 378), (1, 1));
    assert_eq!((at_limit.len(), over.len()), (35, 35));
    assert!((379 * 378..380 * 378).contains(&limit));
    assert!(inspect(&at_limit).is_ok());
    assert!(matches!(
        inspect(&over),
        Err(ImageError::TooSmallForItsSize { .. })
    ));
    // Real pictures of the same formats, 640×480 of flat colour (the
    // easiest to compress), are taken.
    let flat = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        640,
        480,
        image::Rgb([200, 40, 40]),
    ));
    for format in [
        image::ImageFormat::Gif,
        image::ImageFormat::Bmp,
        image::ImageFormat::Tiff,
    ] {
        let mut bytes = std::io::Cursor::new(Vec::new());
        flat.write_to(&mut bytes, format).unwrap();
        let path = home
            .path()
            .join(format!("flat.{}", format.extensions_str()[0]));
        fs::write(&path, bytes.get_ref()).unwrap();
        let kept = import_file(&path, &store);
        assert!(
            kept.is_ok(),
            "{format:?} ({} bytes): {kept:?}",
            bytes.get_ref().len()
        );
    }
}

/// Small files whose headers claim billions of pixels are refused from the
/// header with the megapixel message, by a file import and by the
/// result-accept path, allocating well under a megabyte; nothing is
/// stored.
#[test]
fn images_that_lie_about_their_size_are_refused_in_bounded_memory() {
    let _serial = one_at_a_time();
    let home = tempfile::tempdir().unwrap();
    let store = ImageStore::open(home.path().join("images")).unwrap();
    let cases = [
        ("bomb.png", lying_png(100_000, 100_000), 100_000, 100_000),
        ("bomb.jpg", lying_jpeg(65_535, 65_535), 65_535, 65_535),
        ("bomb.webp", lying_webp(16_384, 16_384), 16_384, 16_384),
        ("bomb.gif", lying_gif(65_535, 65_535), 65_535, 65_535),
    ];
    for (name, bytes, w, h) in cases {
        let (e, accepted) =
            refused_in_bounded_memory(home.path(), &store, name, &bytes, (w, h), 300);
        assert!(
            matches!(e, ImageError::TooManyPixels { width, height, .. } if (width, height) == (w, h)),
            "{name}: {e:?}"
        );
        assert!(
            e.to_string()
                .contains("pixloom reads at most 100 megapixels"),
            "{e}"
        );
        assert!(
            matches!(accepted, ImageError::TooManyPixels { .. }),
            "{name}: {accepted:?}"
        );
        assert!(
            accepted.to_string().starts_with("the gateway's image is"),
            "{accepted}"
        );
    }
    assert_eq!(
        fs::read_dir(store.dir()).unwrap().count(),
        0,
        "something was stored"
    );
}
