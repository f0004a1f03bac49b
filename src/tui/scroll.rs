//! Scrolling the read-only dialogs (help, turn info, error detail): one
//! rule for all of them. The view knows how many rows fit and writes the
//! [`ScrollRoom`] of what it drew; `update` moves within it, so keys
//! pressed past an end do not pile up and `k` answers at once.

use super::action::Action;

/// How far the dialog last drawn can scroll, in rows. Before a dialog is
/// drawn the room is unknown ([`Default`]): no end, a row per page (the
/// view clamps what it shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScrollRoom {
    /// The largest first row (0 when everything fits).
    pub(crate) max: usize,
    /// Rows shown at once.
    pub(crate) page: usize,
}

impl Default for ScrollRoom {
    fn default() -> Self {
        ScrollRoom {
            max: usize::MAX,
            page: 1,
        }
    }
}

impl ScrollRoom {
    /// The room for `total` rows shown `shown` at a time.
    pub(crate) fn of(total: usize, shown: usize) -> ScrollRoom {
        ScrollRoom {
            max: total.saturating_sub(shown),
            page: shown,
        }
    }

    /// The first row after `a`, from `scroll`: a row for up/down, a page
    /// (less one row, kept for context) for page up/down, within the room.
    pub(crate) fn step(self, scroll: usize, a: Action) -> usize {
        let page = self.page.saturating_sub(1).max(1);
        let scroll = scroll.min(self.max);
        match a {
            Action::MoveUp => scroll.saturating_sub(1),
            Action::MoveDown => scroll.saturating_add(1),
            Action::PageUp => scroll.saturating_sub(page),
            Action::PageDown => scroll.saturating_add(page),
            _ => scroll,
        }
        .min(self.max)
    }

    /// The title's note on where the view is: `rows 1–20 of 34`, or
    /// nothing when everything fits.
    pub(crate) fn position(self, scroll: usize) -> Option<String> {
        (self.max > 0 && self.max < usize::MAX && self.page > 0).then(|| {
            let first = scroll.min(self.max) + 1;
            let total = self.max + self.page;
            format!("rows {first}–{} of {total}", first + self.page - 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_stay_within_the_room() {
        let room = ScrollRoom::of(34, 20);
        // (from, action, to)
        let table = [
            (0, Action::MoveUp, 0),
            (0, Action::MoveDown, 1),
            (0, Action::PageDown, 14),
            (13, Action::PageDown, 14),
            (14, Action::MoveDown, 14),
            (14, Action::PageUp, 0),
            // Past the end (the window grew since): up answers at once.
            (99, Action::MoveUp, 13),
            (5, Action::Confirm, 5),
        ];
        for (from, a, to) in table {
            assert_eq!(room.step(from, a), to, "{from} {a:?}");
        }
        assert_eq!(ScrollRoom::of(5, 20).step(0, Action::PageDown), 0);
        assert_eq!(room.position(14).as_deref(), Some("rows 15–34 of 34"));
        assert_eq!(ScrollRoom::of(5, 20).position(0), None);
        assert_eq!(ScrollRoom::of(5, 0).position(0), None, "no rows shown");
        assert_eq!(ScrollRoom::default().position(3), None, "not drawn yet");
    }
}
