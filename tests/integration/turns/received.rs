//! What a folder may send again: a URL this installation received (sealed)
//! is reused after reopening, one the gateway forgot is sent as the local
//! copy, and one written into a received folder, or an upload copy named
//! there, is never sent.

use super::*;

impl Rig {
    /// Drops the open folder and opens it again from disk, as the next
    /// session would (the remote seals are checked on load).
    fn reopen(&mut self) {
        let dir = self.folder.dir.clone();
        let placeholder = tempfile::tempdir().unwrap();
        let (scratch, _) = ConvFolder::create(
            placeholder.path().join("x.pixloom"),
            "x",
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        drop(std::mem::replace(&mut self.folder, scratch));
        let (folder, loaded) = ConvFolder::open(&dir).unwrap();
        self.folder = folder;
        self.conv = loaded.conv;
    }
}

#[tokio::test]
async fn a_url_this_installation_received_is_reused_after_reopening() {
    let (mut r, p, a1) = after_a_red_fox().await;
    let url = r.result_url(a1);
    r.reopen();
    assert_eq!(r.result_url(a1), url, "the sealed URL survives a reopen");
    r.turn(Some(a1), text("make it night"), &p).await;
    assert_eq!(image_urls(&r.last_json()["messages"][1]), vec![url]);
}

#[tokio::test]
async fn a_url_the_gateway_forgot_early_is_sent_again_as_the_local_copy() {
    // The gateway lost the result before the expiry it gave (a restart, a
    // purge): the request that reused its URL is refused, and the turn is
    // sent once more with the local pixels instead of failing.
    let (mut r, p, a1) = after_a_red_fox().await;
    let url = r.result_url(a1);
    let forgotten = format!("{url}-forgotten");
    for n in r.conv.nodes.values_mut() {
        for part in &mut n.parts {
            if let Part::Image { image } = part
                && let Some(remote) = image.remote.as_mut()
            {
                remote.url.clone_from(&forgotten);
            }
        }
    }
    let before = r.gw.requests().len();
    let a2 = r.turn(Some(a1), text("make it night"), &p).await;
    assert_eq!(r.conv.node(a2).unwrap().status(), Some(Status::Done));
    let requests = r.gw.requests();
    assert_eq!(requests.len(), before + 2, "one refused, one sent again");
    let first = requests[before].json.clone().unwrap();
    assert_eq!(image_urls(&first["messages"][1]), vec![forgotten]);
    let urls = image_urls(&r.last_json()["messages"][1]);
    assert_eq!(urls.len(), 1);
    assert!(
        urls[0].starts_with("data:image/"),
        "the local pixels are sent"
    );
}

#[tokio::test]
async fn a_url_written_into_a_received_folder_is_never_sent() {
    // The attack: a folder from a stranger whose result carries a far-future
    // remote URL. Sending it would make the model refine another picture
    // than the one on screen, and tell the stranger when the user refines.
    let (mut r, p, a1) = after_a_red_fox().await;
    let own_url = r.result_url(a1);
    let file = r.folder.file();
    let json = std::fs::read_to_string(&file).unwrap();
    let beacon = "https://evil.test/beacon.png";
    let forgeries = [
        // Another URL under this installation's seal.
        json.replace(&own_url, beacon),
        // The same URL, living ten years.
        {
            let mut v: Value = serde_json::from_str(&json).unwrap();
            let remote = find_remote(&mut v).unwrap();
            remote["expires_at"] = "2036-01-01T00:00:00Z".into();
            v.to_string()
        },
        // No seal at all (a folder from another installation, or older).
        {
            let mut v: Value = serde_json::from_str(&json).unwrap();
            let remote = find_remote(&mut v).unwrap();
            remote.as_object_mut().unwrap().remove("seal");
            remote["url"] = beacon.into();
            v.to_string()
        },
    ];
    for forged in forgeries {
        std::fs::write(&file, forged).unwrap();
        r.reopen();
        assert!(
            r.image(a1).remote.is_none(),
            "an unproven remote copy is dropped on load"
        );
        let before = r.gw.requests().len();
        r.turn(Some(a1), text("add a hat"), &p).await;
        assert_eq!(r.gw.requests().len(), before + 1);
        let body = r.last_json();
        let urls = image_urls(&body["messages"][1]);
        assert_eq!(urls.len(), 1);
        assert!(
            urls[0].starts_with("data:image/"),
            "the local pixels are sent"
        );
        assert!(
            !body.to_string().contains("evil.test"),
            "the beacon was sent"
        );
        assert!(
            !body.to_string().contains(&own_url),
            "an unproven URL was sent"
        );
        // Back to the honest file for the next forgery.
        std::fs::write(&file, &json).unwrap();
        r.reopen();
    }
}

/// The first recorded remote copy in a saved conversation's JSON.
fn find_remote(v: &mut Value) -> Option<&mut Value> {
    match v {
        Value::Object(map) => {
            if map.contains_key("remote") {
                return map.get_mut("remote");
            }
            map.values_mut().find_map(find_remote)
        }
        Value::Array(items) => items.iter_mut().find_map(find_remote),
        _ => None,
    }
}

/// The image URLs of the user message whose text contains `words`.
fn image_urls_of_user_message(body: &Value, words: &str) -> Vec<String> {
    let msgs = body["messages"].as_array().unwrap();
    let msg = msgs
        .iter()
        .find(|m| m["role"] == "user" && m.to_string().contains(words))
        .unwrap_or_else(|| panic!("no user message with {words:?}: {body}"));
    image_urls(msg)
}

#[tokio::test]
async fn an_upload_copy_named_in_a_received_folder_is_never_sent() {
    // The attack: a received folder names another picture as the prepared
    // upload copy of an attached photo. The model would be shown a picture
    // the user does not see. Unproven copies are dropped on load and made
    // again from the photo itself.
    let (mut r, p, a1) = after_a_red_fox().await;
    let photo = common::noisy_jpeg(3000, 2000, 95);
    let attached = images::import_bytes(
        &photo,
        pixloom_core::tree::ImageOrigin::File {
            path: "photo.jpg".into(),
        },
        &r.folder.store,
    )
    .unwrap();
    assert!(attached.upload.is_some(), "a photo this large gets a copy");
    let mut parts = text("use this photo");
    parts.push(Part::Image {
        image: attached.clone(),
    });
    let a2 = r.turn(Some(a1), parts, &p).await;
    let honest = image_urls_of_user_message(&r.last_json(), "use this photo");
    assert_eq!(honest.len(), 1);
    assert!(
        honest[0].starts_with("data:image/jpeg"),
        "{}",
        &honest[0][..40]
    );

    // Honest copies survive a reopen (not prepared again).
    r.reopen();
    let photo_node = r.conv.node(a2).unwrap().parent.unwrap();
    let loaded = r.image(photo_node);
    assert_eq!(loaded.upload, attached.upload, "a sealed copy is kept");

    // The forgery: the fox (another picture, in the store) as the copy.
    let fox = r.image(a1).original;
    let file = r.folder.file();
    let mut v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let mut forged = 0;
    for node in v["nodes"].as_array_mut().unwrap() {
        for part in node["parts"].as_array_mut().into_iter().flatten() {
            if part["image"]["original"]["sha256"] == attached.original.sha256.as_str() {
                part["image"]["upload"] = serde_json::to_value(&fox).unwrap();
                forged += 1;
            }
        }
    }
    assert_eq!(forged, 1);
    std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    r.reopen();
    let photo_node = r.conv.node(a2).unwrap().parent.unwrap();
    let loaded = r.image(photo_node);
    assert_eq!(loaded.upload, None, "an unproven copy is dropped on load");

    r.turn(Some(a2), text("once more"), &p).await;
    let sent = image_urls_of_user_message(&r.last_json(), "use this photo");
    assert_eq!(sent, honest, "the photo itself, prepared again, was sent");
}
