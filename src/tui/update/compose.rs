//! The composer's target and contents: opening it (`i`, `e`, `f`, alt-r),
//! leaving it, attachments (alt-x, a pasted image path).
//!
//! The rule kept here: the target is decided when the composer opens and,
//! whenever the composer does not have focus, follows the selection
//! ([`retarget`], run after every message). What was typed is never
//! dropped: a draft left behind by an edit or refine stays and the title
//! says where it will now go.

use tui_textarea::{CursorMove, TextArea};

use crate::sanitize;
use pixloom_core::tree::{ImageOrigin, ImageRef, Role, Status};

use super::super::state::{App, ComposeTarget, Focus};
use super::effect::Effect;

/// Focuses the composer, aimed where the selection says. An edit or
/// refine is only ever chosen with its own key, so `i` never resumes one
/// that was left.
pub(super) fn compose(app: &mut App) {
    app.composer.target = ComposeTarget::following(&app.conv);
    app.focus = Focus::Composer;
}

/// After every message: outside the composer its target follows the
/// selection; inside, a target whose node has gone follows it too. Says
/// so when an edit or refine is dropped with a draft.
pub(super) fn retarget(app: &mut App) {
    let c = &app.composer;
    if app.focus == Focus::Composer && c.target.is_live(&app.conv) {
        return;
    }
    let follow = ComposeTarget::following(&app.conv);
    if c.target == follow {
        return;
    }
    let left = c.target;
    let chosen = matches!(left, ComposeTarget::Beside(_) | ComposeTarget::Refine(_))
        || (left == ComposeTarget::Root && !app.conv.roots.is_empty());
    if chosen && !c.is_empty() {
        let now = follow.describe(&app.conv);
        app.composer.draft_from = Some(left);
        app.info(format!("draft kept · now: {now}"));
    }
    app.composer.target = follow;
}

/// `e`: the selected prompt (or the prompt of the selected image) in the
/// composer, sent as a new branch beside it. A draft left from editing the
/// same prompt is resumed; any other draft is replaced, and ctrl-u (undo)
/// brings it back.
pub(super) fn edit(app: &mut App) {
    let Some(user) = app.user_turn_of_selection() else {
        app.error("select a prompt (or its image) to edit");
        return;
    };
    let Ok(node) = app.conv.node(user) else {
        return;
    };
    let target = ComposeTarget::Beside(user);
    let resumed = app.composer.draft_from == Some(target) && !app.composer.is_empty();
    let mut note = String::new();
    if !resumed {
        let text = node.text();
        let images: Vec<_> = node.images().cloned().collect();
        let had_draft = !app.composer.text.is_empty() && app.composer.prompt() != text;
        replace_text(&mut app.composer.text, &text);
        app.composer.attachments = images;
        if had_draft {
            note = " (your draft was replaced: ctrl-u brings it back)".to_owned();
        }
    }
    app.composer.draft_from = None;
    app.composer.target = target;
    app.focus = Focus::Composer;
    let what = target.describe(&app.conv);
    app.info(format!("editing {user}: Enter sends it as a {what}{note}"));
}

/// Replaces the text as one edit the text area can undo, cursor at the
/// end (where one usually adds).
fn replace_text(area: &mut TextArea<'static>, text: &str) {
    if area.is_empty() {
        *area = TextArea::new(text.lines().map(str::to_owned).collect());
        if area.lines().is_empty() {
            *area = TextArea::default();
        }
    } else {
        area.select_all();
        area.insert_str(text);
    }
    area.move_cursor(CursorMove::Bottom);
    area.move_cursor(CursorMove::End);
}

/// `f`: a new prompt under the selected finished image. The draft stays.
pub(super) fn refine(app: &mut App) {
    match app.selected_node() {
        Some(n) if n.role == Role::Assistant && n.status() == Some(Status::Done) => {
            let id = n.id;
            app.composer.target = ComposeTarget::Refine(id);
            app.composer.draft_from = None;
            app.focus = Focus::Composer;
            app.info(format!("refining {id}: say what to change"));
        }
        _ => app.error("refine starts from a finished image: select one"),
    }
}

/// alt-r in the composer: the prompt starts a new tree; again goes back.
pub(super) fn toggle_new_root(app: &mut App) {
    let c = &mut app.composer;
    c.target = if c.target == ComposeTarget::Root {
        ComposeTarget::following(&app.conv)
    } else {
        ComposeTarget::Root
    };
    let what = c.target.describe(&app.conv);
    app.info(format!("now sending: {what}"));
}

/// alt-x: the last attachment goes (the picture stays in the store).
pub(super) fn detach(app: &mut App) {
    match app.composer.attachments.pop() {
        Some(img) => {
            let left = app.composer.attachments.len();
            app.info(format!(
                "removed {} ({left} attachment(s) left)",
                attachment_name(&img)
            ));
        }
        None => app.error("nothing attached to remove"),
    }
}

/// An attachment's name for one chip or line: the file's name, the URL,
/// sanitised.
pub(crate) fn attachment_name(img: &ImageRef) -> String {
    let name = match &img.origin {
        ImageOrigin::File { path } => std::path::Path::new(path)
            .file_name()
            .map_or_else(|| path.clone(), |f| f.to_string_lossy().into_owned()),
        ImageOrigin::Url { url } => url.clone(),
        ImageOrigin::Result => "result".to_owned(),
    };
    sanitize::line(&name).into_owned()
}

/// Image files a pasted path may name, by extension (lower case).
const IMAGE_EXTENSIONS: [&str; 8] = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"];

/// A paste that is exactly one path to an image file (however the
/// terminal quoted it) is meant as an attachment, as in Codex CLI: the
/// path it names, else `None` (the paste is text). Whether the file
/// exists and is an image is for the import to say; a paste that turns
/// out not to be one is put in as text then, so nothing is lost.
pub(super) fn pasted_image_path(pasted: &str) -> Option<String> {
    let one_line = pasted.trim();
    if one_line.is_empty() || one_line.contains('\n') {
        return None;
    }
    let path = crate::tui::dropped::dropped_path(one_line);
    let looks_like_path = ["/", "~/", "./", "../"].iter().any(|p| path.starts_with(p));
    let ext = std::path::Path::new(&path)
        .extension()?
        .to_string_lossy()
        .to_ascii_lowercase();
    (looks_like_path && IMAGE_EXTENSIONS.contains(&ext.as_str())).then_some(path)
}

/// Pasted into the composer: an image path attaches, anything else is text.
pub(super) fn paste_into_composer(app: &mut App, pasted: &str) -> Vec<Effect> {
    if let Some(path) = pasted_image_path(pasted) {
        app.info(format!(
            "attaching the pasted path {}…",
            sanitize::line(&path)
        ));
        return vec![Effect::ImportAttachment {
            source: path,
            pasted: Some(pasted.to_owned()),
        }];
    }
    app.composer.text.insert_str(sanitize::text(pasted));
    Vec::new()
}

/// An attachment import failed: a paste that only looked like an image
/// path goes in as the text it was.
pub(super) fn attach_failed(app: &mut App, source: &str, why: &str, pasted: Option<String>) {
    let why = sanitize::line(why);
    let source = sanitize::line(source);
    match pasted {
        Some(text) => {
            app.composer.text.insert_str(sanitize::text(&text));
            app.error(crate::errline::prefixed(
                "not attached, the paste went in as text",
                why,
                source,
            ));
        }
        None => app.error(crate::errline::prefixed("could not attach", why, source)),
    }
}
