//! The fuzz targets' bodies (`pixloom_testkit::fuzzing`) on stable Rust, for CI:
//! every committed seed in `fuzz/corpus/<target>/`, then proptest-driven
//! mutations of the seeds (bit flips, truncation, splices, inserted and
//! random bytes). A body panics when an invariant breaks, so any panic
//! fails the test. Coverage-guided fuzzing is `scripts/fuzz` (nightly
//! libFuzzer); see docs/fuzzing.md.
//!
//! The seeds are generated: `cargo test --test integration -- --ignored
//! fuzz_harness::write_seed_corpus` rewrites the `seed-*` files (regression inputs
//! found by fuzzing are `regress-*`, kept by hand).
#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};

use pixloom_testkit::fuzzing;

/// A fuzz target: its name (the corpus folder and the cargo-fuzz binary)
/// and its body.
struct Target {
    name: &'static str,
    body: fn(&[u8]),
    /// Mutated inputs per run: the whole file stays well under 20 s in a
    /// debug build on two cores.
    cases: u32,
}

const GATEWAY_REPLY: Target = Target {
    name: "gateway_reply",
    body: fuzzing::gateway_reply,
    cases: 3000,
};
const CONVERSATION_FILE: Target = Target {
    name: "conversation_file",
    body: fuzzing::conversation_file,
    cases: 1000,
};
const REFERENCE_IMAGE: Target = Target {
    name: "reference_image",
    body: fuzzing::reference_image,
    cases: 400,
};
const TARGETS: [&Target; 3] = [&GATEWAY_REPLY, &CONVERSATION_FILE, &REFERENCE_IMAGE];

/// A seed corpus stays small enough to commit.
const MAX_CORPUS_BYTES: u64 = 100 * 1024;

fn corpus_dir(target: &Target) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target.name)
}

/// The target's seeds, sorted by name.
fn seeds(target: &Target) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Runs `body` on `input`; a panic comes back as its message.
fn run(body: fn(&[u8]), input: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| body(input))).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}

fn every_seed_passes(target: &Target) {
    let seeds = seeds(target);
    assert!(
        seeds.len() >= 5,
        "{}: only {} seeds",
        target.name,
        seeds.len()
    );
    let total: u64 = seeds.iter().map(|(_, b)| b.len() as u64).sum();
    assert!(
        total <= MAX_CORPUS_BYTES,
        "{}: {total} bytes of seeds",
        target.name
    );
    let failures: Vec<String> = seeds
        .iter()
        .filter_map(|(name, bytes)| {
            run(target.body, bytes)
                .err()
                .map(|why| format!("{name}: {why}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{}: seeds that break an invariant:\n{}",
        target.name,
        failures.join("\n")
    );
}

#[test]
fn every_gateway_reply_seed_passes() {
    every_seed_passes(&GATEWAY_REPLY);
}

#[test]
fn every_conversation_file_seed_passes() {
    every_seed_passes(&CONVERSATION_FILE);
}

#[test]
fn every_reference_image_seed_passes() {
    every_seed_passes(&REFERENCE_IMAGE);
}

// ----- mutations -------------------------------------------------------------

/// One edit to an input, positions taken modulo its length.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(Index, u8),
    SetByte(Index, u8),
    /// A boundary number written big-endian (sizes, lengths, counts).
    SetWord(Index, u32),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
    /// A slice of another seed put in at a position.
    Splice {
        at: Index,
        donor: Index,
        from: Index,
        len: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let word = prop_oneof![
        Just(0u32),
        Just(1),
        Just(0x7f),
        Just(0xff),
        Just(0xffff),
        Just(0x7fff_ffff),
        Just(u32::MAX),
        Just(100_000),
        any::<u32>(),
    ];
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, v)| Mutation::SetByte(i, v)),
        (any::<Index>(), word).prop_map(|(i, w)| Mutation::SetWord(i, w)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::Remove(i, n)),
        (any::<Index>(), any::<Index>(), any::<Index>(), 1usize..256).prop_map(
            |(at, donor, from, len)| Mutation::Splice {
                at,
                donor,
                from,
                len
            }
        ),
    ]
}

/// A position in `0..=len`.
fn pos(i: &Index, len: usize) -> usize {
    i.index(len + 1)
}

fn apply(input: &mut Vec<u8>, m: &Mutation, seeds: &[(String, Vec<u8>)]) {
    let len = input.len();
    match m {
        Mutation::FlipBit(i, bit) if len > 0 => input[i.index(len)] ^= 1 << bit,
        Mutation::SetByte(i, v) if len > 0 => input[i.index(len)] = *v,
        Mutation::SetWord(i, w) => {
            let at = pos(i, len.saturating_sub(4));
            let end = (at + 4).min(len);
            input.splice(at..end, w.to_be_bytes());
        }
        Mutation::Truncate(i) => input.truncate(pos(i, len)),
        Mutation::Insert(i, bytes) => {
            let at = pos(i, len);
            input.splice(at..at, bytes.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let at = pos(i, len);
            input.drain(at..(at + n).min(len));
        }
        Mutation::Splice {
            at,
            donor,
            from,
            len: n,
        } => {
            let donor = &seeds[donor.index(seeds.len())].1;
            let start = pos(from, donor.len());
            let piece = &donor[start..(start + n).min(donor.len())];
            let at = pos(at, len);
            input.splice(at..at, piece.iter().copied());
        }
        _ => {}
    }
}

/// A seed with a few mutations applied, or (one time in ten) random bytes.
fn mutated_input(seeds: &[(String, Vec<u8>)]) -> impl Strategy<Value = Vec<u8>> + '_ {
    let edited =
        (any::<Index>(), prop::collection::vec(mutation(), 1..6)).prop_map(move |(pick, edits)| {
            let mut input = seeds[pick.index(seeds.len())].1.clone();
            for m in &edits {
                apply(&mut input, m, seeds);
            }
            input
        });
    prop_oneof![
        9 => edited,
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

fn mutations_pass(target: &Target) {
    let seeds = seeds(target);
    let config = Config {
        cases: target.cases,
        // A failure is minimised and printed; keep it as a `regress-*`
        // seed rather than in a proptest-regressions file.
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&mutated_input(&seeds), |input| {
        run(target.body, &input).map_err(TestCaseError::fail)
    });
    if let Err(e) = outcome {
        panic!("{}: {e}", target.name);
    }
}

#[test]
fn mutated_gateway_replies_pass() {
    mutations_pass(&GATEWAY_REPLY);
}

#[test]
fn mutated_conversation_files_pass() {
    mutations_pass(&CONVERSATION_FILE);
}

#[test]
fn mutated_reference_images_pass() {
    mutations_pass(&REFERENCE_IMAGE);
}

#[test]
fn the_harness_catches_a_panicking_body() {
    fn broken(input: &[u8]) {
        assert!(input.len() < 3, "an invariant broke");
    }
    let target = Target {
        name: "gateway_reply",
        body: broken,
        cases: 50,
    };
    let caught = catch_unwind(AssertUnwindSafe(|| mutations_pass(&target)));
    assert!(caught.is_err(), "a panicking body passed");
    assert_eq!(run(broken, b"abcd").unwrap_err(), "an invariant broke");
}

// ----- the seed corpus -------------------------------------------------------

/// Rewrites the generated seeds (`seed-*`) of every target.
#[test]
#[ignore = "writes fuzz/corpus; run by hand when the seeds should change"]
fn write_seed_corpus() {
    for (target, files) in [
        (&GATEWAY_REPLY, reply_seeds()),
        (&CONVERSATION_FILE, conversation_seeds()),
        (&REFERENCE_IMAGE, image_seeds()),
    ] {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
            {
                std::fs::remove_file(path).unwrap();
            }
        }
        for (name, bytes) in files {
            std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
        }
    }
    for target in TARGETS {
        every_seed_passes(target);
    }
}

type Seeds = Vec<(String, Vec<u8>)>;

/// A small real PNG, base64, for the inline shapes.
fn png_b64() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(encoded(image::ImageFormat::Png, 4, 3))
}

fn chat(content: &serde_json::Value) -> String {
    serde_json::json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1702855400,
        "model": "gpt-image-2-vip",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 25, "completion_tokens": 150, "total_tokens": 175}
    })
    .to_string()
}

fn data(entry: &serde_json::Value) -> String {
    serde_json::json!({
        "data": [entry],
        "created": 1778037331,
        "usage": {"input_tokens": 30, "output_tokens": 2074, "total_tokens": 2104}
    })
    .to_string()
}

/// Every reply shape in /work/shared/API-NOTES.md and the gateway's pages,
/// the fake gateway's shapes, and the failures the client must read.
fn reply_seeds() -> Seeds {
    use serde_json::json;
    let b64 = png_b64();
    let prefixed = format!("data:image/png;base64,{b64}");
    let url = "https://r2cdn.copilotbase.com/r2cdn2/0e82148a-bec0-4b42-bbca-117c6b42581b.png";
    let mut wrapped = String::new();
    for (i, c) in b64.chars().enumerate() {
        if i > 0 && i % 76 == 0 {
            wrapped.push('\n');
        }
        wrapped.push(c);
    }
    let seeds: Vec<(&str, String)> = vec![
        ("data-url.json", data(&json!({"url": url}))),
        ("data-b64-prefixed.json", data(&json!({"b64_json": prefixed}))),
        ("data-b64-bare.json", data(&json!({"b64_json": b64}))),
        (
            "data-b64-wrapped-unpadded.json",
            data(&json!({"b64_json": wrapped.trim_end_matches('=')})),
        ),
        (
            "data-both.json",
            data(&json!({"url": url, "b64_json": prefixed})),
        ),
        (
            "data-url-is-data-url.json",
            data(&json!({"url": format!("data:image/webp;base64,{b64}")})),
        ),
        (
            "data-escaped-slashes.json",
            r#"{"data":[{"url":"https:\/\/cdn.test\/a.png"}]}"#.to_owned(),
        ),
        (
            "data-two-entries.json",
            format!(r#"{{"data":[{{"url":"{url}"}},{{"b64_json":"{b64}"}}]}}"#),
        ),
        ("data-empty.json", r#"{"data":[]}"#.to_owned()),
        ("data-entry-empty.json", r#"{"data":[{}]}"#.to_owned()),
        (
            "chat-markdown.json",
            chat(&json!(format!("Here it is:\n\n![image]({url} \"title\")\n"))),
        ),
        (
            "chat-bare-url.json",
            chat(&json!(format!("图片已生成：{url}，请查收"))),
        ),
        ("chat-data-url.json", chat(&json!(prefixed))),
        (
            "chat-data-url-in-text.json",
            chat(&json!(format!("Here: {prefixed}, enjoy"))),
        ),
        (
            "chat-parts.json",
            chat(&json!([{"type": "text", "text": "Here"}, {"type": "image_url", "image_url": {"url": url}}])),
        ),
        (
            "chat-parts-text-only.json",
            chat(&json!([{"type": "text", "text": "![a](https://cdn.test/a.png)"}])),
        ),
        (
            "chat-refusal.json",
            chat(&json!("I can't help with that. See https://vendor.test/policies for details.")),
        ),
        ("chat-empty-content.json", chat(&json!(""))),
        ("chat-null-content.json", chat(&json!(null))),
        ("chat-no-choices.json", r#"{"choices":[]}"#.to_owned()),
        (
            "error-object.json",
            r#"{"error":{"message":"Invalid size","type":"invalid_request_error","param":null,"code":null}}"#.to_owned(),
        ),
        ("error-string.json", r#"{"error":"quota exceeded"}"#.to_owned()),
        ("message-only.json", r#"{"message":"Unauthorized"}"#.to_owned()),
        (
            "html-502.html",
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n".to_owned(),
        ),
        (
            "truncated.json",
            data(&json!({"b64_json": prefixed}))[..60].to_owned(),
        ),
        ("not-an-object.json", r#"["data"]"#.to_owned()),
    ];
    seeds
        .into_iter()
        .map(|(name, body)| (name.to_owned(), body.into_bytes()))
        .collect()
}

/// The documented example, files built by the tree's own operations
/// (branches, every status, every image origin), and refusals.
fn conversation_seeds() -> Seeds {
    use pixloom::convfile::{ConvFolder, to_json};
    use pixloom::provenance::Provenance;
    use pixloom_core::tree::{Endpoint, ImageOrigin, Outcome, Part, RequestParams, TurnError};
    use time::macros::datetime;

    let doc = include_str!("../../docs/file-format.md");
    let example = doc
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    let now = datetime!(2026-11-23 12:00 UTC);
    let tmp = tempfile::tempdir().unwrap();
    let (folder, mut conv) = ConvFolder::create(tmp.path().join("c.pixloom"), "cats", now).unwrap();
    let empty = to_json(&conv).unwrap();

    let image =
        |bytes: &[u8], origin| pixloom::images::import_bytes(bytes, origin, &folder.store).unwrap();
    let chat = RequestParams {
        endpoint: Endpoint::Chat,
        model: "gpt-image-2-vip".into(),
        size: "2048x1152".parse().unwrap(),
    };
    let images = RequestParams {
        endpoint: Endpoint::Images,
        model: "gpt-image-2-all".into(),
        size: Default::default(),
    };
    let outcome = |cost| Outcome {
        request_id: Some("req-1".into()),
        latency_ms: Some(42_000),
        cost_micro_usd: cost,
        attempts: 1,
    };
    let text = |t: &str| Part::Text { text: t.into() };

    conv.add_system("be brief".into(), now).unwrap();
    let attached = image(
        &encoded(image::ImageFormat::Gif, 6, 4),
        ImageOrigin::File {
            path: "~/cat.gif".into(),
        },
    );
    let u1 = conv
        .reply(
            vec![text("make it blue"), Part::Image { image: attached }],
            now,
        )
        .unwrap();
    let a = conv.add_pending(u1, &chat, 3, now).unwrap();
    let mut result = image(&encoded(image::ImageFormat::Png, 5, 5), ImageOrigin::Result);
    result.remote = Some(Provenance::installation().remote(
        &result.original.sha256,
        "https://cdn.example/r.png".into(),
        datetime!(2026-11-24 12:00 UTC),
    ));
    conv.complete(a[0], result, outcome(30_000)).unwrap();
    conv.refuse(a[1], "I can't do that.".into(), outcome(30_000))
        .unwrap();
    conv.fail(
        a[2],
        TurnError {
            message: "the gateway answered HTTP 500; retry, or drop to 2K".into(),
            http_status: Some(500),
            may_have_been_billed: false,
            raw_body: Some(r#"{"error":{"message":"upstream error"}}"#.into()),
        },
        outcome(0),
    )
    .unwrap();
    conv.toggle_star(a[0]).unwrap();
    conv.set_label(u1, Some("first try".into())).unwrap();
    let linked = image(
        &encoded(image::ImageFormat::Jpeg, 8, 8),
        ImageOrigin::Url {
            url: "https://example.com/photo.jpg".into(),
        },
    );
    let u2 = conv
        .refine(
            a[0],
            vec![text("now at night"), Part::Image { image: linked }],
            now,
        )
        .unwrap();
    let b = conv.add_pending(u2, &images, 2, now).unwrap();
    conv.cancel(b[1]).unwrap();
    conv.select(a[1]).unwrap();
    let branched_pending = to_json(&conv).unwrap();
    conv.interrupt_pending();
    let interrupted = to_json(&conv).unwrap();

    let seeds: Vec<(&str, String)> = vec![
        ("doc-example.json", example.to_owned()),
        ("empty.json", empty),
        ("branched-pending.json", branched_pending.clone()),
        ("interrupted.json", interrupted),
        (
            "newer-format.json",
            example.replace("pixloom/1", "pixloom/2"),
        ),
        (
            "inconsistent-next-id.json",
            example.replace("\"next_id\": 4", "\"next_id\": 2"),
        ),
        (
            "truncated.json",
            branched_pending[..branched_pending.len() / 2].to_owned(),
        ),
    ];
    seeds
        .into_iter()
        .map(|(name, body)| (name.to_owned(), body.into_bytes()))
        .collect()
}

/// A `w`×`h` picture with some structure, encoded as `format`.
fn encoded(format: image::ImageFormat, w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 40) as u8, (y * 60) as u8, ((x + y) * 20) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// A PNG chunk with its CRC.
fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = 0xffff_ffffu32;
    for &b in kind.iter().chain(data) {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
    out
}

/// A PNG whose header claims `w`×`h` (RGB, 8 bit) around a few bytes of
/// compressed data: a decompression bomb, or simply a lie.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &ihdr));
    // zlib: a stored block of a few zero bytes.
    out.extend(png_chunk(
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x04, 0x00, 0xfb, 0xff, 0, 0, 0, 0, 0, 0x04, 0x00, 0x01,
        ],
    ));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// A GIF whose screen claims `w`×`h` around one 1×1 frame.
fn gif_claiming(w: u16, h: u16) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&w.to_le_bytes());
    out.extend_from_slice(&h.to_le_bytes());
    // Global colour table of 2 entries, black and white.
    out.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff]);
    // Image descriptor at 0,0, 1×1; LZW min code size 2; one pixel.
    out.extend_from_slice(&[0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
    out.extend_from_slice(&[0x02, 0x02, 0x44, 0x01, 0x00, 0x3b]);
    out
}

/// A baseline JPEG whose frame header says `w`×`h`.
fn jpeg_claiming(w: u16, h: u16) -> Vec<u8> {
    let mut jpeg = encoded(image::ImageFormat::Jpeg, 8, 8);
    let sof = jpeg.windows(2).position(|p| p == [0xff, 0xc0]).unwrap();
    jpeg[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    jpeg
}

/// A JPEG with an EXIF APP1 segment giving `orientation`.
fn jpeg_with_orientation(orientation: u8) -> Vec<u8> {
    let jpeg = encoded(image::ImageFormat::Jpeg, 6, 4);
    let tiff: [u8; 26] = [
        b'M',
        b'M',
        0,
        42,
        0,
        0,
        0,
        8, // header, IFD at 8
        0,
        1, // one entry
        0x01,
        0x12,
        0,
        3,
        0,
        0,
        0,
        1,
        0,
        orientation,
        0,
        0, // Orientation, SHORT, 1
        0,
        0,
        0,
        0, // no next IFD
    ];
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Small images of every format read, the paths preparation takes
/// (passed through, converted, rotated, shrunk, kept transparent), and
/// headers that lie.
fn image_seeds() -> Seeds {
    use image::ImageFormat as F;
    let png = encoded(F::Png, 8, 6);
    let jpeg = encoded(F::Jpeg, 16, 16);
    let webp = encoded(F::WebP, 8, 6);
    let transparent = {
        let img =
            image::RgbaImage::from_fn(6, 6, |x, y| image::Rgba([200, 10, 10, (x * y * 7) as u8]));
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgba8(img)
            .write_to(&mut out, F::Bmp)
            .unwrap();
        out.into_inner()
    };
    vec![
        ("tiny.png".into(), png.clone()),
        ("tiny.jpg".into(), jpeg.clone()),
        ("tiny.webp".into(), webp.clone()),
        ("tiny.gif".into(), encoded(F::Gif, 8, 6)),
        ("tiny.bmp".into(), encoded(F::Bmp, 8, 6)),
        ("tiny.tiff".into(), encoded(F::Tiff, 8, 6)),
        ("transparent.bmp".into(), transparent),
        ("rotated-exif-6.jpg".into(), jpeg_with_orientation(6)),
        // Longer than MAX_SIDE: preparation shrinks it.
        ("wide-3000x2.gif".into(), encoded(F::Gif, 3000, 2)),
        (
            "claims-100000x100000.png".into(),
            png_claiming(100_000, 100_000),
        ),
        (
            "claims-10000x10000.png".into(),
            png_claiming(10_000, 10_000),
        ),
        ("claims-4000x4000.gif".into(), gif_claiming(4000, 4000)),
        ("claims-65535x65535.jpg".into(), jpeg_claiming(65535, 65535)),
        ("truncated.png".into(), png[..png.len() - 20].to_vec()),
        ("truncated.jpg".into(), jpeg[..jpeg.len() / 2].to_vec()),
        ("truncated.webp".into(), webp[..webp.len() - 8].to_vec()),
        (
            "heic-header.heic".into(),
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec(),
        ),
        (
            "page.html".into(),
            b"<!doctype html><html><head><title>Not found</title></head></html>".to_vec(),
        ),
    ]
}
