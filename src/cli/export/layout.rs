//! How an export lays a tree of any depth out on a page: as *lines* of
//! turns that flow straight down, never as one nested list per turn.
//!
//! Line 1 is the main line: the selected path, continued below the
//! selected turn through remembered children. Every other child of a turn
//! starts a branch, itself a line that follows remembered (else first)
//! children to a leaf, and so on; a second root is a line with no fork.
//! Each line knows the turn it forks from, and each turn the branches that
//! fork from it, so the renderers can show siblings at the branch point and
//! a table of contents. Built iteratively; every node lands in exactly one
//! line, once, whatever the file claims.

use std::collections::{HashMap, HashSet};

use pixloom_core::tree::{Conversation, NodeId};

/// One line of turns, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    /// 1 for the main line, then depth-first: the order of a table of
    /// contents.
    pub(crate) number: usize,
    /// The turn this line branches from (`None` for a root).
    pub(crate) from: Option<NodeId>,
    /// The line that turn is on.
    pub(crate) parent_line: Option<usize>,
    /// How many branch points lie between the main line and this one (0
    /// for the main line and other roots).
    pub(crate) level: usize,
    pub(crate) turns: Vec<NodeId>,
}

/// The whole tree as lines, every node once.
#[derive(Debug, Default)]
pub(super) struct Layout {
    pub(crate) lines: Vec<Line>,
    /// The lines that branch from a turn, in the order of its children.
    forks: HashMap<NodeId, Vec<usize>>,
}

impl Layout {
    pub(super) fn of(conv: &Conversation) -> Layout {
        let on_path: HashSet<NodeId> = conv.selected_path().into_iter().collect();
        let main_root = conv
            .roots
            .iter()
            .copied()
            .find(|r| on_path.contains(r))
            .or_else(|| conv.roots.first().copied());
        let mut layout = Layout::default();
        let mut seen = HashSet::new();
        // Lines waiting to be laid out, as (first turn, fork, parent line),
        // taken from the end: depth-first, so lines are numbered in the
        // order of a table of contents (a branch right after its parent
        // line's earlier branches and their own) and other roots come last.
        let mut starts: Vec<(NodeId, Option<NodeId>, Option<usize>)> = conv
            .roots
            .iter()
            .rev()
            .filter(|&&r| Some(r) != main_root)
            .map(|&r| (r, None, None))
            .collect();
        starts.extend(main_root.map(|r| (r, None, None)));
        while let Some((first, from, parent_line)) = starts.pop() {
            if !seen.insert(first) {
                continue; // a node reached twice in an unchecked tree
            }
            let number = layout.lines.len() + 1;
            if let Some(f) = from {
                layout.forks.entry(f).or_default().push(number);
            }
            let level = parent_line.map_or(0, |p| layout.lines[p - 1].level + 1);
            let mut turns = Vec::new();
            let mut branches = Vec::new();
            let mut cur = Some(first);
            while let Some(id) = cur {
                let Some(n) = conv.nodes.get(&id) else { break };
                turns.push(id);
                let next = main_child(n.children.as_slice(), n.last_child, &on_path);
                for &c in &n.children {
                    if Some(c) != next {
                        branches.push((c, Some(id), Some(number)));
                    }
                }
                cur = next.filter(|&c| seen.insert(c));
            }
            starts.extend(branches.into_iter().rev());
            layout.lines.push(Line {
                number,
                from,
                parent_line,
                level,
                turns,
            });
        }
        layout
    }

    /// The branches (line numbers) that fork from `id`.
    pub(crate) fn forks(&self, id: NodeId) -> &[usize] {
        self.forks.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Line `number` (1-based).
    pub(super) fn line(&self, number: usize) -> Option<&Line> {
        number.checked_sub(1).and_then(|i| self.lines.get(i))
    }
}

/// The child a line goes on with: the one on the selected path, else the
/// remembered one, else the first.
fn main_child(
    children: &[NodeId],
    last_child: Option<NodeId>,
    on_path: &HashSet<NodeId>,
) -> Option<NodeId> {
    children
        .iter()
        .copied()
        .find(|c| on_path.contains(c))
        .or_else(|| last_child.filter(|c| children.contains(c)))
        .or_else(|| children.first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pixloom_core::tree::{Endpoint, Part, RequestParams};

    const T0: time::OffsetDateTime = time::macros::datetime!(2026-12-01 12:00 UTC);

    fn turn(c: &mut Conversation, parent: Option<NodeId>, text: &str) -> NodeId {
        let u = c
            .add_user(
                parent,
                vec![Part::Text {
                    text: text.to_owned(),
                }],
                T0,
            )
            .expect("user");
        let params = RequestParams {
            endpoint: Endpoint::Chat,
            model: "gpt-image-2-vip".to_owned(),
            size: "1280x1280".parse().expect("size"),
        };
        c.add_pending(u, &params, 1, T0).expect("pending")[0]
    }

    #[test]
    fn a_path_is_one_line_and_branches_are_lines_in_tree_order() {
        let mut c = Conversation::new("t", T0);
        let a1 = turn(&mut c, None, "one"); // n1 n2
        let a2 = turn(&mut c, Some(a1), "two"); // n3 n4
        let side = turn(&mut c, Some(a1), "side"); // n5 n6
        let _deeper = turn(&mut c, Some(side), "deeper"); // n7 n8
        c.select(a2).expect("select");
        let l = Layout::of(&c);
        let ids = |v: &[u32]| v.iter().map(|&i| NodeId(i)).collect::<Vec<_>>();
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.lines[0].turns, ids(&[1, 2, 3, 4]));
        assert_eq!(l.lines[1].turns, ids(&[5, 6, 7, 8]));
        assert_eq!(l.lines[1].from, Some(a1));
        assert_eq!(l.lines[1].parent_line, Some(1));
        assert_eq!(l.lines[1].level, 1);
        assert_eq!(l.forks(a1), &[2]);
        // A branch of a branch is numbered right after its parent line,
        // before the next branch of the main line: the table of contents
        // reads in tree order.
        turn(&mut c, Some(NodeId(6)), "side of side"); // n9 n10
        turn(&mut c, Some(a2), "on"); // n11 n12
        turn(&mut c, Some(a1), "other"); // n13 n14
        c.select(NodeId(12)).expect("select");
        let l = Layout::of(&c);
        let lines: Vec<_> = l.lines.iter().map(|l| (l.turns.clone(), l.level)).collect();
        assert_eq!(
            lines,
            [
                (ids(&[1, 2, 3, 4, 11, 12]), 0),
                (ids(&[5, 6, 9, 10]), 1), // n6 remembers n9, made last
                (ids(&[7, 8]), 2),
                (ids(&[13, 14]), 1),
            ]
        );
        assert_eq!(l.forks(a1), &[2, 4]);
        assert_eq!(l.forks(NodeId(6)), &[3]);
        // Selecting a turn in a branch makes its path the main line.
        c.select(NodeId(8)).expect("select");
        let l = Layout::of(&c);
        let lines: Vec<_> = l.lines.iter().map(|l| l.turns.clone()).collect();
        assert_eq!(
            lines,
            [
                ids(&[1, 2, 5, 6, 7, 8]),
                ids(&[3, 4, 11, 12]),
                ids(&[13, 14]),
                ids(&[9, 10]),
            ]
        );
    }
}
