//! Inputs for the benchmarks, made deterministically (a fixed-seed
//! generator, no downloads, nothing large committed). Shared by the
//! criterion benches, `benches/figures.rs` and `scripts/bench` (through
//! `cargo bench --bench figures -- inputs DIR`).

#![allow(dead_code)] // each bench uses its own part

use std::path::Path;

use base64::Engine as _;
use time::OffsetDateTime;

use pixloom::convfile::ConvFolder;
use pixloom::images::ImageStore;
use pixloom_core::tree::{Conversation, ImageOrigin, ImageRef, Outcome, Part, RequestParams};

pub use pixloom_testkit::pictures::{jpeg, photo, png};

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
        endpoint: pixloom_core::tree::Endpoint::Chat,
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
