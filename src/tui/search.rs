//! Searching prompts: which turns match a query, and the next match from
//! a turn in tree order. Pure, so `/`, `n` and `N` are tested as data.
//!
//! A turn matches when its prompt or its label contains every word of the
//! query, ignoring case (so `fox dusk` finds "a fox … at dusk").

use pixloom_core::tree::{Conversation, NodeId, Role};

/// Whether `text` contains every word of `query` (case-insensitive). An
/// empty query matches nothing.
pub(crate) fn text_matches(text: &str, query: &str) -> bool {
    let text = text.to_lowercase();
    let mut words = query.split_whitespace().peekable();
    words.peek().is_some() && words.all(|w| text.contains(&w.to_lowercase()))
}

/// The user turns (and labelled turns) matching `query`, in tree order.
pub(crate) fn matches(conv: &Conversation, query: &str) -> Vec<NodeId> {
    conv.preorder()
        .into_iter()
        .filter(|id| {
            conv.node(*id).is_ok_and(|n| {
                (n.role == Role::User && text_matches(&n.text(), query))
                    || n.label.as_deref().is_some_and(|l| text_matches(l, query))
            })
        })
        .collect()
}

/// The match after (`forward`) or before `from` in tree order, wrapping
/// around; `include_from` lets `from` itself count (incremental search
/// stays on a turn that still matches).
pub(crate) fn next_match(
    conv: &Conversation,
    query: &str,
    from: Option<NodeId>,
    forward: bool,
    include_from: bool,
) -> Option<NodeId> {
    let hits = matches(conv, query);
    if hits.is_empty() {
        return None;
    }
    let order = conv.preorder();
    let pos = |id: NodeId| order.iter().position(|o| *o == id);
    let Some(at) = from.and_then(pos) else {
        return if forward {
            hits.first().copied()
        } else {
            hits.last().copied()
        };
    };
    let hit_pos: Vec<(usize, NodeId)> = hits
        .iter()
        .filter_map(|h| pos(*h).map(|p| (p, *h)))
        .collect();
    let found = if forward {
        hit_pos
            .iter()
            .find(|(p, _)| *p > at || (include_from && *p == at))
            .or(hit_pos.first())
    } else {
        hit_pos
            .iter()
            .rev()
            .find(|(p, _)| *p < at || (include_from && *p == at))
            .or(hit_pos.last())
    };
    found.map(|(_, id)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures::{branched_conv, n};

    #[test]
    fn words_match_in_any_order_ignoring_case() {
        assert!(text_matches("A red fox in snow", "FOX red"));
        assert!(!text_matches("A red fox in snow", "fox dusk"));
        assert!(!text_matches("anything", "   "));
    }

    #[test]
    fn matches_and_next_wrap_in_tree_order() {
        let mut c = branched_conv();
        c.set_label(n(3), Some("best fox".into())).unwrap();
        // Tree order: n1 n2 n4 n5 n3 n6 n7.
        assert_eq!(matches(&c, "fox"), [n(1), n(3), n(6)]);
        assert_eq!(matches(&c, "dusk"), [n(4)]);
        let cases = [
            (None, true, false, Some(1)),
            (None, false, false, Some(6)),
            (Some(1), true, false, Some(3)),
            (Some(1), true, true, Some(1)),
            (Some(5), true, false, Some(3)),
            (Some(6), true, false, Some(1)),
            (Some(1), false, false, Some(6)),
            (Some(4), false, false, Some(1)),
        ];
        for (from, fwd, incl, want) in cases {
            assert_eq!(
                next_match(&c, "fox", from.map(n), fwd, incl),
                want.map(n),
                "{from:?} {fwd} {incl}"
            );
        }
        assert_eq!(next_match(&c, "zebra", Some(n(1)), true, false), None);
    }
}
