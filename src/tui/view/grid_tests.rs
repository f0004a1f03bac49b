//! Grids in the app: `v` then `g` fans the prompt out across sizes and
//! models; the gallery lays the cells out with a row per size and a column
//! per model, each with its latency and cost; the compare view works
//! across cells. `update` as data, the screens on a `TestBackend`.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::action::{Action, Event, Msg};
use crate::tui::fixtures::{T0, app, image, n, outcome, params, text};
use crate::tui::state::{App, InputBox, InputKind, Overlay};
use crate::tui::update::{Effect, update};
use pixloom_core::grid::GridSpec;
use pixloom_core::tree::{Conversation, NodeId, RequestParams, Status};

use super::tests::screen;

fn act(app: &mut App, a: Action) -> Vec<Effect> {
    update(app, Msg::Action(a))
}

fn key(app: &mut App, c: char) -> Vec<Effect> {
    update(
        app,
        Msg::Event(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        ))),
    )
}

const MODELS: &str = "gpt-image-2-vip,gpt-image-2-all";

/// n1 "a lighthouse at dusk" with a finished 2 × 2 grid under it (n2-n5:
/// 1280x720 and 2048x1152 by vip and all), n2 selected.
fn grid_app() -> App {
    let mut c = Conversation::new("lighthouse", T0);
    let user = c.add_user(None, text("a lighthouse at dusk"), T0).unwrap();
    let spec = GridSpec::parse_line(&format!("1280x720,2048x1152 {MODELS}")).unwrap();
    let ids = c
        .add_pending_each(user, &spec.cells(&params("auto"), 1).unwrap(), T0)
        .unwrap();
    for (i, id) in ids.iter().enumerate() {
        let r: RequestParams = c.node(*id).unwrap().turn.clone().unwrap().request;
        let s = r.size.exact().unwrap();
        let sha = format!("{i}{i}");
        c.complete(
            *id,
            image(&sha, s.width, s.height),
            outcome(30_000 + 10_000 * i as u64),
        )
        .unwrap();
    }
    c.select(ids[0]).unwrap();
    app(c)
}

#[test]
fn v_then_g_asks_for_the_lists_and_starts_one_turn_per_cell() {
    let mut a = grid_app();
    a.conv.select(n(1)).unwrap();
    act(&mut a, Action::Variants);
    key(&mut a, 'g');
    // The size in use across both models, ready to edit.
    assert_eq!(
        a.overlay,
        Overlay::Input(InputBox::new(
            InputKind::Grid(n(1)),
            format!("2048x1152 {MODELS}")
        ))
    );
    let (shown, _) = screen(&a, 100, 30);
    assert!(
        shown.contains("a grid under n1") && shown.contains("each cell one billed call ($0.03)"),
        "{shown}"
    );
    assert!(
        shown.contains("enter starts"),
        "the note wraps, not cut:\n{shown}"
    );
    assert!(
        shown.contains("= 2 call(s), 1 size(s) × 2 model(s) · $0.06"),
        "the price while typing:\n{shown}"
    );
    a.overlay = Overlay::Input(InputBox::new(
        InputKind::Grid(n(1)),
        format!("1280x720,2048x864 {MODELS}"),
    ));
    let fx = act(&mut a, Action::Confirm);
    let started: Vec<NodeId> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::StartTurn(id) => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(started, [n(6), n(7), n(8), n(9)]);
    assert_eq!(fx.first(), Some(&Effect::Save), "saved before sending");
    let asked: Vec<String> = started
        .iter()
        .map(|id| {
            let t = a.conv.node(*id).unwrap().turn.clone().unwrap();
            assert_eq!(t.status, Status::Pending);
            format!("{} {}", t.request.size, t.request.model)
        })
        .collect();
    assert_eq!(
        asked,
        [
            "1280x720 gpt-image-2-vip",
            "1280x720 gpt-image-2-all",
            "2048x864 gpt-image-2-vip",
            "2048x864 gpt-image-2-all",
        ]
    );
    let said = a.status.clone().unwrap().text;
    assert_eq!(said, "sent a grid of 4 (2 size(s) × 2 model(s)) · $0.12");
}

#[test]
fn a_bad_grid_is_said_and_starts_nothing() {
    let mut a = grid_app();
    let before = a.conv.nodes.len();
    for (typed, says) in [
        ("1280x720,1024x768", "1280x960"),
        ("", "type sizes and/or models"),
        ("1280x720 2048x1152", "two lists of sizes"),
        (
            "1280x720,2048x1152,3840x2160,720x1280,1152x2048,2160x3840,1280x1280,2048x2048,auto gpt-image-2-vip,gpt-image-2-all",
            "is 18 calls",
        ),
    ] {
        a.overlay = Overlay::Input(InputBox::new(InputKind::Grid(n(1)), typed));
        let (shown, _) = screen(&a, 100, 30);
        assert!(shown.contains(says), "said while typing:\n{shown}");
        let fx = act(&mut a, Action::Confirm);
        assert!(fx.is_empty(), "{typed}: {fx:?}");
        let said = a.status.clone().unwrap().text;
        assert!(
            said.contains(says) && said.contains("fix the lists"),
            "{said}"
        );
        assert_eq!(
            a.overlay,
            Overlay::Input(InputBox::new(InputKind::Grid(n(1)), typed)),
            "the box stays with what was typed"
        );
    }
    assert_eq!(a.conv.nodes.len(), before);
}

#[test]
fn the_gallery_lays_a_grid_out_by_size_and_model_with_latency_and_cost() {
    let mut a = grid_app();
    act(&mut a, Action::Gallery);
    for (w, h) in [(100, 30), (200, 60)] {
        let (shown, _) = screen(&a, w, h);
        insta::assert_snapshot!(format!("grid_gallery_{w}x{h}"), shown);
        for piece in [
            "grid of n1 · 2 size(s) × 2 model(s)",
            "gpt-image-2-vip",
            "gpt-image-2-all",
            "1280x720 ",
            "2048x1152 ",
            "1280x720 · 30s · $0.03",
            "2048x1152 · 1m00s · $0.03",
        ] {
            assert!(shown.contains(piece), "{w}x{h} lacks {piece:?}:\n{shown}");
        }
    }
    // The models are columns: n2 (vip) and n3 (all) side by side on the
    // 1280x720 row, n4 under n2.
    let (shown, _) = screen(&a, 100, 30);
    let row_of = |id: &str| shown.lines().position(|l| l.contains(&format!(" {id} ")));
    assert_eq!(row_of("n2"), row_of("n3"));
    assert!(row_of("n4") > row_of("n2"));
    // Down moves a row (to the other size, same model); enter selects it.
    act(&mut a, Action::MoveRight);
    act(&mut a, Action::MoveDown);
    act(&mut a, Action::Confirm);
    assert_eq!(a.conv.selected, Some(n(5)), "2048x1152 × all");
}

#[test]
fn compare_works_across_cells_and_names_what_differs() {
    let mut a = grid_app();
    act(&mut a, Action::Gallery);
    act(&mut a, Action::Compare); // marks n2 (1280x720, vip)
    act(&mut a, Action::MoveDown);
    act(&mut a, Action::MoveRight);
    act(&mut a, Action::Compare); // n5 (2048x1152, all)
    assert_eq!(
        a.overlay,
        Overlay::Compare {
            left: n(2),
            right: n(5)
        }
    );
    let (shown, _) = screen(&a, 100, 30);
    assert!(shown.contains("size 1280x720 → 2048x1152"), "{shown}");
    assert!(
        shown.contains("model gpt-image-2-vip → gpt-image-2-all"),
        "{shown}"
    );
}

#[test]
fn a_grid_above_confirm_above_asks_first_with_the_price() {
    let mut a = grid_app();
    a.conv.select(n(1)).unwrap();
    a.budgets.confirm_above = 3;
    act(&mut a, Action::Variants);
    key(&mut a, 'g');
    a.overlay = Overlay::Input(InputBox::new(
        InputKind::Grid(n(1)),
        format!("1280x720,2048x864 {MODELS}"),
    ));
    // Four calls > 3: asked, nothing added or sent yet.
    let before = a.conv.clone();
    let fx = act(&mut a, Action::Confirm);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(a.conv, before);
    assert!(
        matches!(a.overlay, Overlay::ConfirmSpend { .. }),
        "{:?}",
        a.overlay
    );
    let (shown, _) = screen(&a, 100, 30);
    assert!(shown.contains("A grid of n1"), "{shown}");
    assert!(shown.contains("$0.12"), "{shown}");
    // Yes: the four cells go out, each with its own size and model.
    let fx = act(&mut a, Action::Confirm);
    let started = fx
        .iter()
        .filter(|e| matches!(e, Effect::StartTurn(_)))
        .count();
    assert_eq!(started, 4);
    assert_eq!(
        a.status.clone().unwrap().text,
        "sent a grid of 4 (2 size(s) × 2 model(s)) · $0.12"
    );
}

#[test]
fn a_plain_variant_beside_a_grid_has_one_number_in_the_gallery_and_the_transcript() {
    let mut a = grid_app();
    // A plain variant of n1 asked as n2 was (1280x720, vip): it joins
    // n2's cell, so each cell has two slots (8 slots, 5 pictures); in the
    // tree it is the fifth answer.
    let asked = a.conv.node(n(2)).unwrap().turn.clone().unwrap().request;
    let extra = a.conv.add_pending(n(1), &asked, 1, T0).unwrap()[0];
    a.conv
        .complete(extra, image("66", 1280, 720), outcome(25_000))
        .unwrap();
    a.conv.select(extra).unwrap();
    act(&mut a, Action::Gallery);
    assert_eq!(
        a.overlay,
        Overlay::Gallery {
            parent: n(1),
            cursor: 1
        },
        "beside n2 in its cell"
    );
    let (shown, _) = screen(&a, 100, 30);
    insta::assert_snapshot!("grid_plain_variant_gallery_100x30", shown);
    let title = shown.lines().find(|l| l.contains("grid of n1")).unwrap();
    assert!(title.contains(" · 5/5 · "), "the title's count: {title}");
    assert!(shown.contains(" n6 ‹5/5› "), "the cell's: {shown}");
    // The transcript's header for n6 says the same.
    act(&mut a, Action::Dismiss);
    let (shown, _) = screen(&a, 100, 30);
    let header = shown.lines().find(|l| l.contains("n6")).unwrap();
    assert!(header.contains("‹5/5›"), "the transcript's count: {header}");
    // On a gap (n3's cell has one picture), the title counts the pictures.
    a.overlay = Overlay::Gallery {
        parent: n(1),
        cursor: 3,
    };
    let (shown, _) = screen(&a, 100, 30);
    assert!(shown.contains(" · –/5 · "), "{shown}");
}

/// gpt-image-2-all makes no 4K: asked for it, the gateway would bill for
/// a smaller picture. Refused before a turn is added, in the composer and
/// in a grid's cell, with what to pick instead.
#[test]
fn a_size_its_model_cannot_make_is_refused_before_anything_is_added() {
    let mut a = grid_app();
    a.composer.params.model = "gpt-image-2-all".into();
    a.composer.params.size = "3840x2160".parse().unwrap();
    let before = a.conv.nodes.len();
    act(&mut a, Action::Compose);
    for c in "a lighthouse".chars() {
        key(&mut a, c);
    }
    assert_eq!(act(&mut a, Action::Send), vec![]);
    assert_eq!(a.conv.nodes.len(), before, "no turn added");
    assert_eq!(a.composer.prompt(), "a lighthouse", "the prompt stays");
    let said = a.status.clone().unwrap().text;
    assert!(
        said.contains("not sent, nothing billed: gpt-image-2-all makes no 4K picture (3840x2160)")
            && said.contains("gpt-image-2-vip"),
        "{said}"
    );
    // A grid with that cell says so while it is typed; Enter keeps the box.
    let typed = format!("2048x1152,3840x2160 {MODELS}");
    a.overlay = Overlay::Input(InputBox::new(InputKind::Grid(n(1)), &typed));
    let (shown, _) = screen(&a, 100, 30);
    assert!(
        shown.contains("the cell 3840x2160 × gpt-image-2-all"),
        "{shown}"
    );
    assert_eq!(act(&mut a, Action::Confirm), vec![]);
    assert_eq!(a.conv.nodes.len(), before);
    assert!(matches!(a.overlay, Overlay::Input(_)), "{:?}", a.overlay);

    // A failed turn asked of it at 4K (a file from before this rule): R
    // would send it again as it was; refused, T (one tier down) is not.
    a.overlay = Overlay::None;
    let asked = RequestParams {
        model: "gpt-image-2-all".into(),
        size: "3840x2160".parse().unwrap(),
        ..params("auto")
    };
    let failed = a.conv.add_pending_each(n(1), &[asked], T0).unwrap()[0];
    let error = pixloom_core::tree::TurnError {
        message: "the gateway failed upstream (500)".to_owned(),
        http_status: Some(500),
        may_have_been_billed: false,
        raw_body: None,
    };
    a.conv
        .fail(failed, error, pixloom_core::tree::Outcome::default())
        .unwrap();
    a.conv.select(failed).unwrap();
    assert_eq!(act(&mut a, Action::Retry), vec![]);
    let said = a.status.clone().unwrap().text;
    assert!(
        said.contains("not sent, nothing billed") && said.contains("makes no 4K"),
        "{said}"
    );
    assert_eq!(
        act(&mut a, Action::RetryLowerTier),
        vec![Effect::Save, Effect::StartTurn(failed)],
        "at 2K it is sent"
    );
}
