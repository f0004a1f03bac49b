//! What an image is to pixloom: its format, its header's facts, and the
//! limits every check holds it to. Every file of `images/` takes these
//! from here.

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
    #[cfg(test)]
    pub(crate) const ALL: [ImageKind; 6] = [
        ImageKind::Png,
        ImageKind::Jpeg,
        ImageKind::Webp,
        ImageKind::Gif,
        ImageKind::Bmp,
        ImageKind::Tiff,
    ];

    /// The file extension used in the store (matches [`pixloom_core::tree::Blob::ext`]).
    pub(crate) fn ext(self) -> &'static str {
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
    pub(crate) fn mime(self) -> &'static str {
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
    pub(crate) fn name(self) -> &'static str {
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
    pub(super) fn needs_bytes_for_its_size(self) -> bool {
        matches!(self, ImageKind::Gif | ImageKind::Bmp | ImageKind::Tiff)
    }

    /// Whether the gateway accepts this format as a reference image.
    pub fn is_uploadable(self) -> bool {
        matches!(self, ImageKind::Png | ImageKind::Jpeg | ImageKind::Webp)
    }

    pub(super) fn image_format(self) -> image::ImageFormat {
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
