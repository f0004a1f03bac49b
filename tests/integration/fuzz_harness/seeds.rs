//! The generated seeds of every target: gateway replies of every shape,
//! conversation files, reference images in every format and lie.

use super::*;

pub(super) type Seeds = Vec<(String, Vec<u8>)>;

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
pub(super) fn reply_seeds() -> Seeds {
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
pub(super) fn conversation_seeds() -> Seeds {
    use pixloom::convfile::{ConvFolder, to_json};
    use pixloom::provenance::Provenance;
    use pixloom_core::tree::{Endpoint, ImageOrigin, Outcome, Part, RequestParams, TurnError};
    use time::macros::datetime;

    let doc = include_str!("../../../docs/file-format.md");
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
    // A prompt with a `w`×`h` picture in `format` from `origin`.
    let with_picture = |t: &str, format, (w, h), origin| {
        let image = image(&encoded(format, w, h), origin);
        vec![text(t), Part::Image { image }]
    };
    let gif = ImageOrigin::File {
        path: "~/cat.gif".into(),
    };
    let prompt = with_picture("make it blue", image::ImageFormat::Gif, (6, 4), gif);
    let u1 = conv.reply(prompt, now).unwrap();
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
    let linked = ImageOrigin::Url {
        url: "https://example.com/photo.jpg".into(),
    };
    let prompt = with_picture("now at night", image::ImageFormat::Jpeg, (8, 8), linked);
    let u2 = conv.refine(a[0], prompt, now).unwrap();
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
pub(super) fn image_seeds() -> Seeds {
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
