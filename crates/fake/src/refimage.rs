//! Reference images as the gateway checks them: the 10 MB limit, png /
//! jpeg / webp by magic bytes and a header that decodes, data URLs, and
//! the fake's own result URLs (it has no network for any other).

use base64::Engine as _;
use bytes::Bytes;

use super::request::{ApiError, Ctx};

/// The hard gateway limit per reference image (decoded bytes).
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// The image format a byte string starts like.
fn sniff(bytes: &[u8]) -> Option<image::ImageFormat> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(image::ImageFormat::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(image::ImageFormat::Jpeg)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(image::ImageFormat::WebP)
    } else {
        None
    }
}

fn mime_of(f: image::ImageFormat) -> &'static str {
    match f {
        image::ImageFormat::Png => "image/png",
        image::ImageFormat::Jpeg => "image/jpeg",
        _ => "image/webp",
    }
}

/// Checks one reference image: size limit (413), png/jpeg/webp by its
/// magic bytes, the declared type (if any) matching, a header that decodes.
pub(crate) fn check_image(
    bytes: &[u8],
    declared: Option<&str>,
    what: &str,
) -> Result<(), ApiError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ApiError::new(
            413,
            format!(
                "{what} is {} bytes; the limit is {MAX_IMAGE_BYTES} bytes (10 MB) per image. Compress it (1.5 MB is advised).",
                bytes.len()
            ),
        )
        .code("image_too_large"));
    }
    let format = sniff(bytes).ok_or_else(|| {
        ApiError::bad(format!("{what} is not a png, jpeg or webp image")).code("invalid_image")
    })?;
    if let Some(d) = declared {
        let d = if d == "image/jpg" { "image/jpeg" } else { d };
        if d.starts_with("image/") && d != mime_of(format) {
            return Err(ApiError::bad(format!(
                "{what} is declared {d} but its data is {}",
                mime_of(format)
            ))
            .code("invalid_image"));
        }
    }
    let dims = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| {
            ApiError::bad(format!(
                "{what} does not decode as {}: {e}",
                mime_of(format)
            ))
            .code("invalid_image")
        })?;
    if dims.0 == 0 || dims.1 == 0 {
        return Err(ApiError::bad(format!("{what} has no pixels")).code("invalid_image"));
    }
    Ok(())
}

/// Resolves a chat `image_url` to bytes: a data URL, or one of the fake's
/// own `/files/` URLs (it has no network; any other host fails to fetch).
pub(crate) fn resolve_image_url(url: &str, ctx: &Ctx<'_>, what: &str) -> Result<Bytes, ApiError> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (meta, payload) = rest.split_once(',').ok_or_else(|| {
            ApiError::bad(format!("{what}: malformed data URL")).code("invalid_image_url")
        })?;
        let mime = meta.strip_suffix(";base64").ok_or_else(|| {
            ApiError::bad(format!(
                "{what}: the data URL must be base64 (data:image/…;base64,…)"
            ))
            .code("invalid_image_url")
        })?;
        if !matches!(mime, "image/png" | "image/jpeg" | "image/webp") {
            return Err(ApiError::bad(format!(
                "{what}: unsupported data URL type {mime:?} (use image/png, image/jpeg or image/webp)"
            ))
            .code("invalid_image_url"));
        }
        // Rough size gate before decoding: base64 is 4/3 of the bytes.
        if payload.len() / 4 * 3 > MAX_IMAGE_BYTES + 3 {
            return Err(ApiError::new(
                413,
                format!(
                    "{what} is about {} bytes; the limit is {MAX_IMAGE_BYTES} bytes (10 MB) per image",
                    payload.len() / 4 * 3
                ),
            )
            .code("image_too_large"));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(payload)
            .map_err(|e| {
                ApiError::bad(format!("{what}: invalid base64 in data URL ({e})"))
                    .code("invalid_image_url")
            })?;
        check_image(&bytes, Some(mime), what)?;
        return Ok(Bytes::from(bytes));
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ApiError::bad(format!(
            "{what}: image_url must be an https:// URL or a data:image/(png|jpeg|webp);base64 URL"
        ))
        .code("invalid_image_url"));
    }
    let cannot = || {
        ApiError::bad(format!("could not fetch image_url ({what}): {url}"))
            .code("invalid_image_url")
    };
    let parsed = url::Url::parse(url).map_err(|_| cannot())?;
    let own_host = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost"));
    if !own_host || parsed.port_or_known_default() != Some(ctx.port) {
        return Err(cannot());
    }
    let id = parsed
        .path()
        .strip_prefix("/files/")
        .and_then(|f| f.strip_suffix(".png"))
        .ok_or_else(cannot)?;
    let bytes = (ctx.own_file)(id).ok_or_else(|| {
        ApiError::bad(format!(
            "could not fetch image_url ({what}): {url} answered 404 (expired or unknown)"
        ))
        .code("invalid_image_url")
    })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_knows_the_three_formats() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(image::ImageFormat::Png)
        );
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(image::ImageFormat::Jpeg)
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(image::ImageFormat::WebP)
        );
        assert_eq!(sniff(b"GIF89a"), None);
        let e = check_image(b"\x89PNG\r\n\x1a\ngarbage", None, "x").expect_err("no header");
        assert!(e.message.contains("does not decode"), "{}", e.message);
    }
}
