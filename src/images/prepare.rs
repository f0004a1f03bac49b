//! Making a reference image fit to send: as is when it already is, else
//! decoded once (with limits), shrunk with fast_image_resize, turned upright
//! per EXIF, and re-encoded (JPEG via jpeg-encoder, PNG when transparent),
//! stepping quality and size down until it fits the budget.

use std::io::Cursor;

use fast_image_resize as fir;
use image::metadata::Orientation;
use image::{DynamicImage, GenericImageView, ImageDecoder, ImageReader, Limits};

use super::error::{ImageError, Subject};
use super::kind::{GATEWAY_LIMIT_BYTES, ImageInfo, ImageKind, Prepared, UPLOAD_BUDGET_BYTES};
use super::sniff::{check_complete, inspect_as};

/// The longest side of a re-encoded reference image. The output size is
/// set by the request's `size`, not by the input, so more is wasted bytes.
pub const MAX_SIDE: u32 = 2048;

/// Never shrink below this while fitting (reached only by pathological input).
const MIN_SIDE: u32 = 64;

/// What decoding may allocate (a 100-megapixel RGBA image fits; 16-bit
/// colour at that size does not).
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// Encode attempts before giving up (each step shrinks by ≥ 7%).
const MAX_ATTEMPTS: usize = 12;

const JPEG_QUALITY: u8 = 85;
/// Quality for the one quality step tried before shrinking.
const JPEG_QUALITY_LOW: u8 = 72;

/// `bytes` made fit to send: returned as they are when already PNG, JPEG
/// or WebP within [`UPLOAD_BUDGET_BYTES`] and upright; else converted.
/// The result is always within the budget (so far below the gateway's
/// 10 MB), or an error.
pub fn prepare_upload(bytes: &[u8]) -> Result<Prepared, ImageError> {
    let (info, prepared) = prepare_as(bytes, &Subject::Data)?;
    Ok(prepared.unwrap_or_else(|| Prepared {
        bytes: bytes.to_vec(),
        info,
    }))
}

/// The original's info, and a converted copy when the original cannot be
/// sent as it is.
pub(crate) fn prepare_as(
    bytes: &[u8],
    subject: &Subject,
) -> Result<(ImageInfo, Option<Prepared>), ImageError> {
    let info = inspect_as(bytes, subject)?;
    // A cut-off file would decode to a grey-bottomed picture without error.
    check_complete(bytes, info.format, subject)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), info.format.image_format());
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| decode_error(e, subject, &info))?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    if info.format.is_uploadable()
        && bytes.len() <= UPLOAD_BUDGET_BYTES
        && orientation == Orientation::NoTransforms
    {
        return Ok((info, None));
    }
    let needed = decoder.total_bytes();
    if needed > MAX_DECODE_BYTES {
        return Err(ImageError::TooMuchMemory {
            subject: subject.clone(),
            width: info.width,
            height: info.height,
            needed,
        });
    }
    // One decode (GIF: the first frame), then work on the small copy only.
    let full = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, subject, &info))?;
    let mut small = shrink(full, MAX_SIDE, subject)?;
    small.apply_orientation(orientation);
    let prepared = if has_transparency(&small) {
        fit_png(small, subject)?
    } else {
        fit_jpeg(small, subject)?
    };
    debug_assert!(prepared.bytes.len() <= UPLOAD_BUDGET_BYTES);
    debug_assert!(prepared.bytes.len() <= GATEWAY_LIMIT_BYTES);
    Ok((info, Some(prepared)))
}

fn decode_error(e: image::ImageError, subject: &Subject, info: &ImageInfo) -> ImageError {
    match e {
        image::ImageError::Limits(_) => ImageError::TooMuchMemory {
            subject: subject.clone(),
            width: info.width,
            height: info.height,
            needed: MAX_DECODE_BYTES,
        },
        e => ImageError::Damaged {
            subject: subject.clone(),
            detail: format!("{}: {e}", info.format.name()),
        },
    }
}

/// A copy of `img` whose longest side is at most `max_side` (the same
/// image when it already fits), resized with fast_image_resize.
pub fn downscale(img: &DynamicImage, max_side: u32) -> DynamicImage {
    let (w, h) = img.dimensions();
    if w.max(h) <= max_side {
        return img.clone();
    }
    let (nw, nh) = fit_within(w, h, max_side);
    resize(img, nw, nh)
        // Pixel types fast_image_resize lacks: image's slower resize.
        .unwrap_or_else(|_| img.resize_exact(nw, nh, image::imageops::FilterType::Triangle))
}

/// Like [`downscale`], taking ownership so a fitting image is not copied.
fn shrink(img: DynamicImage, max_side: u32, subject: &Subject) -> Result<DynamicImage, ImageError> {
    let (w, h) = img.dimensions();
    if w.max(h) <= max_side {
        return Ok(img);
    }
    let (nw, nh) = fit_within(w, h, max_side);
    resize(&img, nw, nh).map_err(|e| ImageError::Encode {
        subject: subject.clone(),
        detail: format!("resize: {e}"),
    })
}

fn resize(img: &DynamicImage, w: u32, h: u32) -> Result<DynamicImage, fir::ResizeError> {
    let mut dst = DynamicImage::new(w, h, img.color());
    // Hamming: bilinear's speed with close to bicubic quality when shrinking.
    let options =
        fir::ResizeOptions::new().resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Hamming));
    fir::Resizer::new().resize(img, &mut dst, &options)?;
    Ok(dst)
}

/// Dimensions scaled so the longest side is `max_side`, aspect kept.
fn fit_within(w: u32, h: u32, max_side: u32) -> (u32, u32) {
    let scale = |a: u32, b: u32| {
        let v = (u64::from(a) * u64::from(max_side) + u64::from(b) / 2) / u64::from(b);
        u32::try_from(v).unwrap_or(max_side).clamp(1, max_side)
    };
    if w >= h {
        (max_side, scale(h, w))
    } else {
        (scale(w, h), max_side)
    }
}

/// Whether any pixel is not fully opaque (an alpha channel alone is not
/// enough: many opaque PNGs carry one).
fn has_transparency(img: &DynamicImage) -> bool {
    match img {
        DynamicImage::ImageLumaA8(b) => b.as_raw().chunks_exact(2).any(|p| p[1] != u8::MAX),
        DynamicImage::ImageRgba8(b) => b.as_raw().chunks_exact(4).any(|p| p[3] != u8::MAX),
        DynamicImage::ImageLumaA16(b) => b.as_raw().chunks_exact(2).any(|p| p[1] != u16::MAX),
        DynamicImage::ImageRgba16(b) => b.as_raw().chunks_exact(4).any(|p| p[3] != u16::MAX),
        DynamicImage::ImageRgba32F(b) => b.as_raw().chunks_exact(4).any(|p| p[3] < 1.0),
        _ => false,
    }
}

/// The next longest side after an attempt came out `ratio` × the budget
/// too big: JPEG and PNG sizes grow about with the pixel count.
fn next_side(side: u32, ratio: f64) -> u32 {
    let shrunk = (f64::from(side) * ratio.sqrt() * 0.93) as u32;
    shrunk.clamp(MIN_SIDE, side.saturating_sub(1).max(MIN_SIDE))
}

/// JPEG at quality 85, 4:2:0; if too big, one quality step (when close),
/// then smaller sizes until it fits.
fn fit_jpeg(img: DynamicImage, subject: &Subject) -> Result<Prepared, ImageError> {
    let base = match img {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => img,
        DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLuma8(img.to_luma8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    };
    let mut quality = JPEG_QUALITY;
    let mut side = base.width().max(base.height());
    let mut current: Option<DynamicImage> = None;
    for _ in 0..MAX_ATTEMPTS {
        let img = current.as_ref().unwrap_or(&base);
        let out = encode_jpeg(img, quality, subject)?;
        if out.len() <= UPLOAD_BUDGET_BYTES {
            return Ok(prepared(out, ImageKind::Jpeg, img));
        }
        let ratio = UPLOAD_BUDGET_BYTES as f64 / out.len() as f64;
        if quality > JPEG_QUALITY_LOW && ratio > 0.7 {
            quality = JPEG_QUALITY_LOW;
            continue;
        }
        side = next_side(side, ratio);
        current = Some(downscale(&base, side));
    }
    Err(too_big(subject))
}

fn encode_jpeg(img: &DynamicImage, quality: u8, subject: &Subject) -> Result<Vec<u8>, ImageError> {
    let (data, color) = match img {
        DynamicImage::ImageLuma8(b) => (b.as_raw(), jpeg_encoder::ColorType::Luma),
        DynamicImage::ImageRgb8(b) => (b.as_raw(), jpeg_encoder::ColorType::Rgb),
        _ => {
            return Err(ImageError::Encode {
                subject: subject.clone(),
                detail: "unexpected pixel layout".into(),
            });
        }
    };
    let encode_err = |e: &dyn std::fmt::Display| ImageError::Encode {
        subject: subject.clone(),
        detail: format!("JPEG: {e}"),
    };
    let w = u16::try_from(img.width()).map_err(|e| encode_err(&e))?;
    let h = u16::try_from(img.height()).map_err(|e| encode_err(&e))?;
    let mut out = Vec::with_capacity(UPLOAD_BUDGET_BYTES / 2);
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    if color == jpeg_encoder::ColorType::Rgb {
        enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    }
    enc.encode(data, w, h, color).map_err(|e| encode_err(&e))?;
    Ok(out)
}

/// PNG (keeps the transparency), smaller until it fits.
fn fit_png(img: DynamicImage, subject: &Subject) -> Result<Prepared, ImageError> {
    let base = match img {
        DynamicImage::ImageLumaA8(_) | DynamicImage::ImageRgba8(_) => img,
        DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(img.to_luma_alpha8()),
        other => DynamicImage::ImageRgba8(other.to_rgba8()),
    };
    let mut side = base.width().max(base.height());
    let mut current: Option<DynamicImage> = None;
    for _ in 0..MAX_ATTEMPTS {
        let img = current.as_ref().unwrap_or(&base);
        let mut out = Vec::new();
        let encoder = image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Default,
            image::codecs::png::FilterType::Adaptive,
        );
        img.write_with_encoder(encoder)
            .map_err(|e| ImageError::Encode {
                subject: subject.clone(),
                detail: format!("PNG: {e}"),
            })?;
        if out.len() <= UPLOAD_BUDGET_BYTES {
            return Ok(prepared(out, ImageKind::Png, img));
        }
        side = next_side(side, UPLOAD_BUDGET_BYTES as f64 / out.len() as f64);
        current = Some(downscale(&base, side));
    }
    Err(too_big(subject))
}

fn prepared(bytes: Vec<u8>, format: ImageKind, img: &DynamicImage) -> Prepared {
    Prepared {
        bytes,
        info: ImageInfo {
            format,
            width: img.width(),
            height: img.height(),
        },
    }
}

fn too_big(subject: &Subject) -> ImageError {
    ImageError::Encode {
        subject: subject.clone(),
        detail: "it stays over 1.5 MB even when small".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::testimg;

    #[test]
    fn fit_within_keeps_aspect_and_bounds() {
        assert_eq!(fit_within(6000, 4000, 2048), (2048, 1365));
        assert_eq!(fit_within(4000, 6000, 2048), (1365, 2048));
        assert_eq!(fit_within(100_000, 1, 2048), (2048, 1));
        assert_eq!(fit_within(2048, 2048, 2048), (2048, 2048));
    }

    #[test]
    fn next_side_always_shrinks() {
        assert!(next_side(2048, 0.99) < 2048);
        assert_eq!(next_side(64, 0.5), 64);
        assert!(next_side(2048, 0.25) <= 1024);
    }

    #[test]
    fn small_uploadable_images_pass_through_untouched() {
        for kind in [ImageKind::Png, ImageKind::Jpeg, ImageKind::Webp] {
            let bytes = testimg::encoded(kind, 300, 200);
            let (info, p) = prepare_as(&bytes, &Subject::Data).unwrap();
            assert!(p.is_none(), "{kind:?} was re-encoded");
            assert_eq!((info.width, info.height), (300, 200));
            assert_eq!(prepare_upload(&bytes).unwrap().bytes, bytes);
        }
    }

    #[test]
    fn other_formats_become_jpeg() {
        for kind in [ImageKind::Gif, ImageKind::Bmp, ImageKind::Tiff] {
            let bytes = testimg::encoded(kind, 300, 200);
            let p = prepare_upload(&bytes).unwrap();
            assert_eq!(p.info.format, ImageKind::Jpeg, "{kind:?}");
            let back = image::load_from_memory(&p.bytes).unwrap();
            assert_eq!((back.width(), back.height()), (300, 200));
        }
    }

    #[test]
    fn transparency_keeps_png_opaque_alpha_does_not() {
        let alpha = testimg::alpha_png(200, 100);
        let bmp_with_alpha = {
            let img = image::load_from_memory(&alpha).unwrap();
            let mut out = Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Bmp).unwrap();
            out.into_inner()
        };
        let p = prepare_upload(&bmp_with_alpha).unwrap();
        assert_eq!(p.info.format, ImageKind::Png);
        let opaque =
            DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(testimg::rgb(50, 50)).to_rgba8());
        assert!(!has_transparency(&opaque));
    }

    #[test]
    fn exif_rotation_forces_a_re_encode_upright() {
        // Left half red, right half blue: after a 90° turn, top red, bottom blue.
        let (w, h) = (300u32, 200u32);
        let mut raw = Vec::new();
        for _y in 0..h {
            for x in 0..w {
                raw.extend_from_slice(if x < w / 2 {
                    &[255, 0, 0]
                } else {
                    &[0, 0, 255]
                });
            }
        }
        let jpeg = testimg::jpeg_of(&raw, w, h, 90);
        let rotated = testimg::with_exif_orientation(&jpeg, 6);
        let p = prepare_upload(&rotated).unwrap();
        assert_ne!(p.bytes, rotated);
        assert_eq!((p.info.width, p.info.height), (200, 300));
        let back = image::load_from_memory(&p.bytes).unwrap().to_rgb8();
        assert_eq!((back.width(), back.height()), (200, 300));
        let top = back.get_pixel(100, 20);
        let bottom = back.get_pixel(100, 280);
        assert!(top[0] > 200 && top[2] < 60, "top {top:?}");
        assert!(bottom[2] > 200 && bottom[0] < 60, "bottom {bottom:?}");
        // Without the EXIF segment, the same small JPEG passes as is.
        assert_eq!(prepare_upload(&jpeg).unwrap().bytes, jpeg);
    }

    #[test]
    fn downscale_bounds_the_longest_side() {
        let img = DynamicImage::ImageRgb8(testimg::rgb(500, 250));
        let s = downscale(&img, 100);
        assert_eq!((s.width(), s.height()), (100, 50));
        let same = downscale(&img, 1000);
        assert_eq!((same.width(), same.height()), (500, 250));
    }

    #[test]
    fn noise_that_does_not_fit_at_full_size_still_fits() {
        // 2048² of noise at q85 is several MB: forces the size steps.
        let (w, h) = (2048, 2048);
        let raw = testimg::noise_rgb(w, h, 127, 7);
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, raw).unwrap());
        let p = fit_jpeg(img, &Subject::Data).unwrap();
        assert!(p.bytes.len() <= UPLOAD_BUDGET_BYTES);
        assert!(p.info.width < 2048 && p.info.width >= 512, "{:?}", p.info);
    }
}
