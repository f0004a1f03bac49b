use super::*;
use pixloom_core::tree::Blob;

fn blob(sha: &str) -> Blob {
    Blob {
        sha256: sha.into(),
        ext: "png".into(),
        bytes: 1,
        width: 16,
        height: 9,
    }
}

#[test]
fn half_blocks_carry_upper_and_lower_pixels() {
    let mut img = image::RgbImage::new(2, 4);
    for (x, y, p) in img.enumerate_pixels_mut() {
        *p = if y < 2 {
            image::Rgb([255, 0, 0])
        } else {
            image::Rgb([0, 0, 255])
        };
        let _ = x;
    }
    let t = Thumb::from_image(&DynamicImage::ImageRgb8(img), 2, 2);
    assert_eq!(t.cells.len(), 4);
    assert_eq!(t.cells[0], ([255, 0, 0], [255, 0, 0]));
    assert_eq!(t.cells[3], ([0, 0, 255], [0, 0, 255]));
    let mut buf = Buffer::empty(Rect::new(0, 0, 4, 4));
    let placed = t.render(0, Rect::new(1, 1, 3, 3), &mut buf);
    assert!(placed.is_none(), "half-blocks only: nothing to print");
    let cell = &buf[(1, 1)];
    assert_eq!(cell.symbol(), "▀");
    assert_eq!(cell.fg, Color::Rgb(255, 0, 0));
    assert_eq!(
        buf[(3, 1)].symbol(),
        " ",
        "clipped to the thumbnail's width"
    );
}

fn want(sha: &str, cols: u16, rows: u16) -> ThumbWant {
    ThumbWant {
        blob: blob(sha),
        cols,
        rows,
    }
}

#[test]
fn after_the_cell_size_changed_every_thumbnail_is_asked_again() {
    let mut c = ThumbCache::new(4);
    let a = want("a", 2, 1);
    c.want(std::slice::from_ref(&a));
    let t = Thumb::from_cells(2, 1, vec![([0; 3], [0; 3]); 2]);
    assert!(c.insert("a.png".into(), 2, 1, Ok(Arc::new(t))));
    assert!(c.want(std::slice::from_ref(&a)).is_empty(), "ready");
    c.forget_all();
    assert!(c.is_empty());
    assert!(matches!(c.get("a.png", 2, 1), ThumbState::Decoding));
    assert_eq!(c.want(std::slice::from_ref(&a)), vec![a.clone()]);
}

#[test]
fn cache_asks_once_drops_stale_and_evicts_least_recent() {
    let mut c = ThumbCache::new(2);
    let a = want("a", 4, 2);
    assert_eq!(c.want(std::slice::from_ref(&a)), vec![a.clone()]);
    assert!(
        c.want(std::slice::from_ref(&a)).is_empty(),
        "already decoding"
    );
    // The view now wants another size: the first result is stale.
    let a2 = ThumbWant {
        cols: 6,
        rows: 3,
        ..a.clone()
    };
    assert_eq!(c.want(std::slice::from_ref(&a2)).len(), 1);
    let t = |cols, rows| {
        Ok(Arc::new(Thumb::from_cells(
            cols,
            rows,
            vec![([0; 3], [0; 3]); usize::from(cols * rows)],
        )))
    };
    assert!(!c.insert("a.png".into(), 4, 2, t(4, 2)));
    assert!(c.insert("a.png".into(), 6, 3, t(6, 3)));
    assert!(matches!(c.get("a.png", 6, 3), ThumbState::Ready(_)));
    for s in ["b", "c"] {
        let w = ThumbWant {
            blob: blob(s),
            cols: 1,
            rows: 1,
        };
        c.want(std::slice::from_ref(&w));
        assert!(c.insert(format!("{s}.png"), 1, 1, t(1, 1)));
    }
    assert_eq!(c.len(), 2);
    assert_eq!(
        c.get("a.png", 6, 3),
        ThumbState::Decoding,
        "the oldest went"
    );
    assert!(
        !c.insert("z.png".into(), 1, 1, Err("x".into())),
        "never wanted"
    );
}
