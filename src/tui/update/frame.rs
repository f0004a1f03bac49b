//! What a frame hands back to `update`: the view measures, `update`
//! keeps it (the scroll room) and asks for what is missing (thumbnails,
//! sixel and iTerm2 pictures), each once; pure like the rest of `update`.

use std::sync::Arc;

use super::super::graphics::encoded::PictureKey;
use super::super::state::App;
use super::super::thumbs::{GraphicsBackend, ThumbWant};
use super::super::view::Drawn;
use super::effect::Effect;

/// After a frame: what the view measured. The room of the scrolled
/// dialog it drew (what `j`/`k` scroll within), the thumbnails it showed
/// and the sixel / iTerm2 pictures it could not print yet, the missing ones asked
/// for (each once).
pub(crate) fn drawn(app: &mut App, drawn: &Drawn) -> Vec<Effect> {
    app.scroll_room = drawn.room;
    let mut fx = wanted_thumbnails(app, &drawn.wants);
    fx.extend(
        app.encoded
            .want(&drawn.encode_jobs)
            .into_iter()
            .map(Effect::EncodePicture),
    );
    fx
}

/// After a draw: the thumbnails the frame showed that must be decoded.
pub(crate) fn wanted_thumbnails(app: &mut App, wants: &[ThumbWant]) -> Vec<Effect> {
    if app.graphics == GraphicsBackend::None {
        return Vec::new();
    }
    app.thumbs
        .want(wants)
        .into_iter()
        .map(Effect::DecodeThumbnail)
        .collect()
}

/// A sixel or iTerm2 picture encoded (or why not): kept for the next frames.
pub(super) fn picture_encoded(
    app: &mut App,
    key: PictureKey,
    text: Result<Arc<str>, String>,
) -> Vec<Effect> {
    app.encoded.insert(key, text);
    Vec::new()
}
