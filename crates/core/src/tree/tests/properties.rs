//! Properties: random scripts of operations keep every invariant, and each
//! operation changes exactly what it says.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

/// Whether the line's call must succeed on `conv`, from what the docs promise.
fn allowed(conv: &Conversation, line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    let target = || {
        words
            .get(1)
            .and_then(|w| w.parse::<NodeId>().ok())
            .and_then(|k| conv.nodes.get(&k))
    };
    let role = || target().map(|n| n.role);
    let status = || target().and_then(Node::status);
    let content = |from: usize| words.len() > from;
    match words[0] {
        "system" | "reply" => content(1),
        "user" => content(2) && (words[1] == "root" || target().is_some()),
        "refine" => content(2) && role() == Some(Role::Assistant),
        "edit" => content(2) && role() == Some(Role::User),
        "pend" => {
            role() == Some(Role::User) && (1..=MAX_VARIANTS).contains(&words[2].parse().unwrap())
        }
        "regen" => role() == Some(Role::Assistant),
        "retry" => status().is_some_and(Status::is_retryable),
        "done" | "refuse" | "fail" | "cancel" => status() == Some(Status::Pending),
        "select" | "label" | "star" | "delete" => target().is_some(),
        _ => true,
    }
}

/// What the line's call must have done, beyond the invariants.
fn assert_effect(before: &Conversation, after: &Conversation, line: &str, answer: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let target = words.get(1).and_then(|w| w.parse::<NodeId>().ok());
    let old: BTreeSet<NodeId> = before.nodes.keys().copied().collect();
    let new: BTreeSet<NodeId> = after.nodes.keys().copied().collect();
    let added: Vec<NodeId> = new.difference(&old).copied().collect();
    let answered: Vec<NodeId> = answer
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let node = |k: NodeId| &after.nodes[&k];
    let expected_parent = match words[0] {
        "system" => Some(None),
        "reply" => Some(before.selected),
        "user" => Some(target),
        "refine" => Some(target),
        "edit" => Some(before.nodes[&target.unwrap()].parent),
        _ => None,
    };
    if let Some(parent) = expected_parent {
        assert_eq!(added, answered);
        assert_eq!(node(added[0]).parent, parent);
        assert_eq!(after.selected, Some(added[0]));
    }
    match words[0] {
        "pend" | "regen" => {
            assert_eq!(added, answered);
            let user = before.nodes[&target.unwrap()].parent;
            let parent = if words[0] == "pend" { target } else { user };
            for &a in &added {
                assert_eq!(
                    (node(a).parent, node(a).status()),
                    (parent, Some(Status::Pending))
                );
            }
            assert_eq!(after.selected, Some(added[0]));
        }
        "retry" => {
            let n = node(target.unwrap());
            assert_eq!((n.status(), n.parts.len()), (Some(Status::Pending), 0));
            assert_eq!(n.turn.as_ref().unwrap().error, None);
        }
        "done" | "refuse" | "fail" | "cancel" => {
            let want = match words[0] {
                "done" => Status::Done,
                "refuse" => Status::Refused,
                "fail" => Status::Failed,
                _ => Status::Cancelled,
            };
            assert_eq!(node(target.unwrap()).status(), Some(want));
        }
        "interrupt" => {
            assert_eq!(answered, before.pending());
            assert!(after.pending().is_empty());
        }
        "select" => assert_eq!(after.selected, target),
        "delete" => {
            let gone: Vec<NodeId> = old.difference(&new).copied().collect();
            let mut removed = before.subtree(target.unwrap()).unwrap();
            assert_eq!(answered, removed);
            removed.sort();
            assert_eq!(gone, removed);
        }
        _ => {}
    }
    if !matches!(
        words[0],
        "system" | "reply" | "user" | "refine" | "edit" | "pend" | "regen"
    ) {
        assert!(added.is_empty(), "{line} added {added:?}");
    }
    if words[0] != "delete" {
        assert_eq!(new.len(), old.len() + added.len(), "{line} removed nodes");
    }
}

/// Prints the script so far when a check panics, ready for a table row.
struct ShowOnPanic<'a>(&'a [String]);

impl Drop for ShowOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("script: {}", self.0.join("; "));
        }
    }
}

/// The invariants every reachable state keeps.
fn assert_invariants(conv: &Conversation) {
    conv.check()
        .unwrap_or_else(|e| panic!("check: {e}\n{}", render(conv)));
    assert_eq!(
        conv.selected.is_some(),
        !conv.is_empty(),
        "a non-empty tree has a selection"
    );
    // The selected path starts at a root and each step goes parent → child,
    // the child remembered, so walking back down returns to it.
    let path = conv.selected_path();
    if let Some(first) = path.first() {
        assert!(conv.roots.contains(first));
        assert_eq!(path.last().copied(), conv.selected);
    }
    for w in path.windows(2) {
        let (p, c) = (&conv.nodes[&w[0]], &conv.nodes[&w[1]]);
        assert!(p.children.contains(&c.id) && c.parent == Some(p.id));
        assert_eq!(p.last_child, Some(c.id));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_sequence_of_operations_keeps_the_tree_sound(steps in prop::collection::vec(step(), 1..80)) {
        let mut conv = Conversation::new("prop", now());
        let mut issued = BTreeSet::new();
        let mut script = Vec::new();
        for step in &steps {
            let line = &resolve(&conv, step);
            script.push(line.clone());
            let _show = ShowOnPanic(&script);
            let before = conv.clone();
            let answer = run_one(&mut conv, line);
            let ok = !answer.starts_with("err");
            prop_assert_eq!(ok, allowed(&before, line), "{} answered {}", script.join("; "), answer);
            if ok {
                assert_effect(&before, &conv, line, &answer);
            } else {
                prop_assert_eq!(&conv, &before, "{} failed but changed the tree", script.join("; "));
            }
            assert_invariants(&conv);
            prop_assert!(conv.next_id >= before.next_id);
            for &id in conv.nodes.keys().filter(|k| !before.nodes.contains_key(k)) {
                prop_assert!(issued.insert(id), "{} reused", id);
            }
        }
        // Every state is the end of some shorter case, so one round trip
        // per case covers them all.
        let json = serde_json::to_string(&conv).expect("serializes");
        let back: Conversation = serde_json::from_str(&json).expect("deserializes");
        prop_assert_eq!(back, conv, "JSON round trip after {}", script.join("; "));
    }
}
