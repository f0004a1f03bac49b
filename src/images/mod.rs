//! Images at the edge: recognising them, preparing reference images for
//! upload, the content-addressed store in a conversation folder, and
//! importing from files, links and gateway results.
//!
//! Rules (from the gateway contract): references are PNG, JPEG or WebP, at
//! most 10 MB each at the gateway and at most [`UPLOAD_BUDGET_BYTES`] as we
//! send them. Formats are told by magic bytes only; dimensions come from
//! headers before anything is decoded, so a decompression bomb is refused
//! before it can allocate.

mod error;
mod fetch;
mod import;
mod pngtext;
mod prepare;
mod recipe;
mod shrink;
mod sniff;
mod store;
#[cfg(test)]
pub(crate) mod testimg;

use base64::Engine as _;

pub use error::{ImageError, Subject};
pub(crate) use fetch::{CappedReadError, FetchError, fetch_capped, read_capped};
pub use import::{
    MAX_DOWNLOAD_BYTES, MAX_FILE_BYTES, import_bytes, import_file, import_reference, import_url,
    import_url_with_cap,
};
pub use pngtext::{NotPng, with_text};
pub use prepare::{MAX_SIDE, downscale, prepare_upload};
pub use recipe::{MAX_PATH_TURNS, MAX_PROMPT_CHARS, Recipe, recipe};
pub use shrink::{shrink, shrink_file, shrink_open};
pub use store::{ImageStore, MAX_STORED_BYTES, VerifiedImage};

/// What one prepared reference image may weigh.
pub const UPLOAD_BUDGET_BYTES: usize = 1_500_000;

/// The gateway's hard limit per reference image; preparation stays far
/// below it by construction.
pub const GATEWAY_LIMIT_BYTES: usize = 10_000_000;

/// The most pixels an image may have (decompression bombs stop here).
pub const MAX_PIXELS: u64 = 100_000_000;

/// For GIF, BMP and TIFF: the most pixels one byte of the file may stand
/// for. Their decoders fill the whole canvas the header claims, so a
/// 35-byte GIF claiming 10000×10000 cost 1.8 s and 880 MB. Real files
/// stay far below this: LZW (GIF, TIFF) emits at most 4,096 pixels per
/// 12-bit code (~2,700 per byte), BMP's RLE 255 per 2 bytes. Not applied
/// to WebP, which encodes a flat picture of any size in a few dozen bytes,
/// nor to PNG and JPEG, whose decoders stop where the data does.
pub const MAX_PIXELS_PER_BYTE: u64 = 4096;

/// The formats pixloom reads. Only PNG, JPEG and WebP are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
    Gif,
    Bmp,
    Tiff,
}

impl ImageKind {
    /// Every kind, for tests and listings.
    pub const ALL: [ImageKind; 6] = [
        ImageKind::Png,
        ImageKind::Jpeg,
        ImageKind::Webp,
        ImageKind::Gif,
        ImageKind::Bmp,
        ImageKind::Tiff,
    ];

    /// The file extension used in the store (matches [`crate::core::tree::Blob::ext`]).
    pub fn ext(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpeg => "jpg",
            ImageKind::Webp => "webp",
            ImageKind::Gif => "gif",
            ImageKind::Bmp => "bmp",
            ImageKind::Tiff => "tiff",
        }
    }

    /// The MIME type, as in a data URL.
    pub fn mime(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
            ImageKind::Gif => "image/gif",
            ImageKind::Bmp => "image/bmp",
            ImageKind::Tiff => "image/tiff",
        }
    }

    /// The name for messages: `PNG`, `JPEG`, …
    pub fn name(self) -> &'static str {
        match self {
            ImageKind::Png => "PNG",
            ImageKind::Jpeg => "JPEG",
            ImageKind::Webp => "WebP",
            ImageKind::Gif => "GIF",
            ImageKind::Bmp => "BMP",
            ImageKind::Tiff => "TIFF",
        }
    }

    /// Whether the header's size is believed only if the file is big
    /// enough to hold it (see [`MAX_PIXELS_PER_BYTE`]).
    fn needs_bytes_for_its_size(self) -> bool {
        matches!(self, ImageKind::Gif | ImageKind::Bmp | ImageKind::Tiff)
    }

    /// Whether the gateway accepts this format as a reference image.
    pub fn is_uploadable(self) -> bool {
        matches!(self, ImageKind::Png | ImageKind::Jpeg | ImageKind::Webp)
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            ImageKind::Png => image::ImageFormat::Png,
            ImageKind::Jpeg => image::ImageFormat::Jpeg,
            ImageKind::Webp => image::ImageFormat::WebP,
            ImageKind::Gif => image::ImageFormat::Gif,
            ImageKind::Bmp => image::ImageFormat::Bmp,
            ImageKind::Tiff => image::ImageFormat::Tiff,
        }
    }
}

/// An image's format and size, read from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub format: ImageKind,
    pub width: u32,
    pub height: u32,
}

/// An image ready to send: PNG, JPEG or WebP within the upload budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    pub info: ImageInfo,
}

/// Format and dimensions of `bytes`, from magic bytes and the header only.
///
/// Refuses empty data, non-images (naming what they look like when easy:
/// PDF, HTML, SVG, JSON, text…), formats pixloom cannot read (HEIC, AVIF),
/// cut headers, and anything over 100 megapixels.
pub fn inspect(bytes: &[u8]) -> Result<ImageInfo, ImageError> {
    sniff::inspect_as(bytes, &Subject::Data)
}

/// Checks an image the gateway returned: PNG, JPEG or WebP, within the
/// limits, and whole (a cut-off download is refused).
pub fn accept_result(bytes: &[u8]) -> Result<ImageInfo, ImageError> {
    let info = sniff::inspect_as(bytes, &Subject::Result)?;
    if !info.format.is_uploadable() {
        return Err(ImageError::WrongResultFormat { kind: info.format });
    }
    sniff::check_complete(bytes, info.format, &Subject::Result)?;
    Ok(info)
}

/// `data:image/png;base64,…` for sending an image inline.
pub fn data_url(bytes: &[u8], info: &ImageInfo) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let mime = info.format.mime();
    let mut out = String::with_capacity(18 + mime.len() + bytes.len().div_ceil(3) * 4);
    out.push_str("data:");
    out.push_str(mime);
    out.push_str(";base64,");
    engine.encode_string(bytes, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_url_has_one_prefix_and_round_trips() {
        let png = testimg::encoded(ImageKind::Png, 3, 2);
        let info = inspect(&png).unwrap();
        let url = data_url(&png, &info);
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        let engine = base64::engine::general_purpose::STANDARD;
        assert_eq!(engine.decode(b64).unwrap(), png);
    }

    #[test]
    fn results_must_be_whole_uploadable_images() {
        let png = testimg::encoded(ImageKind::Png, 32, 32);
        assert_eq!(accept_result(&png).unwrap().format, ImageKind::Png);
        let e = accept_result(&png[..png.len() - 5]).unwrap_err();
        assert!(e.to_string().contains("cut short"), "{e}");
        assert!(e.to_string().contains("Retry the turn"), "{e}");
        let gif = testimg::encoded(ImageKind::Gif, 8, 8);
        assert!(matches!(
            accept_result(&gif),
            Err(ImageError::WrongResultFormat { .. })
        ));
        let e = accept_result(b"<html><body>Bad gateway</body></html>").unwrap_err();
        assert!(e.to_string().contains("HTML page"), "{e}");
    }

    #[test]
    fn kinds_have_store_extensions_and_mimes() {
        for k in ImageKind::ALL {
            let blob_mime = crate::core::tree::Blob {
                sha256: String::new(),
                ext: k.ext().to_string(),
                bytes: 0,
                width: 1,
                height: 1,
            }
            .mime();
            assert_eq!(blob_mime, k.mime());
        }
    }
}
