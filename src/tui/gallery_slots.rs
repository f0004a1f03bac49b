//! Where each picture sits in the gallery: the one rule the view draws by
//! and the keys move by. Plain variants fill rows of `GALLERY_COLS`; a grid
//! (siblings asked with different sizes and/or models, `core::grid`) is a
//! row per size and a column per model, each cell as wide as its most
//! variants, a gap where a cell has fewer. A picture's number (`‹2/5›`)
//! is not its slot: [`sibling_count`] is the one count every view shows.

use pixloom_core::grid::GridLayout;
use pixloom_core::tree::{Conversation, NodeId, Role};

use super::state::GALLERY_COLS;

/// The gallery of `parent`'s answers, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GallerySlots {
    /// Row-major; `None` is a gap in a grid. The gallery's cursor indexes
    /// this.
    pub(crate) slots: Vec<Option<NodeId>>,
    /// Slots a row.
    pub(crate) cols: usize,
    /// The grid's rows and columns (for their labels), when it is one.
    pub(crate) grid: Option<GridLayout>,
    /// Slots per grid cell (its most variants); 1 when no grid.
    pub(crate) per_cell: usize,
}

impl GallerySlots {
    pub(crate) fn of(conv: &Conversation, parent: NodeId) -> GallerySlots {
        if let Some(grid) = GridLayout::of(conv, parent) {
            let per_cell = grid
                .cells
                .iter()
                .flatten()
                .map(Vec::len)
                .max()
                .unwrap_or(1)
                .max(1);
            let mut slots = Vec::new();
            for row in &grid.cells {
                for cell in row {
                    slots.extend((0..per_cell).map(|i| cell.get(i).copied()));
                }
            }
            return GallerySlots {
                slots,
                cols: grid.cols.len() * per_cell,
                grid: Some(grid),
                per_cell,
            };
        }
        let slots: Vec<Option<NodeId>> = conv.node(parent).map_or_else(
            |_| Vec::new(),
            |p| {
                p.children
                    .iter()
                    .copied()
                    .filter(|c| conv.node(*c).is_ok_and(|c| c.role == Role::Assistant))
                    .map(Some)
                    .collect()
            },
        );
        GallerySlots {
            cols: GALLERY_COLS.min(slots.len()).max(1),
            slots,
            grid: None,
            per_cell: 1,
        }
    }

    /// The picture at `cursor` (none in a gap).
    pub(crate) fn at(&self, cursor: usize) -> Option<NodeId> {
        self.slots.get(cursor).copied().flatten()
    }

    /// Where `node` is.
    pub(crate) fn position(&self, node: NodeId) -> Option<usize> {
        self.slots.iter().position(|s| *s == Some(node))
    }

    /// The gallery title's count at `cursor`: the picture's
    /// [`sibling_count`] (`5/5`), or `–/5` on a gap of a grid. Never the
    /// slot, so it reads as the transcript's `‹5/5›` for the same picture.
    pub(crate) fn count_at(&self, conv: &Conversation, cursor: usize) -> String {
        match self.at(cursor).and_then(|id| sibling_count(conv, id)) {
            Some((at, of)) => format!("{at}/{of}"),
            None => format!("–/{}", self.slots.iter().flatten().count()),
        }
    }
}

/// Which of its siblings `node` is, and of how many, in the tree's order
/// (the order `[` / `]` step in and the tree pane lists): the one count
/// shown for a turn — the transcript's `‹2/5›`, the gallery's title and
/// its cells, the turn's details. A grid places its pictures by size and
/// model but does not number them again, so a plain variant beside a grid
/// has the same number everywhere.
pub(crate) fn sibling_count(conv: &Conversation, node: NodeId) -> Option<(usize, usize)> {
    conv.sibling_position(node).ok()
}
