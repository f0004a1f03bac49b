#![allow(clippy::unwrap_used)]

use super::*;
use crate::testkit::{now, params, parts};
use crate::tree::TreeError;

fn sizes(s: &str) -> Vec<String> {
    s.parse::<SizeList>()
        .unwrap()
        .sizes()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn lists_are_read_whole_and_every_entry_is_checked() {
    assert_eq!(
        sizes("1280x720,2048x1152"),
        ["1280x720", "2048x1152"],
        "a list, in order"
    );
    assert_eq!(sizes("auto"), ["auto"]);
    // One bad entry refuses the whole list, naming it and the size to use.
    let e = "1280x720,2000x1000".parse::<SizeList>().unwrap_err();
    assert!(
        e.to_string().contains("2000x1000") && e.to_string().contains("try "),
        "{e}"
    );
    // A lone size says what a lone size always said.
    let lone = "16:9".parse::<SizeList>().unwrap_err().to_string();
    assert_eq!(lone, "16:9".parse::<SizeSpec>().unwrap_err().to_string());
    for (bad, says) in [
        ("1280x720,,2048x1152", "empty size"),
        ("1280x720,", "empty size"),
        ("1280x720,1280x720", "listed twice"),
    ] {
        let e = bad.parse::<SizeList>().unwrap_err().to_string();
        assert!(e.contains(says), "{bad}: {e}");
    }
    let m: ModelList = "gpt-image-2-vip,gpt-image-2-all".parse().unwrap();
    assert_eq!(m.models(), ["gpt-image-2-vip", "gpt-image-2-all"]);
    assert_eq!(m.single(), None);
    assert_eq!(ModelList::one("x").single(), Some("x"));
    assert!("a b,c".parse::<ModelList>().is_err(), "spaces are refused");
    assert!("a,a".parse::<ModelList>().is_err());
}

#[test]
fn cells_are_rows_of_sizes_by_columns_of_models_and_capped() {
    let spec = GridSpec {
        sizes: SizeList::from_str("1280x720,2048x1152").unwrap().0,
        models: vec!["gpt-image-2-vip".into(), "gpt-image-2-all".into()],
    };
    assert!(spec.is_grid());
    let cells = spec.cells(&params(), 2).unwrap();
    let seen: Vec<String> = cells
        .iter()
        .map(|c| format!("{} {}", c.size, c.model))
        .collect();
    assert_eq!(
        seen,
        [
            "1280x720 gpt-image-2-vip",
            "1280x720 gpt-image-2-vip",
            "1280x720 gpt-image-2-all",
            "1280x720 gpt-image-2-all",
            "2048x1152 gpt-image-2-vip",
            "2048x1152 gpt-image-2-vip",
            "2048x1152 gpt-image-2-all",
            "2048x1152 gpt-image-2-all",
        ]
    );
    assert!(cells.iter().all(|c| c.endpoint == params().endpoint));
    // Empty lists keep the turn's own size and model: one cell.
    let plain = GridSpec::default();
    assert!(!plain.is_grid());
    assert_eq!(plain.cells(&params(), 3).unwrap(), vec![params(); 3]);
    // 2 × 2 × 5 = 20 calls is over the cap, said with the arithmetic.
    let e = spec.cells(&params(), 5).unwrap_err().to_string();
    assert!(e.contains("20 calls") && e.contains("at most 16"), "{e}");
}

#[test]
fn a_cell_its_model_cannot_make_refuses_the_grid_naming_it() {
    // gpt-image-2-all makes no 4K: that cell would be billed for a 2K picture.
    let spec = GridSpec {
        sizes: SizeList::from_str("2048x1152,3840x2160").unwrap().0,
        models: vec!["gpt-image-2-vip".into(), "gpt-image-2-all".into()],
    };
    let e = spec.cells(&params(), 1).unwrap_err().to_string();
    assert!(
        e.contains("the cell 3840x2160 × gpt-image-2-all")
            && e.contains("makes no 4K")
            && e.contains("with the other model on its own"),
        "{e}"
    );
    // One model: no grid advice, the model's own.
    let alone = GridSpec {
        sizes: SizeList::from_str("3840x2160").unwrap().0,
        models: vec!["gpt-image-2-all".into()],
    };
    let e = alone.cells(&params(), 1).unwrap_err().to_string();
    assert!(
        e.contains("pick a 1K or 2K size") && !e.contains("every size"),
        "{e}"
    );
    // The 4K row with vip alone is fine.
    let vip = GridSpec {
        sizes: SizeList::from_str("2048x1152,3840x2160").unwrap().0,
        models: vec!["gpt-image-2-vip".into()],
    };
    assert_eq!(vip.cells(&params(), 1).unwrap().len(), 2);
}

#[test]
fn the_layout_is_read_back_from_the_siblings() {
    let mut conv = Conversation::new("t", now());
    let user = conv.add_user(None, parts(&["fox"]), now()).unwrap();
    let spec = GridSpec {
        sizes: SizeList::from_str("1280x720,2048x1152").unwrap().0,
        models: vec!["gpt-image-2-vip".into(), "gpt-image-2-all".into()],
    };
    let ids = conv
        .add_pending_each(user, &spec.cells(&params(), 1).unwrap(), now())
        .unwrap();
    let g = GridLayout::of(&conv, user).unwrap();
    assert_eq!(g.rows.len(), 2);
    assert_eq!(g.cols, ["gpt-image-2-vip", "gpt-image-2-all"]);
    assert_eq!(g.cells[0][1], [ids[1]]);
    assert_eq!(g.cells[1][0], [ids[2]]);
    assert_eq!(g.position(ids[3]), Some((1, 1)));
    assert_eq!(g.position(user), None);
    // Plain variants are no grid; nor is an assistant turn.
    let other = conv.add_user(None, parts(&["owl"]), now()).unwrap();
    conv.add_pending(other, &params(), 3, now()).unwrap();
    assert_eq!(GridLayout::of(&conv, other), None);
    assert_eq!(GridLayout::of(&conv, ids[0]), None);
    // The tree refuses a fan-out past the cap, adding nothing.
    let before = conv.nodes.len();
    let e = conv.add_pending_each(user, &vec![params(); 17], now());
    assert_eq!(e, Err(TreeError::BadCellCount { max: MAX_FAN_OUT }));
    assert_eq!(conv.nodes.len(), before);
}
