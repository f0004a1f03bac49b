//! Whole turns through the engine against the fake gateway: what the
//! history carries, what each endpoint receives, and that results are
//! stored before a turn is done.
#![allow(clippy::unwrap_used)]

use crate::common;

use pixloom::convfile::ConvFolder;
use pixloom::engine::Engine;
use pixloom::images;
use pixloom_core::size::{SIZES, SizeSpec};
use pixloom_core::tree::{Conversation, Endpoint, ImageRef, NodeId, Part, RequestParams, Status};
use pixloom_fake::FakeGateway;
use serde_json::Value;
use time::OffsetDateTime;

mod received;

struct Rig {
    gw: FakeGateway,
    engine: Engine,
    folder: ConvFolder,
    conv: Conversation,
    _dir: tempfile::TempDir,
}

async fn rig(budget: usize) -> Rig {
    let (gw, engine) = common::fake_with_engine(budget).await;
    let dir = tempfile::tempdir().unwrap();
    let (folder, conv) =
        ConvFolder::create(dir.path().join("t.pixloom"), "t", OffsetDateTime::now_utc()).unwrap();
    Rig {
        gw,
        engine,
        folder,
        conv,
        _dir: dir,
    }
}

/// A rig whose first turn, a chat "a red fox" at 1280x720, is done: the
/// rig, the turn's parameters and its assistant node.
async fn after_a_red_fox() -> (Rig, RequestParams, NodeId) {
    let mut r = rig(4).await;
    let p = params(Endpoint::Chat, "1280x720");
    let a1 = r.turn(None, text("a red fox"), &p).await;
    (r, p, a1)
}

fn params(endpoint: Endpoint, size: &str) -> RequestParams {
    RequestParams {
        endpoint,
        model: "gpt-image-2-vip".into(),
        size: size.parse().unwrap(),
    }
}

impl Rig {
    /// Adds a user turn under `parent` and runs one assistant turn for it.
    async fn turn(
        &mut self,
        parent: Option<NodeId>,
        parts: Vec<Part>,
        p: &RequestParams,
    ) -> NodeId {
        let now = OffsetDateTime::now_utc();
        let user = self.conv.add_user(parent, parts, now).unwrap();
        let id = self.conv.add_pending(user, p, 1, now).unwrap()[0];
        self.folder.save(&self.conv).unwrap();
        let req = self.engine.plan(&self.conv, id).unwrap();
        let report = self.engine.run(self.folder.store.clone(), req).await;
        report.apply(&mut self.conv).unwrap();
        self.folder.save(&self.conv).unwrap();
        id
    }

    /// The first image of a turn.
    fn image(&self, id: NodeId) -> ImageRef {
        self.conv.node(id).unwrap().images().next().unwrap().clone()
    }

    /// The gateway URL of a finished turn's image.
    fn result_url(&self, id: NodeId) -> String {
        self.image(id).remote.unwrap().url
    }

    fn last_json(&self) -> Value {
        self.gw.requests().last().unwrap().json.clone().unwrap()
    }
}

fn text(t: &str) -> Vec<Part> {
    vec![Part::Text { text: t.into() }]
}

/// The length of a string the fake recorded: long ones (data URLs) are
/// kept as `head…[N chars, sha256 …]`.
fn recorded_len(s: &str) -> usize {
    s.rsplit_once("…[")
        .and_then(|(_, tail)| tail.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(s.len())
}

fn image_urls(msg: &Value) -> Vec<String> {
    msg["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            p.pointer("/image_url/url")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn refinement_sends_the_earlier_image_and_never_a_sibling() {
    let (mut r, p, a1) = after_a_red_fox().await;
    assert_eq!(r.conv.node(a1).unwrap().status(), Some(Status::Done));
    // A sibling branch under the first user turn.
    let u1 = r.conv.node(a1).unwrap().parent.unwrap();
    let sib = r
        .conv
        .regenerate(a1, None, OffsetDateTime::now_utc())
        .unwrap();
    let req = r.engine.plan(&r.conv, sib).unwrap();
    let report = r.engine.run(r.folder.store.clone(), req).await;
    report.apply(&mut r.conv).unwrap();
    let sib_url = r.result_url(sib);

    r.conv.select(a1).unwrap();
    let a2 = r.turn(Some(a1), text("make it night"), &p).await;
    assert_eq!(r.conv.node(a2).unwrap().status(), Some(Status::Done));
    let body = r.last_json();
    let msgs = body["messages"].as_array().unwrap();
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    let a1_url = r.result_url(a1);
    assert_eq!(
        image_urls(&msgs[1]),
        vec![a1_url],
        "the refined image rides on the assistant turn"
    );
    assert!(!body.to_string().contains(&sib_url), "a sibling leaked in");
    for forbidden in ["quality", "n", "aspect_ratio"] {
        assert!(body.get(forbidden).is_none(), "{forbidden} was sent");
    }
    assert_eq!(body["stream"], Value::Bool(false));
    assert_eq!(body["size"], "1280x720");
    let _ = u1;
}

#[tokio::test]
async fn an_expired_url_is_replaced_by_a_data_url_of_the_local_copy() {
    let mut r = rig(4).await;
    let p = params(Endpoint::Chat, "1280x720");
    let a1 = r.turn(None, text("a blue bird"), &p).await;
    // Age the gateway's URL: 30 minutes left is too little to reuse.
    let soon = OffsetDateTime::now_utc() + time::Duration::minutes(30);
    for n in r.conv.nodes.values_mut() {
        for part in &mut n.parts {
            if let Part::Image { image } = part
                && let Some(remote) = image.remote.as_mut()
            {
                remote.expires_at = soon;
            }
        }
    }
    r.turn(Some(a1), text("add a hat"), &p).await;
    let body = r.last_json();
    let urls = image_urls(&body["messages"][1]);
    assert_eq!(urls.len(), 1);
    assert!(
        urls[0].starts_with("data:image/"),
        "{}",
        &urls[0][..40.min(urls[0].len())]
    );
    assert!(
        !urls[0].starts_with("data:image/png;base64,data:"),
        "double prefix"
    );
    let sent = recorded_len(&urls[0]);
    assert!(sent > 1_000, "a real data URL was sent");
    assert!(
        sent < 2_100_000,
        "the data URL stays within the 1.5 MB budget"
    );
}

#[tokio::test]
async fn the_image_budget_keeps_requests_small() {
    let mut r = rig(2).await;
    let p = params(Endpoint::Chat, "1280x720");
    let mut parent = None;
    for prompt in ["one", "two", "three", "four"] {
        parent = Some(r.turn(parent, text(prompt), &p).await);
    }
    let body = r.last_json();
    let total: usize = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| image_urls(m).len())
        .sum();
    assert_eq!(total, 2, "budget of 2 images");
    // The newest two earlier images are the ones kept.
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(image_urls(&msgs[5]).len(), 1);
    assert_eq!(image_urls(&msgs[3]).len(), 1);
    assert_eq!(image_urls(&msgs[1]).len(), 0);
    assert!(msgs[1].to_string().contains("not resent"));
}

#[tokio::test]
async fn images_endpoint_generates_then_edits_with_the_refined_image_first() {
    let mut r = rig(4).await;
    let p = params(Endpoint::Images, "1280x720");
    let a1 = r.turn(None, text("a castle"), &p).await;
    assert_eq!(
        r.gw.requests().last().unwrap().path,
        "/v1/images/generations"
    );
    assert_eq!(r.conv.node(a1).unwrap().status(), Some(Status::Done));

    let refs = common::png_file(r._dir.path(), "ref.png", 64, 48, [200, 20, 20]);
    let img = images::import_file(&refs, &r.folder.store).unwrap();
    let ref_sha = img.upload_blob().sha256.clone();
    let mut parts = text("put image2's colour on image1");
    parts.push(Part::Image { image: img });
    let a2 = r.turn(Some(a1), parts, &p).await;
    assert_eq!(
        r.conv.node(a2).unwrap().status(),
        Some(Status::Done),
        "{:?}",
        r.conv.node(a2).unwrap().turn
    );
    let req = r.gw.requests().last().unwrap().clone();
    assert_eq!(req.path, "/v1/images/edits");
    let names: Vec<&str> = req.multipart.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "model",
            "prompt",
            "size",
            "response_format",
            "image[]",
            "image[]"
        ]
    );
    let files: Vec<_> = req
        .multipart
        .iter()
        .filter(|p| p.name == "image[]")
        .collect();
    assert_ne!(files[0].sha256, ref_sha, "the refined image goes first");
    assert_eq!(files[1].sha256, ref_sha, "then the references in order");
}

#[tokio::test]
async fn all_thirty_sizes_come_back_at_exactly_that_size() {
    let mut r = rig(4).await;
    for s in SIZES {
        let p = params(Endpoint::Images, &s.to_string());
        let id = r.turn(None, text(&format!("size test {s}")), &p).await;
        let n = r.conv.node(id).unwrap();
        assert_eq!(n.status(), Some(Status::Done), "{s}: {:?}", n.turn);
        let img = n.images().next().unwrap();
        assert_eq!(
            (img.original.width, img.original.height),
            (s.width, s.height)
        );
        // Stored, and a real image of that size on disk.
        let on_disk = image::image_dimensions(r.folder.store.path(&img.original)).unwrap();
        assert_eq!(on_disk, (s.width, s.height));
    }
    let _ = SizeSpec::Auto;
}

#[tokio::test]
async fn a_20_mb_photo_arrives_under_1_5_mb() {
    let mut r = rig(4).await;
    let path = r._dir.path().join("big.jpg");
    let bytes = common::noisy_jpeg(6000, 4000, 98);
    assert!(
        bytes.len() > 15_000_000,
        "test photo is {} bytes",
        bytes.len()
    );
    std::fs::write(&path, &bytes).unwrap();
    let img = images::import_file(&path, &r.folder.store).unwrap();
    let mut parts = text("make it a watercolour");
    parts.push(Part::Image { image: img });
    let id = r
        .turn(None, parts, &params(Endpoint::Chat, "1280x720"))
        .await;
    assert_eq!(r.conv.node(id).unwrap().status(), Some(Status::Done));
    let body = r.last_json();
    let urls = image_urls(&body["messages"][0]);
    assert_eq!(urls.len(), 1);
    let prefix = urls[0].find(',').unwrap() + 1;
    let sent = (recorded_len(&urls[0]) - prefix) / 4 * 3;
    assert!(sent > 100_000, "the photo was sent ({sent} bytes)");
    assert!(sent <= 1_500_000, "sent {sent} bytes");
}

#[tokio::test]
async fn gpt_image_2_all_gets_no_size_field_and_dimensions_in_the_prompt() {
    let mut r = rig(4).await;
    let p = RequestParams {
        endpoint: Endpoint::Chat,
        model: "gpt-image-2-all".into(),
        size: "2048x1152".parse().unwrap(),
    };
    let id = r.turn(None, text("a harbour"), &p).await;
    assert_eq!(
        r.conv.node(id).unwrap().status(),
        Some(Status::Done),
        "{:?}",
        r.conv.node(id).unwrap().turn
    );
    let body = r.last_json();
    assert!(body.get("size").is_none());
    assert!(body["messages"][0].to_string().contains("2048x1152"));
}
