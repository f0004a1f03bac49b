use super::*;
use crate::images::{ImageKind, testimg};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn link() -> Received {
    Received {
        url: Some("http://127.0.0.1:9/files/x.png".into()),
        expires_at: Some(OffsetDateTime::now_utc() + RESULT_URL_LIFETIME),
        sha256: None,
        spare_copy: None,
        seal: None,
    }
}

/// The injected failure: a store whose folder is a file.
fn broken_store(dir: &std::path::Path) -> ImageStore {
    std::fs::write(dir.join("images"), b"in the way").unwrap();
    ImageStore::at(dir.join("images"))
}

#[test]
fn a_store_failure_keeps_the_bytes_and_their_hash() {
    let dir = tempfile::tempdir().unwrap();
    let png = Bytes::from(testimg::encoded(ImageKind::Png, 8, 8));
    let mut r = link();
    let kept = rt().block_on(keep_received(
        None,
        &broken_store(dir.path()),
        &mut r,
        Some(png.clone()),
        OffsetDateTime::now_utc(),
    ));
    match kept {
        Kept::Unstored { bytes, reason } => {
            assert_eq!(bytes, Some(png.clone()));
            assert!(reason.contains("images"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.sha256, Some(pixloom_core::hex::sha256(&png)));
    // The same bytes once the folder is back: stored, link kept.
    std::fs::remove_file(dir.path().join("images")).unwrap();
    let store = ImageStore::open(dir.path().join("images")).unwrap();
    let kept = rt().block_on(keep_received(
        None,
        &store,
        &mut r,
        Some(png.clone()),
        OffsetDateTime::now_utc(),
    ));
    let Kept::Stored(image) = kept else {
        panic!("{kept:?}")
    };
    assert_eq!(store.read(&image.original).unwrap(), png);
    assert_eq!(image.remote.unwrap().url, link().url.unwrap());
}

#[test]
fn bytes_that_are_no_image_are_refused_not_held() {
    let dir = tempfile::tempdir().unwrap();
    let store = ImageStore::open(dir.path()).unwrap();
    let kept = rt().block_on(keep_received(
        None,
        &store,
        &mut link(),
        Some(Bytes::from_static(b"<html>not a picture</html>")),
        OffsetDateTime::now_utc(),
    ));
    assert!(matches!(kept, Kept::Refused(_)), "{kept:?}");
}

#[test]
fn a_spare_copy_is_taken_only_as_a_small_regular_file_with_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let store = ImageStore::open(dir.path().join("images")).unwrap();
    let png = testimg::encoded(ImageKind::Png, 8, 8);
    let copy = dir.path().join("spare.png");
    std::fs::write(&copy, &png).unwrap();
    let try_with = |path: &str, sha: String| {
        let mut r = Received {
            spare_copy: Some(path.to_owned()),
            seal: None,
            sha256: Some(sha),
            ..link()
        };
        rt().block_on(keep_received(
            None,
            &store,
            &mut r,
            None,
            OffsetDateTime::now_utc(),
        ))
    };
    let other = pixloom_core::hex::sha256(b"something else");
    let path = copy.display().to_string();
    // Edited content, a device that never ends, a folder: not taken;
    // without a client the link cannot be tried either.
    for (p, sha) in [
        (path.as_str(), other.clone()),
        ("/dev/zero", other.clone()),
        ("/", other),
    ] {
        match try_with(p, sha) {
            Kept::Unstored {
                bytes: None,
                reason,
            } => {
                assert!(reason.contains("API key"), "{reason}");
            }
            kept => panic!("{p}: {kept:?}"),
        }
    }
    assert!(matches!(
        try_with(&path, pixloom_core::hex::sha256(&png)),
        Kept::Stored(_)
    ));
}

#[test]
fn an_expired_link_with_nothing_in_hand_says_the_picture_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let store = ImageStore::open(dir.path()).unwrap();
    let client = gateway::Client::new(gateway::Settings::new(
        "http://127.0.0.1:9",
        gateway::ApiKey::new("k").expect("a sendable key"),
    ))
    .unwrap();
    let mut r = link();
    let later = OffsetDateTime::now_utc() + RESULT_URL_LIFETIME * 2;
    let kept = rt().block_on(keep_received(Some(&client), &store, &mut r, None, later));
    match kept {
        Kept::Unstored { reason, .. } => assert!(reason.contains("expired"), "{reason}"),
        kept => panic!("{kept:?}"),
    }
}
