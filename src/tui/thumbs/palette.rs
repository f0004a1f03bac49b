//! A picture as a 256-colour PNG: what kitty is sent inside tmux, where
//! the link is usually SSH. Sixel, the other protocol there, has 256
//! colours too; an indexed PNG of a photo-like thumbnail is about 40%
//! smaller than its 24-bit PNG (a 480×340 photo: 132 KB → 91 KB; a
//! demo picture at 16×13 cells: 27 KB → 16 KB, `convert -colors 256`).
//! Quantised with NeuQuant (`color_quant`, image's own quantiser).

use image::RgbImage;

/// NeuQuant's sampling factor: 1 is best, 30 fastest; 10 is its default.
const SAMPLE: i32 = 10;

/// `img` as an 8-bit indexed PNG, or `None` if encoding failed.
pub(crate) fn indexed_png(img: &RgbImage) -> Option<Vec<u8>> {
    let rgba: Vec<u8> = img.pixels().flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    let nq = color_quant::NeuQuant::new(SAMPLE, 256, &rgba);
    let palette: Vec<u8> = nq
        .color_map_rgba()
        .chunks_exact(4)
        .flat_map(|c| [c[0], c[1], c[2]])
        .collect();
    let indices: Vec<u8> = rgba
        .chunks_exact(4)
        .map(|p| u8::try_from(nq.index_of(p)).unwrap_or(0))
        .collect();
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, img.width(), img.height());
    enc.set_color(png::ColorType::Indexed);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_palette(palette);
    enc.set_compression(png::Compression::High);
    let mut w = enc.write_header().ok()?;
    w.write_image_data(&indices).ok()?;
    w.finish().ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photo_like_picture_gets_smaller_and_decodes_to_its_size() {
        let img = RgbImage::from_fn(160, 120, |x, y| {
            let n = (x * 7919 + y * 104_729) % 251;
            image::Rgb([(x + n) as u8, (y * 2) as u8, (x ^ y) as u8])
        });
        let full = {
            let mut v = Vec::new();
            image::DynamicImage::ImageRgb8(img.clone())
                .write_to(&mut std::io::Cursor::new(&mut v), image::ImageFormat::Png)
                .expect("png");
            v
        };
        let small = indexed_png(&img).expect("indexed");
        assert!(small.len() < full.len(), "{} ≥ {}", small.len(), full.len());
        let back = image::load_from_memory(&small).expect("decodes");
        assert_eq!((back.width(), back.height()), (160, 120));
    }
}
