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
    let diff: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    let per_channel = diff / a.as_raw().len() as u64;
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
