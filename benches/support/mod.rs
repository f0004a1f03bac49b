//! Inputs for the benchmarks, made deterministically (a fixed-seed
//! generator, no downloads, nothing large committed). Shared by the
//! criterion benches, `benches/figures.rs` and `scripts/bench` (through
//! `cargo bench --bench figures -- inputs DIR`).

#![allow(dead_code)] // each bench uses its own part

use std::path::Path;

use base64::Engine as _;
use image::{ImageEncoder, RgbImage};
use time::OffsetDateTime;

use pixloom::convfile::ConvFolder;
use pixloom::core::tree::{Conversation, ImageOrigin, ImageRef, Outcome, Part, RequestParams};
use pixloom::images::ImageStore;

/// xorshift64*: small, fast and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A photo-like picture: smooth colour fields plus grain. `grain` sets
/// how well it compresses (the 4K result is tuned to the issue's 17 MB
/// base64 response; the 24 MP photo to ~10 MB of JPEG).
pub fn photo(width: u32, height: u32, grain: u8, seed: u64) -> RgbImage {
    let mut rng = Rng::new(seed);
    let (w, h) = (width as f32, height as f32);
    let mut img = RgbImage::new(width, height);
    let grain = u64::from(grain.max(1));
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (fx, fy) = (x as f32 / w, y as f32 / h);
        let r = 0.5 + 0.5 * (fx * 6.3 + fy * 2.1).sin();
        let g = 0.5 + 0.5 * (fy * 5.1 - fx * 1.7).cos();
        let b = 0.5 + 0.5 * ((fx + fy) * 3.7).sin();
        let noise = rng.next_u64();
        let n = |shift: u32| ((noise >> shift) % grain) as f32 - grain as f32 / 2.0;
        let c = |v: f32, k: f32| (v * 200.0 + 28.0 + k).clamp(0.0, 255.0) as u8;
        *px = image::Rgb([c(r, n(0)), c(g, n(16)), c(b, n(32))]);
    }
    img
}

pub fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Sub,
    )
    .write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )
    .expect("PNG encodes");
    out
}

pub fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let width = u16::try_from(img.width()).expect("JPEG width");
    let height = u16::try_from(img.height()).expect("JPEG height");
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(img.as_raw(), width, height, jpeg_encoder::ColorType::Rgb)
        .expect("JPEG encodes");
    out
}

/// The encoding of `make(grain)` whose size is closest to `target` bytes
/// (size grows with grain; a bisection, so a handful of encodes).
fn tuned(target: usize, make: impl Fn(u8) -> Vec<u8>) -> Vec<u8> {
    let (mut lo, mut hi) = (1u8, 128u8);
    let mut best = make(lo);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let out = make(mid);
        if out.len().abs_diff(target) < best.len().abs_diff(target) {
            best = out.clone();
        }
        if out.len() < target {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    best
}

/// The 3840×2160 result as the gateway returns it: a PNG of ~12.7 MB,
/// which is the issue's 17 MB once in base64.
pub fn result_4k_png() -> Vec<u8> {
    tuned(12_750_000, |grain| png(&photo(3840, 2160, grain, 4)))
}

pub fn b64_json_response(png: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(png);
    format!(
        r#"{{"created":1763900000,"data":[{{"b64_json":"{b64}","revised_prompt":"a lighthouse at dusk"}}],"usage":{{"total_tokens":0}}}}"#
    )
    .into_bytes()
}

/// The 6000×4000 camera photo used as a reference (~10 MB of JPEG).
pub fn photo_24mp_jpeg() -> Vec<u8> {
    tuned(10_000_000, |grain| jpeg(&photo(6000, 4000, grain, 24), 92))
}

/// Turns in the big conversation, and how many of them carry a 4K image.
pub const BIG_TURNS: usize = 1000;
pub const BIG_IMAGES: usize = 200;

/// A saved conversation of [`BIG_TURNS`] turns (user and assistant
/// alternating, branching every so often) with [`BIG_IMAGES`] distinct
/// 3840×2160 PNG results, at `dir` (a `.pixloom` folder).
pub fn big_conversation(dir: &Path) {
    let now = OffsetDateTime::from_unix_timestamp(1_763_900_000).expect("time");
    let (folder, mut conv): (ConvFolder, Conversation) =
        ConvFolder::create(dir, "lighthouse", now).expect("new conversation folder");
    let store = ImageStore::open(dir.join("images")).expect("image store");
    // One picture, made distinct per turn by a stamped corner, so the
    // 200 files differ without generating 200 pictures from scratch.
    // Light grain: ~3 MB per PNG, like a generated picture (not a photo).
    let base = photo(3840, 2160, 2, 7);
    let params: RequestParams = RequestParams {
        endpoint: pixloom::core::tree::Endpoint::Chat,
        model: "gpt-image-2-vip".to_owned(),
        size: "3840x2160".parse().expect("size"),
    };
    let mut images = 0usize;
    let mut last_assistant = None;
    let pairs = BIG_TURNS / 2;
    for i in 0..pairs {
        let text = format!(
            "turn {i}: a lighthouse on a cliff at dusk, waves below, warm light in the lamp room, {} gulls",
            i % 17
        );
        let parts = vec![Part::Text { text }];
        // Every 25th pair branches from an earlier assistant turn.
        let user = match last_assistant {
            Some(a) if i % 25 != 0 => conv.refine(a, parts, now),
            _ => conv.add_user(None, parts, now),
        }
        .expect("user turn");
        let id = conv.add_pending(user, &params, 1, now).expect("pending")[0];
        let outcome = Outcome {
            request_id: Some(format!("req-{i:04}")),
            latency_ms: Some(40_000 + i as u64),
            cost_micro_usd: 30_000,
            attempts: 1,
        };
        // Images spread evenly over the whole conversation (the last
        // turns, shown first, have some).
        if (i * BIG_IMAGES) % pairs < BIG_IMAGES {
            let mut img = base.clone();
            for (k, px) in img.pixels_mut().take(4096).enumerate() {
                px.0 = [(i % 251) as u8, (k % 256) as u8, (images % 256) as u8];
            }
            let blob = store.keep_result(&png(&img)).expect("stored");
            let image = ImageRef {
                original: blob,
                upload: None,
                upload_seal: None,
                origin: ImageOrigin::Result,
                remote: None,
            };
            conv.complete(id, image, outcome).expect("complete");
            images += 1;
        } else {
            conv.refuse(id, "I can't draw that one.".to_owned(), outcome)
                .expect("refuse");
        }
        last_assistant = Some(id);
    }
    folder.save(&conv).expect("saved");
}
