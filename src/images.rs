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
mod kind;
mod pngtext;
mod prepare;
mod recipe;
mod shrink;
mod sniff;
mod store;
#[cfg(test)]
/// The test kit's pictures, with `encoded` taking this crate's kind.
pub(crate) mod testimg {
    pub(crate) use pixloom_testkit::pictures::*;
    pub(crate) fn encoded(kind: super::ImageKind, w: u32, h: u32) -> Vec<u8> {
        pixloom_testkit::pictures::encoded(kind.image_format(), w, h)
    }
}

use base64::Engine as _;

pub use error::{ImageError, Subject};
pub(crate) use fetch::{CappedReadError, FetchError, fetch_capped, read_capped};
pub use import::{
    MAX_DOWNLOAD_BYTES, MAX_FILE_BYTES, import_bytes, import_file, import_reference, import_url,
    import_url_with_cap,
};
pub use kind::{
    GATEWAY_LIMIT_BYTES, ImageInfo, ImageKind, MAX_PIXELS, MAX_PIXELS_PER_BYTE, Prepared,
    UPLOAD_BUDGET_BYTES,
};
pub use prepare::{MAX_SIDE, downscale, prepare_upload};
pub use recipe::{MAX_PATH_TURNS, MAX_PROMPT_CHARS, Recipe, recipe};
#[cfg(test)]
pub(crate) use shrink::shrink;
pub(crate) use shrink::shrink_open;
pub use store::{ImageStore, MAX_STORED_BYTES, VerifiedImage};

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
            let blob_mime = pixloom_core::tree::Blob {
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
