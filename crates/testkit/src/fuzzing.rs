//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the stable
//! harness (`tests/integration/fuzz_harness.rs`), so both run the same code.
//!
//! Each takes arbitrary bytes, runs one untrusted input path the way the
//! program does, and panics when an invariant breaks. An `Err` for bad
//! input is the expected outcome; a panic, a hang or an unbounded
//! allocation is a bug. See `docs/fuzzing.md`.

use std::path::Path;

use time::OffsetDateTime;
use time::macros::datetime;

use pixloom::convfile::{from_json, to_json};
use pixloom::images::{
    self, ImageError, ImageStore, MAX_SIDE, UPLOAD_BUDGET_BYTES, accept_result, inspect,
    prepare_upload,
};
use pixloom_core::history::{ImageBudget, build_request};
use pixloom_core::tree::{Conversation, Endpoint, NodeId, Part, RequestParams};
use pixloom_core::wire::{ImagePayload, Reply, error_message, parse_reply};

/// A fixed clock: the bodies must not depend on when they run.
const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

/// A body from the gateway: parsed as a 2xx reply (and as an error body,
/// which the client reads from the same bytes on other statuses). Inline
/// image bytes then go through the result check the engine runs on them.
pub fn gateway_reply(body: &[u8]) {
    match parse_reply(body) {
        Ok(Reply::Images(images)) => {
            assert!(!images.is_empty(), "a reply with no image is not Images");
            for image in &images {
                match image {
                    ImagePayload::Url(url) => {
                        assert!(!url.is_empty(), "an empty image URL");
                        assert_eq!(url.trim(), url, "an image URL with spaces around it");
                    }
                    ImagePayload::Bytes { bytes, .. } => {
                        assert!(!bytes.is_empty(), "an empty inline image");
                        let _ = accept_result(bytes).map_err(|e| e.to_string());
                    }
                }
            }
        }
        Ok(Reply::Refusal(text)) => {
            assert!(!text.is_empty(), "an empty refusal");
            assert_eq!(text.trim(), text, "a refusal with spaces around it");
        }
        Err(e) => assert!(!e.reason.is_empty(), "a malformed reply with no reason"),
    }
    if let Some(message) = error_message(body) {
        assert!(!message.trim().is_empty(), "a blank error message");
    }
}

/// A `conversation.json`: loaded as `ConvFolder::open` and `read_only`
/// load it (checks, then pending → interrupted), saved and loaded back,
/// read the way `show` and the app read it, then given the next turn
/// `send` would add and the retry of a crashed turn, each built into the
/// request that would go out.
pub fn conversation_file(bytes: &[u8]) {
    let path = Path::new("fuzz.pixloom/conversation.json");
    let mut conv = match from_json(bytes, path) {
        Ok(conv) => conv,
        Err(e) => {
            assert!(!e.to_string().is_empty(), "an error with no message");
            return;
        }
    };
    assert_checked(&conv, "a loaded conversation");
    assert_round_trips(&conv, path);

    let interrupted = conv.interrupt_pending();
    assert!(
        conv.pending().is_empty(),
        "a turn is still pending after open"
    );
    assert_checked(&conv, "after marking interrupted turns");
    assert_round_trips(&conv, path);

    read_like_show(&conv);

    send_next_turn(conv.clone());
    if let Some(&first) = interrupted.first() {
        retry_turn(conv, first);
    }
}

fn assert_checked(conv: &Conversation, when: &str) {
    if let Err(broken) = conv.check() {
        panic!("{when} breaks an invariant: {broken}");
    }
}

/// What is saved loads back as the same tree.
fn assert_round_trips(conv: &Conversation, path: &Path) {
    let json = match to_json(conv) {
        Ok(json) => json,
        Err(e) => panic!("a loaded conversation cannot be saved: {e}"),
    };
    match from_json(json.as_bytes(), path) {
        Ok(back) => assert!(back == *conv, "saving and loading changed the tree"),
        Err(e) => panic!("a saved conversation does not load: {e}"),
    }
}

/// The reads `show`, `export` and the app make right after opening.
fn read_like_show(conv: &Conversation) {
    let _ = conv.total_cost_micro_usd();
    let order = conv.preorder();
    assert_eq!(
        order.len(),
        conv.len(),
        "display order skips or repeats nodes"
    );
    let _ = conv.selected_path();
    let store = ImageStore::at("fuzz.pixloom/images");
    for node in conv.nodes.values() {
        let path = conv.path_to(node.id).unwrap_or_default();
        assert_eq!(
            path.last(),
            Some(&node.id),
            "path_to does not end at the node"
        );
        assert!(conv.sibling_position(node.id).is_ok());
        assert!(conv.leaf_below(node.id).is_ok());
        let _ = node.text();
        for image in node.images() {
            for blob in std::iter::once(&image.original).chain(image.upload.as_ref()) {
                // A hand-edited file must not name a file outside images/.
                assert_eq!(
                    store.path(blob).parent(),
                    Some(store.dir()),
                    "{blob:?} leaves images/"
                );
            }
        }
    }
}

/// `pixloom send` on an opened conversation: a user turn under the
/// selected node, a pending answer, and its request.
fn send_next_turn(mut conv: Conversation) {
    let parts = vec![Part::Text {
        text: "fuzz".to_owned(),
    }];
    let Ok(user) = conv.reply(parts, NOW) else {
        return;
    };
    let params = RequestParams {
        endpoint: Endpoint::Chat,
        model: "gpt-image-2-vip".to_owned(),
        size: Default::default(),
    };
    let Ok(ids) = conv.add_pending(user, &params, 1, NOW) else {
        return;
    };
    assert_checked(&conv, "after adding a turn");
    for id in ids {
        assert_request_builds(&conv, id);
    }
}

/// Retrying a turn a crash interrupted, in place.
fn retry_turn(mut conv: Conversation, id: NodeId) {
    if conv.retry(id, None).is_ok() {
        assert_checked(&conv, "after a retry");
        let _ = build_request(&conv, id, ImageBudget::default(), NOW);
    }
}

fn assert_request_builds(conv: &Conversation, id: NodeId) {
    match build_request(conv, id, ImageBudget::default(), NOW) {
        Ok(request) => assert_eq!(request.node, id),
        Err(e) => panic!("a new turn's request does not build: {e}"),
    }
}

/// A reference image as attaching one handles it: recognised from its
/// header, then prepared for upload (the pure half of `import_bytes`; the
/// other half stores the bytes). Also checked as a gateway result.
pub fn reference_image(bytes: &[u8]) {
    let inspected = inspect(bytes);
    if let Ok(info) = accept_result(bytes) {
        assert_eq!(
            inspected.as_ref().ok(),
            Some(&info),
            "result and inspect disagree"
        );
    }
    match prepare_upload(bytes) {
        Ok(prepared) => {
            let Ok(original) = inspected else {
                panic!("prepared what inspect refuses");
            };
            assert_prepared(bytes, &original, &prepared);
        }
        Err(e) => assert_refusal_reads(&e),
    }
}

fn assert_prepared(original: &[u8], info: &images::ImageInfo, prepared: &images::Prepared) {
    let size = prepared.bytes.len();
    assert!(
        size <= UPLOAD_BUDGET_BYTES,
        "prepared upload is {size} bytes"
    );
    assert!(prepared.info.format.is_uploadable(), "{:?}", prepared.info);
    // What is sent is a whole image, described as it really is.
    match accept_result(&prepared.bytes) {
        Ok(sent) => assert_eq!(sent, prepared.info, "prepared info is wrong"),
        Err(e) => panic!("the prepared upload is not a whole image: {e}"),
    }
    if prepared.bytes == original {
        assert_eq!(
            prepared.info, *info,
            "a passed-through image changed its info"
        );
    } else {
        let (w, h) = (prepared.info.width, prepared.info.height);
        assert!(w.max(h) <= MAX_SIDE, "re-encoded at {w}×{h}");
        if let Err(e) = image::load_from_memory(&prepared.bytes) {
            panic!("the re-encoded upload does not decode: {e}");
        }
    }
}

fn assert_refusal_reads(e: &ImageError) {
    assert!(!e.to_string().is_empty(), "an image error with no message");
}
