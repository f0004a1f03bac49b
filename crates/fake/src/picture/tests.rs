//! Pictures: per prompt and draw, derived from a reference, PNG, sizes.
use super::*;

fn mean(img: &RgbImage) -> [f64; 3] {
    let mut sum = [0f64; 3];
    for p in img.pixels() {
        for (acc, v) in sum.iter_mut().zip(p.0) {
            *acc += f64::from(v);
        }
    }
    let n = f64::from(img.width() * img.height());
    [sum[0] / n, sum[1] / n, sum[2] / n]
}

#[test]
fn same_prompt_and_draw_same_picture_different_prompt_different_picture() {
    let first = Draw::default();
    let a = generate("a red fox in snow", first, 64, 48);
    assert_eq!(a.dimensions(), (64, 48));
    assert_eq!(a, generate("a red fox in snow", first, 64, 48));
    let b = generate("a lighthouse at dusk", first, 64, 48);
    assert!(mean_abs_difference(&a, &b) > 20, "mean abs diff too small");
}

/// Every draw of one prompt is a new picture, as the real gateway's
/// are, and a draw is the same in every run with the same seed.
#[test]
fn every_draw_of_a_prompt_differs_and_a_seed_repeats_them() {
    let draws: Vec<Draw> = [(0, 0), (0, 1), (0, 2), (0, 3), (9, 0), (9, 1)]
        .into_iter()
        .map(|(seed, number)| Draw { seed, number })
        .collect();
    let fresh: Vec<RgbImage> = draws
        .iter()
        .map(|&d| generate("a red fox in snow", d, 64, 48))
        .collect();
    for (i, a) in fresh.iter().enumerate() {
        for b in &fresh[i + 1..] {
            assert_ne!(a, b, "two draws gave one picture");
        }
    }
    let reference = DynamicImage::ImageRgb8(RgbImage::from_pixel(40, 30, image::Rgb([9, 90, 200])));
    let edited = |d| derive(&reference, "at night", d, 80, 60);
    assert_ne!(
        edited(draws[0]),
        edited(draws[1]),
        "two edits gave one picture"
    );
    assert_eq!(edited(draws[4]), edited(draws[4]));
    assert_eq!(fresh[5], generate("a red fox in snow", draws[5], 64, 48));
}

#[test]
fn derived_keeps_the_reference_colour() {
    let reference =
        DynamicImage::ImageRgb8(RgbImage::from_pixel(50, 30, image::Rgb([200, 40, 30])));
    let out = derive(&reference, "make it brighter", Draw::default(), 128, 96);
    assert_eq!(out.dimensions(), (128, 96));
    let m = mean(&out);
    assert!(
        (m[0] - 200.0).abs() < 45.0 && (m[1] - 40.0).abs() < 45.0,
        "{m:?}"
    );
    // The prompt's band is there: the bottom row is not the reference.
    assert_ne!(out.get_pixel(5, 95).0, [200, 40, 30]);
}

#[test]
fn png_round_trips() {
    let img = generate("x", Draw::default(), 33, 17);
    let png = encode_png(&img).expect("encode");
    let back = image::load_from_memory(&png).expect("decode").to_rgb8();
    assert_eq!(back, img);
}

#[test]
fn dims_and_ratios_in_prompts() {
    assert_eq!(dims_in("a 1024x768 logo"), Some((1024, 768)));
    assert_eq!(dims_in("size 3840×2160 please"), Some((3840, 2160)));
    assert_eq!(dims_in("no dims x here 12x"), None);
    assert_eq!(
        ratio_in("cinematic 16:9 shot").map(|r| (r.w, r.h)),
        Some((16, 9))
    );
    assert_eq!(ratio_in("at 10:30 pm"), None);
}

#[test]
fn auto_sizes_are_table_sizes_at_most_2k() {
    for p in ["a", "b", "c", "lighthouse", "cat", "dog", "x y z"] {
        let (w, h) = auto_size(p, None);
        let s = Size::lookup(w, h).expect("in table");
        assert_ne!(s.tier, Tier::Detail4K);
        assert_eq!(auto_size(p, None), (w, h), "deterministic");
    }
    assert_eq!(auto_size("wallpaper 3840x2160", None), (2048, 1152));
    assert_eq!(auto_size("poster 1536x2048", None), (1536, 2048));
    let (w, h) = auto_size("cinematic 16:9", None);
    assert_eq!(
        Size::lookup(w, h).map(|s| (s.ratio.w, s.ratio.h)),
        Some((16, 9))
    );
    assert_eq!(auto_size("edit", Some((4000, 3000))), (2048, 1536));
}

#[test]
fn all_model_sizes_come_from_the_prompt() {
    assert_eq!(all_model_size("a cat"), (1280, 1280));
    assert_eq!(all_model_size("1024x1024 square logo"), (1024, 1024));
    assert_eq!(
        all_model_size("a cat\n\n(Output size: 3840x2160 pixels, aspect ratio 16:9.)"),
        (2048, 1152)
    );
    assert_eq!(all_model_size("portrait 9:16"), (720, 1280));
}

/// `[fake:disc=RRGGBB]`: exactly the requested size, only white and the
/// colour, the colour forming a centred disc of the promised diameter.
#[test]
fn a_disc_is_one_colour_on_white_centred_at_the_size_asked() {
    let colour = [0xd7, 0x00, 0x87];
    for (w, h) in [(1536, 1024), (1024, 1536), (1280, 1280), (37, 21)] {
        let img = disc(colour, w, h);
        assert_eq!(img.dimensions(), (w, h));
        let (mut left, mut right, mut top, mut bottom) = (w, 0, h, 0);
        for (x, y, p) in img.enumerate_pixels() {
            match p.0 {
                [255, 255, 255] => {}
                c if c == colour => {
                    left = left.min(x);
                    right = right.max(x + 1);
                    top = top.min(y);
                    bottom = bottom.max(y + 1);
                }
                other => panic!("{w}x{h}: a pixel {other:?} neither white nor the disc's"),
            }
        }
        let want = f64::from(w.min(h)) * f64::from(DISC_PERCENT) / 100.0;
        for (from, to, side) in [(left, right, w), (top, bottom, h)] {
            let across = f64::from(to - from);
            assert!(
                (across - want).abs() <= 1.0,
                "{w}x{h}: {across} across, want {want}"
            );
            // Centred: as much white before as after, within a pixel.
            assert!(from.abs_diff(side - to) <= 1, "{w}x{h}: not centred");
        }
        // Round, not a square: the corners of its box are white.
        assert_eq!(img.get_pixel(left, top).0, [255, 255, 255]);
        assert_eq!(img.get_pixel(w / 2, h / 2).0, colour);
    }
}
