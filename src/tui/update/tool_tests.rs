//! Cases for search, folding, labels, images, the gallery, compare, the
//! text input and replay: joined into `every_action_as_data`'s table, and
//! details the table does not look at.

use std::time::Duration;

use super::tests::{Expect, acts, key, run, typed};
use super::*;
use crate::tui::fixtures::{self, branched, branched_at, in_flight, n, replaying};
use crate::tui::state::{InputBox, InputKind};

use Action as A;
use Effect as E;

fn blob(sha: &str) -> pixloom_core::tree::Blob {
    fixtures::image(sha, 2048, 1152).original
}

fn searched(q: &str) -> App {
    let mut a = branched();
    a.search = Some(q.to_owned());
    a
}

fn search_box(origin: u32, text: &str) -> Overlay {
    Overlay::Input(InputBox::new(
        InputKind::Search {
            origin: Some(n(origin)),
        },
        text,
    ))
}

pub(super) fn cases() -> Vec<(&'static str, App, Vec<Msg>, Expect)> {
    let mut cases = vec![
        (
            "search selects the first match as it is typed",
            branched(),
            [acts(&[A::Search]), typed("dusk")].concat(),
            Expect {
                selected: Some(4),
                overlay: search_box(5, "dusk"),
                status: Some("1 match"),
                ..Expect::default()
            },
        ),
        (
            "search with no match stays where it started",
            branched(),
            [acts(&[A::Search]), typed("zebra")].concat(),
            Expect {
                selected: Some(5),
                overlay: search_box(5, "zebra"),
                status: Some("no prompt contains zebra"),
                ..Expect::default()
            },
        ),
        (
            "esc leaves a search where it started",
            branched(),
            [acts(&[A::Search]), typed("dusk"), acts(&[A::Dismiss])].concat(),
            Expect {
                selected: Some(5),
                ..Expect::default()
            },
        ),
        (
            "enter keeps the match; search-next goes on, wrapping",
            branched(),
            [
                acts(&[A::Search]),
                typed("fox"),
                acts(&[A::Confirm, A::SearchNext]),
            ]
            .concat(),
            Expect {
                selected: Some(1),
                status: Some("match 1 of 2"),
                ..Expect::default()
            },
        ),
        (
            "search-prev goes back in tree order",
            searched("fox"),
            acts(&[A::SearchPrev]),
            Expect {
                selected: Some(1),
                status: Some("match 1 of 2"),
                ..Expect::default()
            },
        ),
        (
            "search-next before any search says how to search",
            branched(),
            acts(&[A::SearchNext]),
            Expect {
                selected: Some(5),
                status: Some("nothing searched yet"),
                ..Expect::default()
            },
        ),
        (
            "open-image asks the effects to open the selected image",
            branched(),
            acts(&[A::OpenImage]),
            Expect {
                selected: Some(5),
                effects: vec![E::OpenImage(blob("cc"))],
                status: Some("opening"),
                ..Expect::default()
            },
        ),
        (
            "open-image on a prompt without images says so",
            branched_at(4),
            acts(&[A::OpenImage]),
            Expect {
                selected: Some(4),
                status: Some("no image on this turn"),
                ..Expect::default()
            },
        ),
        (
            "copy-path sends the image's path to the clipboard",
            branched(),
            acts(&[A::CopyPath]),
            Expect {
                selected: Some(5),
                effects: vec![E::CopyPath(blob("cc"))],
                ..Expect::default()
            },
        ),
        (
            "label: typed, enter sets and saves",
            branched(),
            [acts(&[A::Label]), typed("best"), acts(&[A::Confirm])].concat(),
            Expect {
                selected: Some(5),
                effects: vec![E::Save],
                status: Some("labelled n5 best"),
                ..Expect::default()
            },
        ),
        (
            "tree-narrower and tree-wider change nothing in the tree",
            branched(),
            acts(&[A::TreeNarrower, A::TreeWider, A::TreeWider]),
            Expect {
                selected: Some(5),
                ..Expect::default()
            },
        ),
        (
            "fold hides the subtree and says how much",
            branched_at(2),
            acts(&[A::Fold]),
            Expect {
                selected: Some(2),
                status: Some("folded n2: 2 turns hidden"),
                ..Expect::default()
            },
        ),
        (
            "fold on a leaf says there is nothing below",
            branched(),
            acts(&[A::Fold]),
            Expect {
                selected: Some(5),
                status: Some("nothing below n5"),
                ..Expect::default()
            },
        ),
        (
            "gallery opens on the selected variant",
            branched_at(3),
            acts(&[A::Gallery]),
            Expect {
                selected: Some(3),
                overlay: Overlay::Gallery {
                    parent: n(1),
                    cursor: 1,
                },
                ..Expect::default()
            },
        ),
        (
            "gallery: move and enter selects the variant",
            branched_at(1),
            acts(&[A::Gallery, A::MoveRight, A::MoveRight, A::Confirm]),
            Expect {
                selected: Some(3),
                ..Expect::default()
            },
        ),
        (
            "gallery of a prompt without images says so",
            branched_at(4).tap(|a| {
                let _ = a.conv.delete_subtree(n(5));
                let _ = a.conv.select(n(4));
            }),
            acts(&[A::Gallery]),
            Expect {
                selected: Some(4),
                status: Some("no images under n4"),
                ..Expect::default()
            },
        ),
        (
            "compare: the first marks",
            branched_at(2),
            acts(&[A::Compare]),
            Expect {
                selected: Some(2),
                status: Some("n2 marked"),
                ..Expect::default()
            },
        ),
        (
            "compare: the second, on another image, opens the view",
            branched_at(2),
            acts(&[A::Compare, A::MoveDown, A::MoveDown, A::Compare]),
            Expect {
                selected: Some(5),
                overlay: Overlay::Compare {
                    left: n(2),
                    right: n(5),
                },
                ..Expect::default()
            },
        ),
        (
            "compare from the gallery",
            branched_at(2),
            acts(&[A::Compare, A::Gallery, A::MoveRight, A::Compare]),
            Expect {
                selected: Some(2),
                overlay: Overlay::Compare {
                    left: n(2),
                    right: n(3),
                },
                ..Expect::default()
            },
        ),
        (
            "compare on a prompt refuses",
            branched_at(1),
            acts(&[A::Compare]),
            Expect {
                selected: Some(1),
                status: Some("n1 has no image to compare"),
                ..Expect::default()
            },
        ),
        (
            "complete asks for the folder's entries",
            branched(),
            [acts(&[A::Attach]), typed("src/ma"), acts(&[A::Complete])].concat(),
            Expect {
                selected: Some(5),
                overlay: Overlay::Input(InputBox::new(InputKind::Attach, "src/ma")),
                effects: vec![E::ListDir {
                    input: "src/ma".into(),
                }],
                ..Expect::default()
            },
        ),
        (
            "complete does nothing on a URL or a label",
            branched(),
            [
                acts(&[A::Attach]),
                typed("https://x/"),
                acts(&[A::Complete]),
            ]
            .concat(),
            Expect {
                selected: Some(5),
                overlay: Overlay::Input(InputBox::new(InputKind::Attach, "https://x/")),
                ..Expect::default()
            },
        ),
        (
            "replay: step follows the remembered branch",
            replaying(),
            acts(&[A::Step, A::Step]),
            Expect {
                selected: Some(4),
                ..Expect::default()
            },
        ),
        (
            "replay: step-back",
            replaying(),
            acts(&[A::Step, A::Step, A::StepBack]),
            Expect {
                selected: Some(2),
                ..Expect::default()
            },
        ),
        (
            "replay: play-pause",
            replaying(),
            acts(&[A::PlayPause]),
            Expect {
                selected: Some(1),
                status: Some("playing, 2.0 s per turn"),
                ..Expect::default()
            },
        ),
        (
            "replay: faster",
            replaying(),
            acts(&[A::Faster]),
            Expect {
                selected: Some(1),
                status: Some("1.5 s per turn"),
                ..Expect::default()
            },
        ),
        (
            "replay: slower",
            replaying(),
            acts(&[A::Slower]),
            Expect {
                selected: Some(1),
                status: Some("3.0 s per turn"),
                ..Expect::default()
            },
        ),
        (
            "replay: a sibling switch keeps the branch below it",
            replaying(),
            acts(&[A::Step, A::NextSibling, A::Step]),
            Expect {
                selected: Some(3),
                status: Some("the end of this branch"),
                ..Expect::default()
            },
        ),
        (
            "replay is read-only: writing is refused",
            replaying(),
            acts(&[A::Compose, A::Star, A::Delete, A::Regenerate, A::Label]),
            Expect {
                selected: Some(1),
                status: Some("a replay is read-only"),
                ..Expect::default()
            },
        ),
        (
            "replay: quit leaves without saving",
            replaying(),
            acts(&[A::Quit]),
            Expect {
                selected: Some(1),
                effects: vec![E::Quit],
                ..Expect::default()
            },
        ),
    ];
    cases.extend(super::save_tests::cases());
    cases
}

trait Tap: Sized {
    fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
}

impl Tap for App {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

#[test]
fn a_playing_replay_steps_on_ticks_and_stops_at_the_end() {
    let mut a = replaying();
    run(&mut a, acts(&[A::PlayPause]));
    assert!(a.animating());
    let t0 = a.clock.mono;
    let mut at = Vec::new();
    for s in 1..=5 {
        // Ticks in between do nothing.
        a.clock.mono = t0 + Duration::from_millis(2000 * s - 100);
        update(&mut a, Msg::Event(Event::Tick));
        a.clock.mono = t0 + Duration::from_millis(2000 * s);
        update(&mut a, Msg::Event(Event::Tick));
        at.push(a.conv.selected.map(|s| s.0));
    }
    assert_eq!(at, [Some(2), Some(4), Some(5), Some(5), Some(5)]);
    assert!(!a.animating(), "stopped at the end");
    assert_eq!(a.shown_path(), [n(1), n(2), n(4), n(5)]);
    // Play again at the end starts over.
    run(&mut a, acts(&[A::PlayPause]));
    assert_eq!(a.conv.selected, Some(n(1)));
}

#[test]
fn tree_width_moves_in_steps_within_bounds() {
    let mut a = branched();
    a.show_tree = false;
    run(&mut a, acts(&[A::TreeWider]));
    assert!(a.show_tree, "widening shows the tree");
    assert_eq!(a.tree_delta, 4);
    run(&mut a, vec![Msg::Action(A::TreeNarrower); 30]);
    assert_eq!(a.tree_delta, -40);
    run(&mut a, vec![Msg::Action(A::TreeWider); 40]);
    assert_eq!(a.tree_delta, 80);
}

#[test]
fn a_fold_opens_when_the_selection_goes_inside() {
    let mut a = branched_at(2);
    run(&mut a, acts(&[A::Fold]));
    assert!(a.folded.contains(&n(2)));
    run(&mut a, acts(&[A::Fold]));
    assert!(a.folded.is_empty(), "fold toggles");
    run(&mut a, acts(&[A::Fold, A::MoveDown]));
    assert_eq!(a.conv.selected, Some(n(4)));
    assert!(a.folded.is_empty(), "moving inside unfolds");
    // Space views the image in the tree and the transcript alike (one
    // meaning per key per place); z folds.
    let space = || {
        Msg::Event(Event::Key(ratatui::crossterm::event::KeyEvent::new(
            ratatui::crossterm::event::KeyCode::Char(' '),
            ratatui::crossterm::event::KeyModifiers::NONE,
        )))
    };
    let mut a = branched();
    run(&mut a, [space()]);
    assert_eq!(a.overlay, Overlay::ImageView(n(5)));
    let mut b = branched();
    b.focus = Focus::Transcript;
    run(&mut b, [space()]);
    assert_eq!(b.overlay, Overlay::ImageView(n(5)));
}

#[test]
fn labels_are_set_sanitized_and_removed() {
    let mut a = branched();
    run(
        &mut a,
        [
            acts(&[A::Label]),
            typed("best\x1b[31m"),
            acts(&[A::Confirm]),
        ]
        .concat(),
    );
    assert_eq!(
        a.conv.node(n(5)).unwrap().label.as_deref(),
        Some("best[31m")
    );
    // The box starts with the label; ctrl-u clears it; empty removes.
    run(&mut a, acts(&[A::Label]));
    assert!(matches!(&a.overlay, Overlay::Input(b) if b.text == "best[31m"));
    let ctrl_u = Msg::Event(Event::Key(ratatui::crossterm::event::KeyEvent::new(
        ratatui::crossterm::event::KeyCode::Char('u'),
        ratatui::crossterm::event::KeyModifiers::CONTROL,
    )));
    let fx = run(&mut a, [ctrl_u, Msg::Action(A::Confirm)]);
    assert_eq!(fx, vec![E::Save]);
    assert_eq!(a.conv.node(n(5)).unwrap().label, None);
}

#[test]
fn completions_apply_only_to_the_input_they_were_asked_for() {
    let mut a = branched();
    run(&mut a, [acts(&[A::Attach]), typed("pics/fo")].concat());
    let found = || Ok(vec!["forest/".to_owned(), "fox.png".to_owned()]);
    let answer = |input: &str, result| {
        Msg::Event(Event::Completions {
            input: input.to_owned(),
            result,
        })
    };
    update(&mut a, answer("pics/f", found()));
    assert!(
        matches!(&a.overlay, Overlay::Input(b) if b.text == "pics/fo" && b.completions.is_empty()),
        "stale answer dropped"
    );
    update(&mut a, answer("pics/fo", found()));
    assert!(
        matches!(&a.overlay, Overlay::Input(b) if b.text == "pics/fo" && b.completions.len() == 2)
    );
    run(&mut a, [key('x')]);
    assert!(
        matches!(&a.overlay, Overlay::Input(b) if b.completions.is_empty()),
        "typing clears the list"
    );
    update(&mut a, answer("pics/fo", found()));
    assert!(
        matches!(&a.overlay, Overlay::Input(b) if b.text == "pics/fox" && b.completions.is_empty()),
        "typed x since: stale"
    );
    let mut b = branched();
    run(&mut b, [acts(&[A::Attach]), typed("pics/fox.")].concat());
    update(&mut b, answer("pics/fox.", Ok(vec!["fox.png".to_owned()])));
    assert!(matches!(&b.overlay, Overlay::Input(x) if x.text == "pics/fox.png"));
    update(
        &mut b,
        answer("pics/fox.png", Err("permission denied".into())),
    );
    assert!(b.status.unwrap().text.contains("cannot list"));
}

#[test]
fn notices_from_effects_reach_the_status_line_sanitized() {
    let mut a = branched();
    update(
        &mut a,
        Msg::Event(Event::Notice(Ok("saved /tmp/x.png".into()))),
    );
    assert_eq!(a.status.as_ref().unwrap().text, "saved /tmp/x.png");
    update(
        &mut a,
        Msg::Event(Event::Notice(Err("no xdg-open\x1b[2J here".into()))),
    );
    let s = a.status.unwrap();
    assert_eq!(s.kind, crate::tui::state::StatusKind::Error);
    assert!(!s.text.contains('\x1b'));
}

#[test]
fn the_estimate_is_the_median_of_the_same_model_and_tier() {
    let a = in_flight();
    // Done at 2K with the default model: 41.2 s, 38.9 s, 52.0 s.
    assert_eq!(a.estimate(n(8)), Some(Duration::from_millis(41_200)));
    // n7 asked for 4K: nothing finished at 4K yet.
    assert_eq!(a.estimate(n(7)), None);
    let mut b = in_flight();
    b.conv
        .complete(
            n(8),
            fixtures::image("dd", 2048, 1152),
            fixtures::outcome(30_000),
        )
        .unwrap();
    let n9 = b.conv.regenerate(n(8), None, fixtures::T0).unwrap();
    assert_eq!(
        b.estimate(n9),
        Some(Duration::from_millis((38_900 + 41_200) / 2)),
        "an even count takes the middle two"
    );
}
