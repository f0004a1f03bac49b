//! What the view keeps between frames ([`ViewState`]) and what one frame
//! hands back ([`Drawn`]). The view reads `&App` and writes only these:
//! no cell in `App`, no thread-local, no global. The loop feeds the
//! placements to the graphics presenter and what `update` needs (the
//! wanted thumbnails and sixel encodings, the scroll room) back to
//! [`update::drawn`](crate::tui::update::drawn), pure like every update.

use crate::tui::graphics::Placed;
use crate::tui::graphics::encoded::EncodeJob;
use crate::tui::scroll::ScrollRoom;
use crate::tui::thumbs::ThumbWant;

/// The view's own memory from one frame to the next: nothing `update`
/// reads, nothing saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewState {
    /// The transcript's first shown row, so a selection move within the
    /// shown turns does not scroll (every scrolled thumbnail row is image
    /// data sent again).
    pub(crate) transcript_offset: usize,
}

/// What one frame drew that someone else needs.
#[derive(Debug, Clone, Default)]
pub struct Drawn {
    /// Every thumbnail the frame showed (or will, once decoded): the loop
    /// asks for the missing ones.
    pub wants: Vec<ThumbWant>,
    /// The thumbnails drawn with pixels, in drawing order, for the
    /// graphics presenter (`graphics::visible` keeps those not drawn over).
    pub(crate) placed: Vec<Placed>,
    /// How far the scrolled dialog drawn can go; unknown
    /// ([`ScrollRoom::default`]) when none was drawn.
    pub(crate) room: ScrollRoom,
    /// Sixel pictures the frame showed as half-blocks because they are
    /// not encoded yet (filled by the screen that prints, after the view).
    pub(crate) encode_jobs: Vec<EncodeJob>,
}

impl Drawn {
    /// Notes a thumbnail's placement (`None`: half-blocks only).
    pub(crate) fn place(&mut self, placed: Option<Placed>) {
        self.placed.extend(placed);
    }
}
