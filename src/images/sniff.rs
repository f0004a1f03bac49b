//! Recognising images by their bytes: magic numbers, header dimensions,
//! and whether a file is complete. Never decodes pixels.

use std::io::Cursor;

use image::{ImageReader, Limits};

use super::error::{ImageError, Subject};
use super::kind::{ImageInfo, ImageKind, MAX_PIXELS, MAX_PIXELS_PER_BYTE};

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    Image(ImageKind),
    /// An image format pixloom does not read: (name, what to do).
    Unsupported(&'static str, &'static str),
    /// Not an image; what it looks like, when that is easy to tell.
    Other(Option<&'static str>),
}

/// Identifies `bytes` by their magic numbers (never by a file name or a
/// server's content type).
pub(crate) fn sniff(bytes: &[u8]) -> Sniffed {
    let b = bytes;
    let at = |off: usize, magic: &[u8]| b.get(off..off + magic.len()) == Some(magic);
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Image(ImageKind::Png);
    }
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Image(ImageKind::Jpeg);
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Sniffed::Image(ImageKind::Webp);
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Sniffed::Image(ImageKind::Gif);
    }
    if at(0, b"II*\0") || at(0, b"MM\0*") {
        return Sniffed::Image(ImageKind::Tiff);
    }
    // "BM" alone is weak (text can start so); the DIB header size is one
    // of a few values. A header cut before it still counts, as damaged.
    let dib = b
        .get(14..18)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
    if at(0, b"BM") && dib.is_none_or(|n| matches!(n, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124)) {
        return Sniffed::Image(ImageKind::Bmp);
    }
    if at(4, b"ftyp") {
        let brand = b.get(8..12).unwrap_or_default();
        return match brand {
            b"avif" | b"avis" => Sniffed::Unsupported(
                "an AVIF image",
                "Convert it to JPEG or PNG and attach that.",
            ),
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                Sniffed::Unsupported(
                    "a HEIC photo",
                    "Export it as JPEG (Photos and most viewers can) and attach that.",
                )
            }
            _ => Sniffed::Other(Some("a video or other media file")),
        };
    }
    Sniffed::Other(looks_like(b))
}

/// A guess at a non-image, for the error message.
fn looks_like(b: &[u8]) -> Option<&'static str> {
    let head = &b[..b.len().min(1024)];
    if head.starts_with(b"%PDF") {
        return Some("a PDF document");
    }
    if head.starts_with(b"PK\x03\x04") {
        return Some("a ZIP archive or an Office document");
    }
    if head.starts_with(&[0x1F, 0x8B]) {
        return Some("a gzip archive");
    }
    if head.starts_with(&[0, 0, 1, 0]) {
        return Some("an icon file");
    }
    if head.starts_with(b"8BPS") {
        return Some("a Photoshop document");
    }
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.contains("<svg") {
        return Some("an SVG drawing; SVG is not supported, export it as PNG");
    }
    if t.starts_with("<!doctype html") || t.starts_with("<html") || t.contains("<head") {
        return Some("an HTML page");
    }
    if t.starts_with("<?xml") || t.starts_with('<') {
        return Some("an XML document");
    }
    if t.starts_with('{') || t.starts_with('[') {
        return Some("JSON text");
    }
    let printable = head
        .iter()
        .all(|&c| c == b'\n' || c == b'\r' || c == b'\t' || c >= 0x20);
    if printable && std::str::from_utf8(head).is_ok() {
        return Some("a text file");
    }
    None
}

/// Format and dimensions from the header, for `subject`. Refuses empty
/// data, non-images and anything over [`MAX_PIXELS`].
pub(crate) fn inspect_as(bytes: &[u8], subject: &Subject) -> Result<ImageInfo, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty {
            subject: subject.clone(),
        });
    }
    let format = match sniff(bytes) {
        Sniffed::Image(k) => k,
        Sniffed::Unsupported(format, fix) => {
            return Err(ImageError::Unsupported {
                subject: subject.clone(),
                format,
                fix,
            });
        }
        Sniffed::Other(looks_like) => {
            return Err(ImageError::NotAnImage {
                subject: subject.clone(),
                looks_like,
            });
        }
    };
    // PNG's IHDR is at a fixed place: refuse a bomb before any decoder runs.
    if format == ImageKind::Png
        && let Some((width, height)) = png_ihdr_size(bytes)
        && u64::from(width) * u64::from(height) > MAX_PIXELS
    {
        return Err(ImageError::TooManyPixels {
            subject: subject.clone(),
            width,
            height,
        });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    // Headers only: bound what metadata chunks may allocate, but put no
    // limit on dimensions here, so a bomb is reported as such below.
    let mut limits = Limits::no_limits();
    limits.max_alloc = Some(64 * 1024 * 1024);
    reader.limits(limits);
    let (width, height) = reader.into_dimensions().map_err(|e| ImageError::Damaged {
        subject: subject.clone(),
        detail: format!("{} header: {e}", format.name()),
    })?;
    if width == 0 || height == 0 {
        return Err(ImageError::Damaged {
            subject: subject.clone(),
            detail: format!("{} header says {width}×{height}", format.name()),
        });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(ImageError::TooManyPixels {
            subject: subject.clone(),
            width,
            height,
        });
    }
    let bytes_len = bytes.len() as u64;
    if format.needs_bytes_for_its_size() && pixels > bytes_len.saturating_mul(MAX_PIXELS_PER_BYTE) {
        return Err(ImageError::TooSmallForItsSize {
            subject: subject.clone(),
            width,
            height,
            bytes: bytes_len,
        });
    }
    Ok(ImageInfo {
        format,
        width,
        height,
    })
}

/// Width and height from a PNG's first chunk, when it is an IHDR.
fn png_ihdr_size(b: &[u8]) -> Option<(u32, u32)> {
    if b.get(12..16)? != b"IHDR" {
        return None;
    }
    let be = |o: usize| Some(u32::from_be_bytes(b.get(o..o + 4)?.try_into().ok()?));
    Some((be(16)?, be(20)?))
}

/// Checks that a PNG, JPEG or WebP file is whole, by walking its
/// structure (chunk lengths, segment markers, the RIFF size) — cheap, no
/// pixels decoded. Other formats pass: they are always decoded anyway.
pub(crate) fn check_complete(
    bytes: &[u8],
    kind: ImageKind,
    subject: &Subject,
) -> Result<(), ImageError> {
    let result = match kind {
        ImageKind::Png => png_whole(bytes),
        ImageKind::Jpeg => jpeg_whole(bytes),
        ImageKind::Webp => webp_whole(bytes),
        ImageKind::Gif | ImageKind::Bmp | ImageKind::Tiff => Ok(()),
    };
    result.map_err(|detail| ImageError::Damaged {
        subject: subject.clone(),
        detail: detail.to_string(),
    })
}

/// Walks the chunks up to IEND.
fn png_whole(b: &[u8]) -> Result<(), &'static str> {
    let mut pos = 8usize;
    loop {
        let head = b.get(pos..pos + 8).ok_or("the PNG has no end chunk")?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let end = pos.saturating_add(12).saturating_add(len);
        if end > b.len() {
            return Err("the PNG stops inside a chunk");
        }
        if &head[4..8] == b"IEND" {
            return Ok(());
        }
        pos = end;
    }
}

/// Walks the segments, skipping entropy-coded data, up to the EOI marker.
fn jpeg_whole(b: &[u8]) -> Result<(), &'static str> {
    const CUT: &str = "the JPEG has no end marker";
    let mut pos = 2usize; // after SOI
    loop {
        // The next marker; junk and fill bytes between segments are tolerated.
        pos = next_ff(b, pos).ok_or(CUT)?;
        while b.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *b.get(pos + 1).ok_or(CUT)?;
        match marker {
            0xD9 => return Ok(()),
            // Standalone markers (and a stuffed zero outside a scan).
            0x00 | 0x01 | 0xD0..=0xD7 => pos += 2,
            _ => {
                let len = b.get(pos + 2..pos + 4).ok_or(CUT)?;
                pos += 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
                if pos > b.len() {
                    return Err("the JPEG stops inside a segment");
                }
                if marker == 0xDA {
                    pos = skip_entropy(b, pos).ok_or(CUT)?;
                }
            }
        }
    }
}

fn next_ff(b: &[u8], from: usize) -> Option<usize> {
    // memchr: a 10 MB photo's entropy data has an 0xFF every few hundred bytes.
    Some(from + memchr::memchr(0xFF, b.get(from..)?)?)
}

/// The position of the first real marker after a scan's entropy data
/// (0xFF followed by neither a stuffed 0x00 nor a restart marker).
fn skip_entropy(b: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        pos = next_ff(b, pos)?;
        match b.get(pos + 1)? {
            0x00 | 0xD0..=0xD7 => pos += 2,
            _ => return Some(pos),
        }
    }
}

/// The RIFF header states the file's size.
fn webp_whole(b: &[u8]) -> Result<(), &'static str> {
    let size = b
        .get(4..8)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
    match size {
        Some(size) if b.len() as u64 >= 8 + u64::from(size) => Ok(()),
        _ => Err("the WebP is shorter than its header says"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::testimg;

    #[test]
    fn sniffs_every_supported_kind() {
        for kind in ImageKind::ALL {
            let bytes = testimg::encoded(kind, 40, 30);
            assert_eq!(sniff(&bytes), Sniffed::Image(kind), "{kind:?}");
            let info = inspect_as(&bytes, &Subject::Data).unwrap();
            assert_eq!((info.format, info.width, info.height), (kind, 40, 30));
        }
    }

    #[test]
    fn names_common_non_images() {
        let cases: [(&[u8], &str); 8] = [
            (b"%PDF-1.7\n...", "PDF"),
            (b"<!DOCTYPE html><html>", "HTML page"),
            (b"  <html><body>404</body></html>", "HTML page"),
            (b"<?xml version=\"1.0\"?><svg xmlns=", "SVG"),
            (b"{\"error\":\"nope\"}", "JSON"),
            (b"hello there\n", "text file"),
            (b"PK\x03\x04rest", "ZIP"),
            (b"BMW and Audi are cars", "text file"),
        ];
        for (bytes, want) in cases {
            let e = inspect_as(bytes, &Subject::Data).unwrap_err();
            assert!(matches!(e, ImageError::NotAnImage { .. }), "{e:?}");
            assert!(e.to_string().contains(want), "{want}: {e}");
        }
        let e = inspect_as(&[0x00, 0x13, 0x99, 0xFE], &Subject::Data).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the image data is not an image. Attach a PNG, JPEG or WebP file."
        );
    }

    #[test]
    fn heic_and_avif_are_named() {
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        let e = inspect_as(heic, &Subject::Data).unwrap_err();
        assert!(e.to_string().contains("HEIC"), "{e}");
        let avif = b"\0\0\0\x18ftypavif\0\0\0\0";
        assert!(
            inspect_as(avif, &Subject::Data)
                .unwrap_err()
                .to_string()
                .contains("AVIF")
        );
    }

    #[test]
    fn empty_and_cut_headers_are_refused() {
        assert!(matches!(
            inspect_as(&[], &Subject::Data),
            Err(ImageError::Empty { .. })
        ));
        for kind in ImageKind::ALL {
            let bytes = testimg::encoded(kind, 40, 30);
            let e = inspect_as(&bytes[..12], &Subject::Data).unwrap_err();
            assert!(matches!(e, ImageError::Damaged { .. }), "{kind:?}: {e:?}");
        }
    }

    #[test]
    fn a_bomb_header_is_refused_from_the_header() {
        for bomb in [
            testimg::bomb_png_header(100_000, 100_000),
            testimg::bomb_png(100_000, 100_000),
        ] {
            assert!(bomb.len() < 200);
            let e = inspect_as(&bomb, &Subject::Data).unwrap_err();
            assert!(
                matches!(
                    e,
                    ImageError::TooManyPixels {
                        width: 100_000,
                        height: 100_000,
                        ..
                    }
                ),
                "{e:?}"
            );
        }
        // Exactly at the limit is fine (the header is all that is read).
        let ok = testimg::bomb_png(10_000, 10_000);
        assert_eq!(inspect_as(&ok, &Subject::Data).unwrap().width, 10_000);
    }

    #[test]
    fn completeness_of_whole_and_cut_files() {
        for kind in [ImageKind::Png, ImageKind::Jpeg, ImageKind::Webp] {
            let bytes = testimg::encoded(kind, 64, 48);
            check_complete(&bytes, kind, &Subject::Data).unwrap();
            for cut in [bytes.len() - 1, bytes.len() / 2, 20] {
                let e = check_complete(&bytes[..cut], kind, &Subject::Data);
                assert!(e.is_err(), "{kind:?} cut at {cut} passed");
            }
        }
        // Trailing bytes after the end are tolerated (some cameras add them).
        let mut jpg = testimg::encoded(ImageKind::Jpeg, 64, 48);
        jpg.extend_from_slice(b"trailer");
        check_complete(&jpg, ImageKind::Jpeg, &Subject::Data).unwrap();
    }

    #[test]
    fn jpeg_walk_skips_stuffed_bytes_and_restarts() {
        // SOI, SOS with a 2-byte header, data with FF00 and FFD0, then EOI.
        let b = [
            0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF,
            0xD9,
        ];
        assert_eq!(jpeg_whole(&b), Ok(()));
        assert!(jpeg_whole(&b[..b.len() - 2]).is_err());
        assert!(jpeg_whole(&b[..8]).is_err());
    }
}
