//! Wire types: every reply shape the gateway documents, as a table of body
//! and outcome; request bodies asserted on their exact JSON; and the
//! example bodies of the vendor's pages (`/work/shared/api-docs`) as fixtures.

use base64::Engine as _;
use proptest::prelude::*;
use rstest::rstest;
use serde_json::json;

use super::*;

/// The image every inline-base64 case carries: a PNG signature and bytes
/// whose base64 holds `+`, `/` and padding.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\xfb\xef\xfe\x00\xfb\xff";
const PNG_B64: &str = "iVBORw0KGgr77/4A+/8=";

/// The reply on one line: `url …`, `bytes MIME` (the bytes must be `PNG`),
/// `refusal …`, or `malformed: …`.
fn show(body: &str) -> String {
    let body = body.replace("B64", PNG_B64);
    match parse_reply(body.as_bytes()) {
        Ok(Reply::Images(images)) => {
            assert_eq!(images.len(), 1, "one image per call");
            match &images[0] {
                ImagePayload::Url(u) => format!("url {u}"),
                ImagePayload::Bytes { mime, bytes } => {
                    assert_eq!(bytes, PNG, "decoded bytes");
                    format!("bytes {}", mime.as_deref().unwrap_or("-"))
                }
            }
        }
        Ok(Reply::Refusal(text)) => format!("refusal {text}"),
        Err(e) => format!("malformed: {}", e.reason),
    }
}

fn chat(content: &str) -> String {
    json!({"id": "chatcmpl-1", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
    ]})
    .to_string()
}

fn chat_parts(parts: serde_json::Value) -> String {
    json!({"choices": [{"message": {"role": "assistant", "content": parts}}]}).to_string()
}

/// Body (`B64` stands for the image's base64) and how it reads.
#[rustfmt::skip]
#[rstest]
// data[0]: url read first, else b64_json with its prefix or bare.
#[case(r#"{"data":[{"url":"https://cdn.test/a.png"}],"created":1}"#, "url https://cdn.test/a.png")]
#[case(r#"{"data":[{"b64_json":"data:image/png;base64,B64"}]}"#, "bytes image/png")]
#[case(r#"{"data":[{"b64_json":"data:image/jpeg;base64,B64"}]}"#, "bytes image/jpeg")]
#[case(r#"{"data":[{"b64_json":"B64"}]}"#, "bytes -")]
#[case(r#"{"data":[{"b64_json":"iVBORw0KGgr77/4A+/8"}]}"#, "bytes -")]
#[case(r#"{"data":[{"b64_json":"iVBORw0KGgr7\n7/4A+/8="}]}"#, "bytes -")]
#[case(r#"{"data":[{"b64_json":" data:image/png;base64,B64\n"}]}"#, "bytes image/png")]
#[case(r#"{"data":[{"url":"https://cdn.test/a.png","b64_json":"data:image/png;base64,B64"}]}"#, "url https://cdn.test/a.png")]
#[case(r#"{"data":[{"url":"https://cdn.test/a.png","b64_json":"not base64"}]}"#, "url https://cdn.test/a.png")]
#[case(r#"{"data":[{"url":"","b64_json":"data:image/png;base64,B64"}]}"#, "bytes image/png")]
#[case(r#"{"data":[{"url":null,"b64_json":"B64"}]}"#, "bytes -")]
#[case(r#"{"data":[{"url":"data:image/webp;base64,B64"}]}"#, "bytes image/webp")]
#[case(r#"{"data":[{"url":"https://cdn.test/a.png"}],"error":null}"#, "url https://cdn.test/a.png")]
// Escaped slashes, in a URL and inside base64.
#[case(r#"{"data":[{"url":"https:\/\/cdn.test\/a.png"}]}"#, "url https://cdn.test/a.png")]
#[case(r#"{"data":[{"b64_json":"data:image\/png;base64,iVBORw0KGgr77\/4A+\/8="}]}"#, "bytes image/png")]
#[case(r#"{"data":[{"url":"https:\u002f\u002fcdn.test\u002fa.png"}]}"#, "url https://cdn.test/a.png")]
// No image in data.
#[case(r#"{"data":[]}"#, "malformed: `data` is empty: no image came back")]
#[case(r#"{"data":[{}]}"#, "malformed: a `data` entry has neither `url` nor `b64_json`")]
#[case(r#"{"data":[{"url":"  ","b64_json":""}]}"#, "malformed: a `data` entry has neither `url` nor `b64_json`")]
#[case(r#"{"data":[{"b64_json":"data:image/png;base64,"}]}"#, "malformed: the base64 image is empty")]
#[case(r#"{"data":[{"b64_json":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA..."}]}"#, "malformed: the base64 image does not decode (Invalid symbol 46, offset 24.)")]
// The older chat shape: the image inside `choices[0].message.content`.
#[case(&chat("![image](https://cdn.test/a.png)"), "url https://cdn.test/a.png")]
#[case(&chat("Here it is:\n\n![image](https://cdn.test/a.png \"title\")\n"), "url https://cdn.test/a.png")]
#[case(&chat("Read [the terms](https://vendor.test/terms). ![result](https://cdn.test/a.png)"), "url https://cdn.test/a.png")]
#[case(&chat("![result](https://files.test/file-abc?sig=1)"), "url https://files.test/file-abc?sig=1")]
#[case(&chat("Done: https://cdn.test/a.png."), "url https://cdn.test/a.png")]
#[case(&chat("See https://vendor.test/help or https://cdn.test/a.PNG?x=1, enjoy"), "url https://cdn.test/a.PNG?x=1")]
#[case(&chat("图片已生成：https://cdn.test/a.png，请查收"), "url https://cdn.test/a.png")]
#[case(&chat("https://files.test/file-abc?sig=1"), "url https://files.test/file-abc?sig=1")]
#[case(&chat("<img src=\"https://cdn.test/a.png\">"), "url https://cdn.test/a.png")]
#[case(&chat(r"https:\/\/cdn.test\/a.png"), "url https://cdn.test/a.png")]
#[case(&chat("![image](data:image/png;base64,B64)"), "bytes image/png")]
#[case(&chat("data:image/png;base64,B64"), "bytes image/png")]
#[case(&chat("Here: data:image/png;base64,B64, enjoy"), "bytes image/png")]
#[case(&chat_parts(json!([{"type": "text", "text": "Here"}, {"type": "image_url", "image_url": {"url": "https://files.test/x"}}])), "url https://files.test/x")]
#[case(&chat_parts(json!([{"type": "image_url", "image_url": {"url": "data:image/png;base64,B64"}}])), "bytes image/png")]
#[case(&chat_parts(json!([{"type": "text", "text": "![a](https://cdn.test/a.png)"}])), "url https://cdn.test/a.png")]
#[case(&chat_parts(json!([{"type": "text", "text": "I can't make that."}])), "refusal I can't make that.")]
// Text and no image: a refusal, links included.
#[case(&chat("I can't do that."), "refusal I can't do that.")]
#[case(&chat("  I can't help with that.\n"), "refusal I can't help with that.")]
#[case(&chat("I can't help with that. See https://vendor.test/policies for details."), "refusal I can't help with that. See https://vendor.test/policies for details.")]
// Nothing usable.
#[case(&chat(""), "malformed: the reply's content is empty: no image and no text")]
#[case(r#"{"choices":[{"message":{"role":"assistant","content":null}}]}"#, "malformed: the reply's content is empty: no image and no text")]
#[case(r#"{"choices":[]}"#, "malformed: `choices` is empty")]
#[case(r#"{"id":"x","object":"chat.completion"}"#, "malformed: neither `data` nor `choices` is present")]
#[case(r#"{"error":{"message":"Invalid size","type":"invalid_request_error"}}"#, "malformed: an error came back with a success status: Invalid size (invalid_request_error)")]
#[case(r#"{"error":"quota exceeded"}"#, "malformed: an error came back with a success status: quota exceeded")]
#[case(r#"{"error":{}}"#, "malformed: an error came back with a success status and no message")]
#[case(r#"{"data":[{"url":"https://cdn.test/a.pn"#, "malformed: the JSON ends early: the reply was cut off after 38 bytes")]
#[case("", "malformed: the body is empty")]
#[case("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>", "malformed: an HTML page came back instead of JSON: 502 Bad Gateway")]
#[case("\n<HTML><BODY><H1>502 Bad Gateway</H1>\n<hr>nginx</BODY></HTML>", "malformed: an HTML page came back instead of JSON: 502 Bad Gateway nginx")]
#[case("upstream connect error", "malformed: not JSON (expected value at line 1 column 1): upstream connect error")]
#[case("[1,2]", "malformed: the reply is JSON but not an object: [1,2]")]
#[case(r#"{"data":5}"#, "malformed: JSON, but not a reply the gateway documents (invalid type: integer `5`, expected a sequence at line 1 column 9)")]
fn reads_every_documented_shape(#[case] body: &str, #[case] want: &str) {
    assert_eq!(show(body), want, "{body}");
}

#[test]
fn a_long_non_json_body_is_quoted_short() {
    let body = format!("<html><body>{}</body></html>", "Bad gateway. ".repeat(50));
    let err = parse_reply(body.as_bytes()).unwrap_err();
    assert!(
        err.reason
            .starts_with("an HTML page came back instead of JSON: Bad gateway.")
    );
    assert!(err.reason.len() < 200, "{}", err.reason);
    assert!(err.reason.ends_with('…'), "{}", err.reason);
}

/// Error bodies (non-2xx) and the message shown.
#[rustfmt::skip]
#[rstest]
#[case(r#"{"error":{"message":"Invalid size","type":"invalid_request_error","param":null,"code":null}}"#, Some("Invalid size (invalid_request_error)"))]
#[case(r#"{"error":{"message":"Invalid size","type":null,"code":"invalid_size"}}"#, Some("Invalid size (invalid_size)"))]
#[case(r#"{"error":{"message":"shell_api_error: upstream","type":"shell_api_error"}}"#, Some("shell_api_error: upstream"))]
#[case(r#"{"error":{"message":"Too many requests","code":429}}"#, Some("Too many requests"))]
#[case(r#"{"error":"quota exceeded"}"#, Some("quota exceeded"))]
#[case(r#"{"message":"Unauthorized"}"#, Some("Unauthorized"))]
#[case(r#"{"error":{"message":""}}"#, None)]
#[case(r#"{"error":"  "}"#, None)]
#[case(r#"{"error":{"code":500}}"#, None)]
#[case(r#"{"status":"bad"}"#, None)]
#[case("<html><body>502 Bad Gateway</body></html>", None)]
#[case("", None)]
fn error_messages(#[case] body: &str, #[case] want: Option<&str>) {
    assert_eq!(error_message(body.as_bytes()).as_deref(), want, "{body}");
}

#[rustfmt::skip]
#[rstest]
#[case("data:image/png;base64,AAAA", Some("image/png"), "AAAA")]
#[case("data:image/jpeg;base64,AAAA", Some("image/jpeg"), "AAAA")]
#[case("data:;base64,AAAA", None, "AAAA")]
#[case("AAAA", None, "AAAA")]
#[case("data:image/png;base64,data:image/png;base64,AAAA", Some("image/png"), "data:image/png;base64,AAAA")]
fn split_data_url_removes_one_prefix(
    #[case] s: &str,
    #[case] mime: Option<&str>,
    #[case] payload: &str,
) {
    assert_eq!(split_data_url(s), (mime, payload));
}

proptest! {
    /// Any bytes, prefixed or bare, come back exactly: never double-decoded.
    #[test]
    fn any_base64_image_decodes_to_its_bytes(bytes in prop::collection::vec(any::<u8>(), 1..300), prefixed in any::<bool>()) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let field = if prefixed { format!("data:image/png;base64,{b64}") } else { b64 };
        let body = json!({"data": [{"b64_json": field}]}).to_string();
        let want = ImagePayload::Bytes { mime: prefixed.then(|| "image/png".to_owned()), bytes };
        prop_assert_eq!(parse_reply(body.as_bytes()), Ok(Reply::Images(vec![want])));
    }

    /// Any body at all: an answer, never a panic.
    #[test]
    fn any_body_parses_without_panicking(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_reply(&body);
        let _ = error_message(&body);
    }

    /// Any cut through a good reply says it was cut off.
    #[test]
    fn a_truncated_reply_says_it_was_cut_off(cut in 1usize..60) {
        let body = r#"{"data":[{"url":"https://cdn.test/a.png"}],"created":1778037331}"#;
        let cut = cut.min(body.len() - 1);
        let err = parse_reply(&body.as_bytes()[..cut]).unwrap_err();
        prop_assert!(err.reason.contains("cut off"), "{}", err.reason);
    }
}

// ----- requests ----------------------------------------------------------------

fn text(t: &str) -> ContentPart {
    ContentPart::Text { text: t.to_owned() }
}

fn image_url(u: &str) -> ContentPart {
    ContentPart::ImageUrl {
        image_url: ImageUrl { url: u.to_owned() },
    }
}

#[test]
fn a_chat_request_serializes_exactly() {
    let req = ChatRequest {
        model: "gpt-image-2-vip",
        messages: vec![
            ChatMessage {
                role: Role::System,
                content: vec![text("be brief")],
            },
            ChatMessage {
                role: Role::User,
                content: vec![text("a cat"), image_url("data:image/png;base64,AAAA")],
            },
            ChatMessage {
                role: Role::Assistant,
                content: vec![image_url("https://cdn.test/r2.png")],
            },
        ],
        size: None,
        stream: false,
    };
    assert_eq!(
        serde_json::to_string(&req).unwrap(),
        concat!(
            r#"{"model":"gpt-image-2-vip","messages":["#,
            r#"{"role":"system","content":[{"type":"text","text":"be brief"}]},"#,
            r#"{"role":"user","content":[{"type":"text","text":"a cat"},"#,
            r#"{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},"#,
            r#"{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"https://cdn.test/r2.png"}}]}"#,
            r#"],"stream":false}"#
        )
    );
    let sized = ChatRequest {
        size: Some("2048x1152".to_owned()),
        ..req
    };
    let v = serde_json::to_value(&sized).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["messages", "model", "size", "stream"]);
    assert_eq!(v["size"], "2048x1152");
    assert_eq!(v["stream"], false);
}

#[test]
fn an_images_request_never_carries_forbidden_fields() {
    let req = GenerationsRequest {
        model: "gpt-image-2-vip",
        prompt: "a cat",
        size: None,
        response_format: "b64_json",
    };
    assert_eq!(
        serde_json::to_string(&req).unwrap(),
        r#"{"model":"gpt-image-2-vip","prompt":"a cat","response_format":"b64_json"}"#
    );
    let fields = EditsFields {
        model: "gpt-image-2-vip".to_owned(),
        prompt: "put image1 in image2".to_owned(),
        size: Some("2048x1360".to_owned()),
        response_format: "url",
    };
    let names: Vec<&str> = fields.pairs().iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["model", "prompt", "size", "response_format"]);
    let no_size = EditsFields {
        size: None,
        ..fields
    };
    assert_eq!(
        no_size.pairs(),
        [
            ("model", "gpt-image-2-vip".to_owned()),
            ("prompt", "put image1 in image2".to_owned()),
            ("response_format", "url".to_owned())
        ]
    );
    assert_eq!(EDITS_IMAGE_FIELD, "image[]");
    for forbidden in ["quality", "n", "aspect_ratio"] {
        assert!(!names.contains(&forbidden));
    }
}

#[test]
fn chat_messages_read_string_or_parts_content() {
    let m: ChatMessage =
        serde_json::from_value(json!({"role": "user", "content": "a cat"})).unwrap();
    assert_eq!(
        m,
        ChatMessage {
            role: Role::User,
            content: vec![text("a cat")]
        }
    );
    let m: ChatMessage = serde_json::from_value(json!({"role": "assistant", "content": [
        {"type": "image_url", "image_url": {"url": "https://cdn.test/a.png"}}
    ]}))
    .unwrap();
    assert_eq!(m.content, [image_url("https://cdn.test/a.png")]);
    assert!(
        serde_json::from_value::<ChatMessage>(json!({"role": "tool", "content": "x"})).is_err()
    );
}

// ----- the vendor's examples ---------------------------------------------------

/// `POST /v1/images/generations`, b64_json mode, as printed (the base64 is
/// cut short with `...` on the page, so it cannot decode), then completed.
const DOC_GENERATIONS_B64: &str = r#"{
  "data": [
    {
      "b64_json": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA..."
    }
  ],
  "created": 1778037127,
  "usage": {
    "input_tokens": 98,
    "output_tokens": 1185,
    "total_tokens": 1283
  }
}"#;

/// The url mode of the generations page and the newer chat page.
const DOC_URL: &str = r#"{
  "data": [
    {
      "url": "https://r2cdn.copilotbase.com/r2cdn2/0e82148a-bec0-4b42-bbca-117c6b42581b.png"
    }
  ],
  "created": 1778037331,
  "usage": {
    "input_tokens": 30,
    "output_tokens": 2074,
    "total_tokens": 2104
  }
}"#;

/// The older chat page: `chat.completion` (its image link was lost from
/// the page, leaving `content` empty).
const DOC_OLDER_CHAT: &str = r#"{
"id": "chatcmpl-abc123",
"object": "chat.completion",
"created": 1702855400,
"model": "gpt-image-2-vip",
"choices": [
{
"index": 0,
"message": {
"role": "assistant",
"content": ""
},
"finish_reason": "stop"
}
],
"usage": {
"prompt_tokens": 25,
"completion_tokens": 150,
"total_tokens": 175
}
}"#;

/// The edits page: both url and b64_json in one entry.
const DOC_EDITS: &str = r#"{
"data": [
{
"url": "https://r2cdn.copilotbase.com/r2cdn2/00aaa9fb-756c-4119-a4a0-4a44fc75152b.png",
"b64_json": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA..."
}
]
}"#;

#[test]
fn the_documented_replies() {
    assert!(show(DOC_GENERATIONS_B64).starts_with("malformed: the base64 image does not decode"));
    let completed = DOC_GENERATIONS_B64.replace("iVBORw0KGgoAAAANSUhEUgAA...", PNG_B64);
    assert_eq!(show(&completed), "bytes image/png");
    assert_eq!(
        show(DOC_URL),
        "url https://r2cdn.copilotbase.com/r2cdn2/0e82148a-bec0-4b42-bbca-117c6b42581b.png"
    );
    assert_eq!(
        show(DOC_OLDER_CHAT),
        "malformed: the reply's content is empty: no image and no text"
    );
    let with_link = DOC_OLDER_CHAT.replace(
        r#""content": """#,
        r#""content": "![image](https:\/\/r2cdn.copilotbase.com\/r2cdn2\/x.png)""#,
    );
    assert_eq!(
        show(&with_link),
        "url https://r2cdn.copilotbase.com/r2cdn2/x.png"
    );
    assert_eq!(
        show(DOC_EDITS),
        "url https://r2cdn.copilotbase.com/r2cdn2/00aaa9fb-756c-4119-a4a0-4a44fc75152b.png"
    );
}

/// The newer chat page's cURL bodies: text-to-image, and a reference edit.
const DOC_CHAT_TEXT_TO_IMAGE: &str = r#"{
    "model": "gpt-image-2-vip",
    "size": "2048x1152",
    "messages": [
      {"role": "user", "content": "Cyberpunk rainy night street, 16:9, neon sign reading Hello World"}
    ]
  }"#;

const DOC_CHAT_REFERENCE_EDIT: &str = r#"{
    "model": "gpt-image-2-vip",
    "messages": [
      {
        "role": "user",
        "content": [
          { "type": "text", "text": "Convert this image into watercolor style" },
          { "type": "image_url", "image_url": { "url": "https://example.com/photo.png" } }
        ]
      }
    ]
  }"#;

/// A documented body read as a request and written back.
fn chat_round_trip(doc: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(doc).unwrap();
    let req = ChatRequest {
        model: v["model"].as_str().unwrap(),
        messages: serde_json::from_value(v["messages"].clone()).unwrap(),
        size: v["size"].as_str().map(str::to_owned),
        stream: false,
    };
    serde_json::to_value(&req).unwrap()
}

/// The same bodies come back, `content` always as parts, `stream` spelled out.
#[test]
fn the_documented_chat_requests_round_trip() {
    let prompt = "Cyberpunk rainy night street, 16:9, neon sign reading Hello World";
    assert_eq!(
        chat_round_trip(DOC_CHAT_TEXT_TO_IMAGE),
        json!({"model": "gpt-image-2-vip", "size": "2048x1152", "stream": false, "messages": [
            {"role": "user", "content": [{"type": "text", "text": prompt}]}
        ]})
    );
    let mut want: serde_json::Value = serde_json::from_str(DOC_CHAT_REFERENCE_EDIT).unwrap();
    want["stream"] = json!(false);
    assert_eq!(chat_round_trip(DOC_CHAT_REFERENCE_EDIT), want);
}

#[test]
fn the_documented_generations_request_round_trips() {
    let doc = json!({
        "model": "gpt-image-2-vip",
        "prompt": "Product shot of a white ceramic mug on a gray desk, soft natural light",
        "size": "2048x1360",
        "response_format": "url"
    });
    let req = GenerationsRequest {
        model: "gpt-image-2-vip",
        prompt: "Product shot of a white ceramic mug on a gray desk, soft natural light",
        size: Some("2048x1360".to_owned()),
        response_format: "url",
    };
    assert_eq!(serde_json::to_value(&req).unwrap(), doc);
}

/// Data URLs decode as browsers decode them (WHATWG forgiving-base64).
#[test]
fn base64_is_read_as_forgivingly_as_browsers_read_it() {
    let hello = Some(b"hello".to_vec());
    let cases: [(&str, Option<Vec<u8>>); 12] = [
        ("aGVsbG8=", hello.clone()),
        ("aGVsbG8", hello.clone()),
        (" aGVs bG8= ", hello.clone()),
        ("aGVs\r\nbG8=\n", hello.clone()),
        ("aGVs\tbG8", hello.clone()),
        ("", Some(Vec::new())),
        ("YR", Some(vec![0x61])),
        ("a", None),
        ("ab=", None),
        ("ab==cd", None),
        ("aGVs_G8-", None),
        ("====", None),
    ];
    for (text, want) in cases {
        assert_eq!(super::forgiving_decode(text), want, "{text:?}");
    }
}
