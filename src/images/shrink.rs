//! Small copies of big pictures, for thumbnails. A PNG (what the gateway
//! returns) is streamed row by row and box-averaged straight to the small
//! size: the 4K original is never held whole (25 MB less per thumbnail
//! being made) and no separate resize pass runs. Other formats, and the
//! PNGs that cannot be streamed (interlaced), are decoded whole and
//! resized.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use image::{DynamicImage, RgbImage};

/// Images are shrunk to this with fast_image_resize before the exact
/// scale (the whole-decode path only).
const PRESHRINK_SIDE: u32 = 1024;

/// Reads of the PNG in pieces this big: a 4K result is ~12 MB, and the
/// default 8 KB buffer costs ~1,500 system calls.
const READ_BUFFER: usize = 256 * 1024;

/// The picture in `path` scaled to exactly `width`×`height` (the caller
/// keeps the aspect ratio). Slow for big images (tens of ms): call off the
/// UI task.
#[cfg(test)]
pub(crate) fn shrink_file(path: &Path, width: u32, height: u32) -> Result<RgbImage, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    shrink_open(file, path, width, height)
}

/// [`shrink_file`] for a file already open (and verified: see
/// [`super::ImageStore::open_verified`]), read from its start; `shown`
/// names it in errors.
pub(crate) fn shrink_open(
    file: File,
    shown: &Path,
    width: u32,
    height: u32,
) -> Result<RgbImage, String> {
    let (width, height) = (width.max(1), height.max(1));
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", shown.display());
    // The same open file (never the name again) for the whole-decode path.
    let mut again = file.try_clone().map_err(|e| fail(&e))?;
    let mut file = BufReader::with_capacity(READ_BUFFER, file);
    let mut magic = [0u8; 8];
    let is_png = file.read_exact(&mut magic).is_ok() && magic == *b"\x89PNG\r\n\x1a\n";
    file.seek(SeekFrom::Start(0)).map_err(|e| fail(&e))?;
    if is_png && let Some(small) = shrink_png(file, width, height).map_err(|e| fail(&e))? {
        return Ok(small);
    }
    again.seek(SeekFrom::Start(0)).map_err(|e| fail(&e))?;
    let img = image::ImageReader::new(BufReader::with_capacity(READ_BUFFER, again))
        .with_guessed_format()
        .map_err(|e| fail(&e))?
        .decode()
        .map_err(|e| fail(&e))?;
    Ok(shrink(&img, width, height))
}

/// `img` scaled to exactly `width`×`height`.
pub(crate) fn shrink(img: &DynamicImage, width: u32, height: u32) -> RgbImage {
    let img = super::downscale(img, PRESHRINK_SIDE);
    img.resize_exact(width, height, image::imageops::FilterType::Triangle)
        .to_rgb8()
}

/// Streams a PNG through a box filter; `None` when this PNG cannot be
/// streamed that way (interlaced, or smaller than the target).
fn shrink_png(
    file: BufReader<File>,
    width: u32,
    height: u32,
) -> Result<Option<RgbImage>, png::DecodingError> {
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info()?;
    let info = reader.info();
    let (src_w, src_h) = (info.width, info.height);
    if info.interlaced || src_w < width || src_h < height {
        return Ok(None);
    }
    let channels = match reader.output_color_type().0 {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Ok(None),
    };
    let mut boxes = BoxFilter::new(src_w, src_h, width, height);
    while let Some(row) = reader.next_row()? {
        match channels {
            1 => boxes.add_row::<1>(row.data()),
            2 => boxes.add_row::<2>(row.data()),
            3 => boxes.add_row::<3>(row.data()),
            _ => boxes.add_row::<4>(row.data()),
        }
    }
    Ok(Some(boxes.out))
}

/// Area averaging from `src_w`×`src_h` down to the output's size, fed one
/// source row at a time. Alpha is ignored (as `to_rgb8` does).
///
/// Rows are first added column by column into a full-width `u32` row (a
/// loop the compiler vectorises); the sums across each output column's
/// span are taken once per output row, not once per source row.
struct BoxFilter {
    src_h: u32,
    /// Source column where each output column starts (and one past the end).
    starts: Vec<usize>,
    /// Per source pixel and channel (RGB), the sum of the band's rows so far.
    column_sums: Vec<u32>,
    /// Per output pixel and channel, the band's sum (from `column_sums`).
    sums: Vec<u64>,
    /// Source rows seen so far, in the output row being summed, and in
    /// `column_sums` (emptied into `sums` before a `u32` could overflow).
    rows_seen: u32,
    rows_in_band: u32,
    rows_in_column_sums: u32,
    /// [`ROWS_PER_U32`]; smaller in a test.
    column_sums_capacity: u32,
    band: u32,
    out: RgbImage,
}

/// Rows of 8-bit values a `u32` column sum holds without overflowing.
const ROWS_PER_U32: u32 = u32::MAX / u8::MAX as u32;

impl BoxFilter {
    fn new(src_w: u32, src_h: u32, width: u32, height: u32) -> BoxFilter {
        let starts = (0..=u64::from(width))
            .map(|x| (x * u64::from(src_w) / u64::from(width)) as usize)
            .collect();
        BoxFilter {
            src_h,
            starts,
            column_sums: vec![0; src_w as usize * 3],
            sums: vec![0; width as usize * 3],
            rows_seen: 0,
            rows_in_band: 0,
            rows_in_column_sums: 0,
            column_sums_capacity: ROWS_PER_U32,
            band: 0,
            out: RgbImage::new(width, height),
        }
    }

    fn band_of(&self, row: u32) -> u32 {
        (u64::from(row) * u64::from(self.out.height()) / u64::from(self.src_h)) as u32
    }

    fn add_row<const N: usize>(&mut self, data: &[u8]) {
        if N == 3 {
            for (sum, &v) in self.column_sums.iter_mut().zip(data) {
                *sum += u32::from(v);
            }
        } else {
            for (sum, px) in self
                .column_sums
                .chunks_exact_mut(3)
                .zip(data.chunks_exact(N))
            {
                let (r, g, b) = if N < 3 {
                    (px[0], px[0], px[0])
                } else {
                    (px[0], px[1], px[2])
                };
                sum[0] += u32::from(r);
                sum[1] += u32::from(g);
                sum[2] += u32::from(b);
            }
        }
        self.rows_seen += 1;
        self.rows_in_band += 1;
        self.rows_in_column_sums += 1;
        if self.rows_in_column_sums == self.column_sums_capacity {
            self.empty_column_sums();
        }
        let next_band = self.band_of(self.rows_seen);
        if next_band != self.band || self.rows_seen == self.src_h {
            self.flush();
            self.band = next_band;
        }
    }

    /// Adds `column_sums` across each output column's span into `sums`.
    fn empty_column_sums(&mut self) {
        for (col, sum) in self.sums.chunks_exact_mut(3).enumerate() {
            let span = &self.column_sums[self.starts[col] * 3..self.starts[col + 1] * 3];
            for px in span.chunks_exact(3) {
                sum[0] += u64::from(px[0]);
                sum[1] += u64::from(px[1]);
                sum[2] += u64::from(px[2]);
            }
        }
        self.column_sums.fill(0);
        self.rows_in_column_sums = 0;
    }

    /// Writes the averaged output row and starts the next one.
    fn flush(&mut self) {
        self.empty_column_sums();
        if self.band < self.out.height() {
            for col in 0..self.out.width() as usize {
                let cols = (self.starts[col + 1] - self.starts[col]).max(1) as u64;
                let count = cols * u64::from(self.rows_in_band.max(1));
                let s = &self.sums[col * 3..col * 3 + 3];
                let avg = |v: u64| ((v + count / 2) / count) as u8;
                self.out.put_pixel(
                    col as u32,
                    self.band,
                    image::Rgb([avg(s[0]), avg(s[1]), avg(s[2])]),
                );
            }
        }
        self.sums.fill(0);
        self.rows_in_band = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn write_png(dir: &Path, img: &DynamicImage) -> std::path::PathBuf {
        let path = dir.join("p.png");
        let file = std::io::BufWriter::new(File::create(&path).unwrap());
        let (w, h) = (img.width(), img.height());
        let mut enc = png::Encoder::new(file, w, h);
        let (ct, bytes) = match img {
            DynamicImage::ImageLuma8(g) => (png::ColorType::Grayscale, g.as_raw().clone()),
            DynamicImage::ImageRgba8(g) => (png::ColorType::Rgba, g.as_raw().clone()),
            other => (png::ColorType::Rgb, other.to_rgb8().into_raw()),
        };
        enc.set_color(ct);
        enc.write_header()
            .unwrap()
            .write_image_data(&bytes)
            .unwrap();
        path
    }

    /// Left half red, right half blue; top half bright, bottom half dark.
    fn quadrants(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let v = if y < h / 2 { 240 } else { 40 };
            if x < w / 2 {
                Rgb([v, 0, 0])
            } else {
                Rgb([0, 0, v])
            }
        })
    }

    #[test]
    fn streamed_png_is_the_box_average_of_its_area() {
        let dir = tempfile::tempdir().unwrap();
        let img = DynamicImage::ImageRgb8(quadrants(400, 300));
        let path = write_png(dir.path(), &img);
        let small = shrink_file(&path, 4, 2).unwrap();
        assert_eq!(small.dimensions(), (4, 2));
        assert_eq!(small.get_pixel(0, 0).0, [240, 0, 0]);
        assert_eq!(small.get_pixel(3, 0).0, [0, 0, 240]);
        assert_eq!(small.get_pixel(1, 1).0, [40, 0, 0]);
        assert_eq!(small.get_pixel(2, 1).0, [0, 0, 40]);
        // An output pixel straddling the middle column averages both sides.
        let odd = shrink_file(&path, 3, 2).unwrap();
        let mid = odd.get_pixel(1, 0).0;
        assert!(mid[0] > 60 && mid[2] > 60, "{mid:?}");
    }

    #[test]
    fn streamed_and_decoded_paths_agree_on_every_colour_type() {
        let dir = tempfile::tempdir().unwrap();
        let rgb = quadrants(320, 200);
        let cases = [
            DynamicImage::ImageRgb8(rgb.clone()),
            DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(rgb.clone()).to_rgba8()),
            DynamicImage::ImageLuma8(DynamicImage::ImageRgb8(rgb.clone()).to_luma8()),
        ];
        for img in cases {
            let path = write_png(dir.path(), &img);
            let streamed = shrink_file(&path, 32, 20).unwrap();
            let decoded = shrink(&img, 32, 20);
            let worst = streamed
                .pixels()
                .zip(decoded.pixels())
                .flat_map(|(a, b)| (0..3).map(move |c| a.0[c].abs_diff(b.0[c])))
                .max()
                .unwrap();
            // Away from the edges both are flat colour; at the edges the
            // filters differ a little.
            assert_eq!(streamed.get_pixel(4, 4), decoded.get_pixel(4, 4));
            assert!(worst < 130, "{worst}");
        }
    }

    #[test]
    fn other_formats_and_small_pngs_take_the_decoding_path() {
        let dir = tempfile::tempdir().unwrap();
        let jpg = dir.path().join("a.jpg");
        DynamicImage::ImageRgb8(quadrants(200, 100))
            .save(&jpg)
            .unwrap();
        assert_eq!(shrink_file(&jpg, 20, 10).unwrap().dimensions(), (20, 10));
        // Smaller than the target: scaled up by the decoding path.
        let tiny = write_png(dir.path(), &DynamicImage::ImageRgb8(quadrants(8, 6)));
        assert_eq!(shrink_file(&tiny, 20, 10).unwrap().dimensions(), (20, 10));
        // Interlaced PNGs are decoded whole. A 1×1 image is the same bytes
        // either way but for the IHDR flag (and its CRC).
        let one = write_png(dir.path(), &DynamicImage::ImageRgb8(quadrants(1, 1)));
        let mut bytes = std::fs::read(&one).unwrap();
        bytes[28] = 1;
        let crc = crc32fast::hash(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        std::fs::write(&one, &bytes).unwrap();
        let file = BufReader::new(File::open(&one).unwrap());
        assert_eq!(shrink_png(file, 1, 1).unwrap(), None, "not streamed");
        assert_eq!(
            shrink_file(&one, 1, 1).unwrap().get_pixel(0, 0).0,
            [0, 0, 40]
        );
    }

    #[test]
    fn column_sums_are_emptied_before_they_could_overflow() {
        // 9 rows of 255 into one output row, with room for only 2 rows per
        // u32 sum: the average still comes out exact.
        let rows = |f: &mut BoxFilter| {
            for y in 0..9u8 {
                let v = if y % 2 == 0 { 255 } else { 0 };
                f.add_row::<3>(&[v, 255, 7, v, 255, 7]);
            }
        };
        let mut small = BoxFilter::new(2, 9, 1, 1);
        small.column_sums_capacity = 2;
        rows(&mut small);
        let mut roomy = BoxFilter::new(2, 9, 1, 1);
        rows(&mut roomy);
        assert_eq!(small.out.get_pixel(0, 0).0, [142, 255, 7]);
        assert_eq!(small.out, roomy.out);
        // The real capacity: 255 added that many times still fits.
        assert!(u64::from(ROWS_PER_U32) * 255 <= u64::from(u32::MAX));
    }

    #[test]
    fn a_missing_or_broken_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone.png");
        assert!(
            shrink_file(&missing, 4, 4)
                .unwrap_err()
                .contains("gone.png")
        );
        let broken = dir.path().join("cut.png");
        let img = DynamicImage::ImageRgb8(quadrants(64, 64));
        let full = write_png(dir.path(), &img);
        let bytes = std::fs::read(full).unwrap();
        std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
        assert!(shrink_file(&broken, 4, 4).unwrap_err().contains("cut.png"));
    }
}
