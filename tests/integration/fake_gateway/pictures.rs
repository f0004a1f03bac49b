//! Pictures and sizes: a new picture per call, seeds repeat, `auto` picks.

use super::*;

/// Three calls (fox, lighthouse, fox again) to a fake with `seed`.
async fn three_pictures(seed: u64) -> Vec<RgbImage> {
    let fake = start(FakeConfig {
        seed,
        ..FakeConfig::default()
    })
    .await;
    let mut out = Vec::new();
    for p in [
        "a red fox in the snow",
        "a lighthouse at dusk",
        "a red fox in the snow",
    ] {
        let a = generate(
            &fake,
            json!({"model": VIP, "prompt": p, "size": "1280x720"}),
        )
        .await;
        out.push(image_of(&a).await.to_rgb8());
    }
    out
}

/// As the real gateway: every call draws a new picture, the same prompt
/// included (variants differ), and different prompts look clearly
/// different; a seed repeats the whole sequence exactly.
#[tokio::test]
async fn every_call_draws_a_new_picture_and_a_seed_repeats_the_sequence() {
    let run = three_pictures(0).await;
    let (a, b, a2) = (&run[0], &run[1], &run[2]);
    assert_ne!(a, a2, "the same prompt twice drew the same picture");
    let per_channel = pixloom_fake::mean_abs_difference(a, b);
    assert!(per_channel > 20, "mean abs difference {per_channel}");
    assert_eq!(
        three_pictures(0).await,
        run,
        "the same seed, other pictures"
    );
    assert_ne!(
        three_pictures(1).await[0],
        run[0],
        "another seed, the same picture"
    );
}

#[tokio::test]
async fn auto_and_the_all_model_pick_sizes_from_the_prompt() {
    let fake = fake().await;
    let dims = |body: Value| {
        let fake = &fake;
        async move { image_of(&generate(fake, body).await).await.dimensions() }
    };
    let (w, h) = dims(json!({"model": VIP, "prompt": "a harbour", "size": "auto"})).await;
    let s = pixloom_core::size::Size::lookup(w, h).expect("auto gives a table size");
    assert_ne!(s.tier, pixloom_core::size::Tier::Detail4K);
    assert_eq!(
        dims(json!({"model": VIP, "prompt": "a harbour"})).await,
        (w, h),
        "auto is deterministic"
    );
    assert_eq!(
        dims(json!({"model": ALL, "prompt": "a cat\n\n(Output size: 1280x720 pixels, aspect ratio 16:9.)"})).await,
        (1280, 720)
    );
    assert_eq!(
        dims(json!({"model": ALL, "prompt": "a cat"})).await,
        (1280, 1280)
    );
}

/// `[fake:disc=RRGGBB]` over HTTP: the picture is the known one (white and
/// exactly that colour, the colour in the middle, white in the corners) at
/// the size asked, also when the request carries a reference image (a
/// refinement), which would otherwise tint and reshape the result.
#[tokio::test]
async fn a_disc_directive_answers_the_known_picture_at_the_size_asked() {
    let fake = fake().await;
    let reference = RgbImage::from_pixel(64, 64, Rgb([10, 200, 30]));
    let data_url = data_url("image/png", &png_of(&reference));
    let with_reference = json!({"model": VIP, "size": "1280x720", "messages": [{"role": "user",
        "content": [{"type": "text", "text": "make it [fake:disc=5f00d7]"},
                    {"type": "image_url", "image_url": {"url": data_url}}]}]});
    for (body, colour) in [
        (
            sized_chat("one [fake:disc=d7005f]", "1280x848"),
            [0xd7, 0x00, 0x5f],
        ),
        (with_reference, [0x5f, 0x00, 0xd7]),
    ] {
        let size = body["size"].as_str().unwrap().to_owned();
        let img = image_of(&chat(&fake, body).await).await.to_rgb8();
        assert_eq!(format!("{}x{}", img.width(), img.height()), size);
        assert!(
            img.pixels()
                .all(|p| p.0 == colour || p.0 == [255, 255, 255]),
            "{size}: a pixel neither white nor the disc's colour"
        );
        let (w, h) = img.dimensions();
        assert_eq!(img.get_pixel(w / 2, h / 2).0, colour);
        assert_eq!(img.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(img.get_pixel(w - 1, h - 1).0, [255, 255, 255]);
    }
}
