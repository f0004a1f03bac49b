//! The image store and imports: deduplicated by content, the original kept
//! beside an upload copy, errors that say what happened, links downloaded,
//! checked and capped.

use super::*;

#[test]
fn store_dedups_by_content() {
    let (dir, store) = store();
    let png = encode(&gradient(20, 20), ImageFormat::Png);
    let a = import_bytes(&png, ImageOrigin::Result, &store).unwrap();
    let b = import_bytes(&png, ImageOrigin::Result, &store).unwrap();
    assert_eq!(a.original, b.original);
    let path = store.path(&a.original);
    assert_eq!(
        path,
        dir.path()
            .join("images")
            .join(format!("{}.png", a.original.sha256))
    );
    assert_eq!(std::fs::read_dir(store.dir()).unwrap().count(), 1);
    assert!(store.contains(&a.original));
}

#[test]
fn import_file_keeps_the_original_and_adds_an_upload_copy() {
    let (dir, store) = store();
    let (w, h) = (3000, 2000);
    let photo = jpeg(&noisy(w, h, 30), w, h, 95);
    let path = dir.path().join("photo.jpg");
    std::fs::write(&path, &photo).unwrap();
    let r = import_file(&path, &store).unwrap();
    assert_eq!(
        r.origin,
        ImageOrigin::File {
            path: path.to_string_lossy().into_owned()
        }
    );
    assert_eq!(store.read(&r.original).unwrap(), photo);
    let up = r.upload.as_ref().unwrap();
    assert!(up.bytes as usize <= UPLOAD_BUDGET_BYTES);
    assert_eq!((up.width, up.height), (2048, 1365));
    assert_eq!(r.upload_blob(), up);
}

#[test]
fn import_file_errors_say_what_happened() {
    let (dir, store) = store();
    let pdf = dir.path().join("x.pdf");
    std::fs::write(&pdf, b"%PDF-1.7\n").unwrap();
    let empty = dir.path().join("e.png");
    std::fs::write(&empty, b"").unwrap();
    let cases = [
        (dir.path().join("missing.png"), "does not exist"),
        (dir.path().to_path_buf(), "is a folder"),
        (
            pdf.clone(),
            "is not an image (looks like a PDF document). Attach a PNG, JPEG or WebP file — ",
        ),
        (empty, "is empty"),
    ];
    for (path, want) in cases {
        let e = import_file(&path, &store).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(want) && msg.contains(&*path.to_string_lossy()),
            "{msg}"
        );
    }
    assert_eq!(std::fs::read_dir(store.dir()).unwrap().count(), 0);
}

/// A one-route-per-path HTTP/1.1 server on loopback; records request heads.
async fn serve(png: Vec<u8>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (png, seen) = (png.clone(), seen.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let path = head.split(' ').nth(1).unwrap_or("").to_string();
                seen.lock().unwrap().push(head);
                let reply = |status: &str, body: &[u8]| {
                    let mut r = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(body);
                    r
                };
                let out = match path.as_str() {
                    "/ok.png" => reply("200 OK", &png),
                    "/page" => reply("200 OK", b"<!DOCTYPE html><html><body>hi</body></html>"),
                    "/huge" => b"HTTP/1.1 200 OK\r\ncontent-length: 999999999\r\n\r\n".to_vec(),
                    "/endless" => {
                        // No length, never ends: only the client's cap stops it.
                        let _ = sock
                            .write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n")
                            .await;
                        let chunk = vec![0x42u8; 64 * 1024];
                        while sock.write_all(&chunk).await.is_ok() {}
                        return;
                    }
                    _ => reply("404 Not Found", b"no"),
                };
                let _ = sock.write_all(&out).await;
            });
        }
    });
    (base, heads)
}

#[tokio::test]
async fn import_url_downloads_checks_and_caps() {
    let (_d, store) = store();
    let png = encode(&gradient(64, 64), ImageFormat::Png);
    let (base, heads) = serve(png.clone()).await;
    let http = reqwest::Client::new();

    let url = format!("{base}/ok.png");
    let r = import_url(&url, &http, &store).await.unwrap();
    assert_eq!(r.origin, ImageOrigin::Url { url: url.clone() });
    assert_eq!(store.read(&r.original).unwrap(), png); // text/plain ignored

    let e = import_url(&format!("{base}/nope"), &http, &store)
        .await
        .unwrap_err();
    assert!(matches!(e, ImageError::Http { status: 404, .. }), "{e:?}");
    assert!(e.to_string().contains("HTTP 404"), "{e}");

    let e = import_url(&format!("{base}/page"), &http, &store)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("HTML page"), "{e}");

    let e = import_url(&format!("{base}/huge"), &http, &store)
        .await
        .unwrap_err();
    assert!(matches!(e, ImageError::DownloadTooLarge { .. }), "{e:?}");

    let cap = 1024 * 1024;
    let e = import_url_with_cap(&format!("{base}/endless"), &http, &store, cap)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ImageError::DownloadTooLarge { cap: c, .. } if c == cap),
        "{e:?}"
    );
    assert!(e.to_string().contains("more than 1.0 MB"), "{e}");

    let e = import_url("file:///etc/hostname", &http, &store)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("only http and https"), "{e}");

    let heads = heads.lock().unwrap();
    assert_eq!(heads.len(), 5);
    assert!(
        heads
            .iter()
            .all(|h| !h.to_ascii_lowercase().contains("authorization"))
    );
}
