//! Re-run plans as tables, and a property: re-running any span of any
//! random path adds a new branch of the same prompts and leaves every
//! original node as it was.

use proptest::prelude::*;

use super::*;
use crate::testkit::{build, now, params, render};
use crate::tree::Status;

/// u1 → a2 → u3(+ref) → a4 → u5 → a6, all done; a2 at 1280x720.
const PATH: &str = "reply a fox; pend n1 1 size=1280x720; done n2; refine n2 at night +ref; pend n3 1; done n4; refine n4 snow; pend n5 1 images; done n6";

fn change(model: Option<&str>) -> TurnSettings {
    TurnSettings {
        model: model.map(str::to_owned),
        ..TurnSettings::default()
    }
}

fn prompts(conv: &Conversation, ids: &[NodeId]) -> Vec<String> {
    ids.iter().map(|&n| conv.nodes[&n].text()).collect()
}

#[test]
fn the_user_turns_from_a_node_down_the_remembered_branch() {
    let conv = build(PATH);
    let ids = |from, to: Option<u32>| conv.rerun_turns(NodeId(from), to.map(NodeId));
    assert_eq!(ids(1, None), Ok(vec![NodeId(1), NodeId(3), NodeId(5)]));
    // From a picture: the turn that made it.
    assert_eq!(ids(4, None), Ok(vec![NodeId(3), NodeId(5)]));
    assert_eq!(ids(1, Some(4)), Ok(vec![NodeId(1), NodeId(3)]));
    assert_eq!(ids(3, Some(3)), Ok(vec![NodeId(3)]));
    assert_eq!(
        ids(3, Some(2)).unwrap_err().to_string(),
        "n2 is not on the path below n3; pick a node under n3"
    );
    assert_eq!(
        ids(9, None),
        Err(RerunError::Tree(TreeError::NoSuchNode(NodeId(9))))
    );
    let sys = build("system terse; reply a");
    assert_eq!(
        sys.rerun_turns(NodeId(1), None).unwrap_err().to_string(),
        "n1 is a system turn; re-run from a user turn or a picture below it"
    );
}

#[test]
fn a_plan_keeps_prompts_and_references_and_changes_only_what_is_asked() {
    let conv = build(PATH);
    let plan = conv
        .plan_rerun(NodeId(1), None, &change(Some("gpt-image-2-all")), &params())
        .unwrap();
    assert_eq!(plan.parent, None);
    assert_eq!(plan.calls(), 3);
    let sources: Vec<NodeId> = plan.steps.iter().map(|s| s.source).collect();
    assert_eq!(sources, [NodeId(1), NodeId(3), NodeId(5)]);
    for s in &plan.steps {
        assert_eq!(s.params.model, "gpt-image-2-all");
        let original: Vec<Part> = conv.nodes[&s.source].parts.clone();
        assert_eq!(s.parts.len(), original.len());
    }
    // Each step keeps its own size and endpoint.
    assert_eq!(plan.steps[0].params.size.to_string(), "1280x720");
    assert_eq!(plan.steps[2].params.endpoint, crate::tree::Endpoint::Images);
    // Nothing changed: the originals' parameters exactly.
    let same = conv
        .plan_rerun(NodeId(3), None, &TurnSettings::default(), &params())
        .unwrap();
    assert_eq!(same.parent, Some(NodeId(2)));
    assert_eq!(
        same.steps[0].params,
        conv.nodes[&NodeId(4)].turn.as_ref().unwrap().request
    );
}

#[test]
fn references_lose_their_gateway_link_and_unanswered_turns_take_the_fallback() {
    let mut conv = build("reply a; pend n1 1; done n2; refine n2 b");
    // A reference with a live link: the re-run sends the local copy.
    let mut image = crate::testkit::result("old", Some(time::Duration::hours(20)));
    image.origin = crate::tree::ImageOrigin::Result;
    conv.nodes
        .get_mut(&NodeId(3))
        .unwrap()
        .parts
        .push(Part::Image { image });
    let mut fallback = params();
    fallback.model = "fallback-model".to_owned();
    let plan = conv
        .plan_rerun(NodeId(1), None, &TurnSettings::default(), &fallback)
        .unwrap();
    let Part::Image { image } = &plan.steps[1].parts[1] else {
        panic!("an image part")
    };
    assert_eq!(image.remote, None);
    assert_eq!(image.original.sha256, "old");
    let refs: Vec<(NodeId, String)> = plan
        .references()
        .into_iter()
        .map(|(n, b)| (n, b.sha256))
        .collect();
    assert_eq!(refs, [(NodeId(3), "old".to_owned())]);
    assert_eq!(plan.steps[1].params.model, "fallback-model");
    assert_eq!(plan.steps[0].params, params());
}

#[test]
fn a_change_asking_a_model_for_a_size_it_cannot_make_is_refused_naming_the_step() {
    // n3's answer was gpt-image-2-all at 3840x2160; the others vip.
    let conv = build(
        "reply a; pend n1 1 size=1280x720; done n2; refine n2 b; pend n3 1 size=3840x2160 model=gpt-image-2-all; done n4",
    );
    let to_all = conv.plan_rerun(NodeId(1), None, &change(Some("gpt-image-2-all")), &params());
    assert_eq!(
        to_all.unwrap_err().to_string(),
        "refused for n3: gpt-image-2-all makes no 4K picture (3840x2160): pick a 1K or 2K size, or gpt-image-2-vip"
    );
    let four_k = TurnSettings {
        size: Some("2880x2880".parse().unwrap()),
        ..TurnSettings::default()
    };
    assert!(matches!(
        conv.plan_rerun(NodeId(1), None, &four_k, &params()),
        Err(RerunError::Refused {
            step: NodeId(3),
            ..
        })
    ));
    // As it was, or another endpoint: sent as before, not refused.
    assert!(
        conv.plan_rerun(NodeId(1), None, &TurnSettings::default(), &params())
            .is_ok()
    );
    let images = TurnSettings {
        endpoint: Some(crate::tree::Endpoint::Images),
        ..TurnSettings::default()
    };
    assert!(conv.plan_rerun(NodeId(1), None, &images, &params()).is_ok());
    // A 2K size with it is fine.
    let two_k = TurnSettings {
        size: Some("2048x1152".parse().unwrap()),
        model: Some("gpt-image-2-all".to_owned()),
        endpoint: None,
    };
    assert!(conv.plan_rerun(NodeId(1), None, &two_k, &params()).is_ok());
}

#[test]
fn steps_added_one_under_another_make_a_branch_beside_the_original() {
    let mut conv = build(PATH);
    let before = conv.clone();
    let plan = conv
        .plan_rerun(NodeId(3), None, &change(Some("m2")), &params())
        .unwrap();
    let mut parent = plan.parent;
    let mut added = Vec::new();
    for step in &plan.steps {
        let (user, answer) = conv.add_rerun_step(parent, step, now()).unwrap();
        conv.complete(
            answer,
            crate::testkit::result("x", None),
            Default::default(),
        )
        .unwrap();
        added.push(user);
        parent = Some(answer);
    }
    assert_eq!(
        render(&conv),
        "u1[a2.done[u3[a4.done[u5[a6.done]]] u7[a8.done[u9[a10.done*]]]]]"
    );
    assert_eq!(prompts(&conv, &added), ["at night", "snow"]);
    for id in before.nodes.keys() {
        if *id != NodeId(2) {
            assert_eq!(conv.nodes[id], before.nodes[id], "{id} changed");
        }
    }
}

/// A random path: user turns, each answered (done, failed or refused),
/// with a side branch now and then.
fn random_path() -> impl Strategy<Value = (String, usize)> {
    (
        prop::collection::vec((0..3u8, any::<bool>()), 1..6),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(turns, pick)| {
            let mut script = Vec::new();
            let mut id = 0u32;
            let mut last_answer: Option<u32> = None;
            for (i, (outcome, side)) in turns.iter().enumerate() {
                let user = id + 1;
                script.push(match last_answer {
                    None => format!("reply p{i}"),
                    Some(a) => format!("refine n{a} p{i}"),
                });
                script.push(format!("pend n{user} 1"));
                let answer = user + 1;
                script.push(match outcome {
                    0 => format!("done n{answer}"),
                    1 => format!("fail n{answer}"),
                    _ => format!("refuse n{answer} no"),
                });
                id = answer;
                if *side {
                    script.push(format!("pend n{user} 1"));
                    script.push(format!("select n{answer}"));
                    id += 1;
                }
                last_answer = Some(answer);
            }
            let users = turns.len();
            (script.join("; "), pick.index(users))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_rerun_never_touches_the_original((script, from) in random_path(), model in "[a-z]{1,8}") {
        let mut conv = build(&script);
        let before = conv.clone();
        let turns = conv.rerun_turns(conv.selected_path()[0], None).unwrap();
        let from = turns[from];
        let plan = conv.plan_rerun(from, None, &change(Some(&model)), &params()).unwrap();
        let expected = prompts(&conv, &turns[turns.iter().position(|&t| t == from).unwrap()..]);
        let start_parent = conv.nodes[&from].parent;
        prop_assert_eq!(plan.parent, start_parent);
        let mut parent = plan.parent;
        let mut users = Vec::new();
        for step in &plan.steps {
            let (user, answer) = conv.add_rerun_step(parent, step, now()).unwrap();
            prop_assert_eq!(conv.nodes[&user].parent, parent);
            prop_assert_eq!(conv.nodes[&answer].status(), Some(Status::Pending));
            prop_assert_eq!(&conv.nodes[&answer].turn.as_ref().unwrap().request.model, &model);
            conv.complete(answer, crate::testkit::result("n", None), Default::default()).unwrap();
            users.push(user);
            parent = Some(answer);
        }
        conv.check().unwrap();
        prop_assert_eq!(prompts(&conv, &users), expected);
        // Every original node is as it was, but for the new child (and the
        // remembered branch) of the node the new branch hangs from.
        for (id, old) in &before.nodes {
            let mut now_node = conv.nodes[id].clone();
            if Some(*id) == start_parent {
                now_node.children.retain(|c| before.nodes.contains_key(c));
                now_node.last_child = old.last_child;
            }
            prop_assert_eq!(&now_node, old, "{} changed", id);
        }
        if start_parent.is_none() {
            prop_assert_eq!(&conv.roots[..before.roots.len()], &before.roots[..]);
        }
    }
}

/// PATH and a re-run of it from n1 that stopped after two steps: u7 → a8
/// → u9 → a10, a new root beside u1.
const RERUN: &str = "user root a fox; pend n7 1; done n8; refine n8 at night; pend n9 1; done n10";

fn pairs(conv: &Conversation, a: u32, b: u32) -> Vec<(Option<u32>, Option<u32>)> {
    let id = |n: Option<NodeId>| n.map(|n| n.0);
    conv.paired_steps(NodeId(a), NodeId(b))
        .unwrap()
        .into_iter()
        .map(|(l, r)| (id(l), id(r)))
        .collect()
}

#[test]
fn a_rerun_and_its_original_pair_up_by_depth_the_shorter_ending_early() {
    let conv = build(&format!("{PATH}; {RERUN}"));
    let steps = vec![(Some(2), Some(8)), (Some(4), Some(10)), (Some(6), None)];
    // From the first answers, from a deeper one, from the user turns.
    assert_eq!(pairs(&conv, 2, 8), steps);
    assert_eq!(pairs(&conv, 4, 10), steps);
    assert_eq!(pairs(&conv, 1, 7), steps);
    // Sides swapped: the pairs swap.
    assert_eq!(
        pairs(&conv, 8, 2),
        vec![(Some(8), Some(2)), (Some(10), Some(4)), (None, Some(6))]
    );
    assert_eq!(
        conv.paired_steps(NodeId(2), NodeId(99)),
        Err(TreeError::NoSuchNode(NodeId(99)))
    );
}

#[test]
fn sibling_answers_pair_below_their_shared_user_turn() {
    // u1 → a2 → u4 → a5, and a3 a variant of a2 with nothing below.
    let conv = build("reply a; pend n1 2; done n2; done n3; refine n2 b; pend n4 1; done n5");
    assert_eq!(
        pairs(&conv, 2, 3),
        vec![(Some(2), Some(3)), (Some(5), None)]
    );
    assert_eq!(
        pairs(&conv, 3, 5),
        vec![(Some(3), Some(2)), (None, Some(5))]
    );
}

#[test]
fn the_step_two_answers_stand_at_is_found_only_at_the_same_depth() {
    let conv = build(&format!("{PATH}; {RERUN}"));
    let at = |a, b| {
        conv.step_of(NodeId(a), NodeId(b))
            .map(|(i, s)| (i, s.len()))
    };
    assert_eq!(at(2, 8), Some((0, 3)));
    assert_eq!(at(4, 10), Some((1, 3)));
    // Different depths, user turns, missing nodes: no step.
    assert_eq!(at(2, 10), None);
    assert_eq!(at(1, 7), None);
    assert_eq!(at(2, 99), None);
}
