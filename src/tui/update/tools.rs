//! Actions around the tree that do not make requests: search, folding,
//! labels, the tree's width, opening / saving / copying an image, the
//! gallery and compare views, and the one-line input they share.

use crate::sanitize;
use pixloom_core::grid::GridSpec;
use pixloom_core::tree::{NodeId, Role};

use super::super::action::Action;
use super::super::complete;
use super::super::gallery_slots::GallerySlots;
use super::super::search::{matches, next_match};
use super::super::state::{App, Focus, InputBox, InputKind, Overlay};
use super::effect::{Effect, ignore};

/// Columns `<` / `>` take or give.
const TREE_STEP: i16 = 4;
const TREE_DELTA: std::ops::RangeInclusive<i16> = -40..=80;

pub(super) fn act(app: &mut App, a: Action) -> Vec<Effect> {
    match a {
        Action::Search => {
            app.overlay = Overlay::Input(InputBox::new(
                InputKind::Search {
                    origin: app.conv.selected,
                },
                "",
            ));
        }
        Action::SearchNext | Action::SearchPrev => search_again(app, a == Action::SearchNext),
        Action::OpenImage => {
            if let Some((_, blob)) = selected_image(app) {
                app.info(format!("opening {}…", blob.file_name()));
                return vec![Effect::OpenImage(blob)];
            }
        }
        Action::CopyPath => {
            if let Some((_, blob)) = selected_image(app) {
                return vec![Effect::CopyPath(blob)];
            }
        }
        Action::SaveImage => {
            if let Some((id, blob)) = selected_image(app) {
                let name = copy_name(id, &blob);
                app.overlay = Overlay::Input(InputBox::suggesting(InputKind::SaveImage(id), name));
            }
        }
        Action::Label => {
            if let Some(n) = app.selected_node() {
                let text = n.label.clone().unwrap_or_default();
                app.overlay = Overlay::Input(InputBox::suggesting(InputKind::Label(n.id), text));
            }
        }
        Action::TreeNarrower | Action::TreeWider => {
            let step = if a == Action::TreeWider {
                TREE_STEP
            } else {
                -TREE_STEP
            };
            app.tree_delta = (app.tree_delta + step).clamp(*TREE_DELTA.start(), *TREE_DELTA.end());
            app.show_tree = true;
        }
        Action::Fold => fold(app),
        Action::Gallery => open_gallery(app),
        Action::Compare => {
            if let Some(id) = app.conv.selected {
                compare(app, id);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// The name a copy is offered under, and takes inside a folder.
fn copy_name(id: NodeId, blob: &pixloom_core::tree::Blob) -> String {
    format!("{id}-{}x{}.{}", blob.width, blob.height, blob.ext)
}

/// The selected turn's first image, or why there is none.
fn selected_image(app: &mut App) -> Option<(NodeId, pixloom_core::tree::Blob)> {
    let found = app
        .selected_node()
        .and_then(|n| n.images().next().map(|i| (n.id, i.original.clone())));
    if found.is_none() {
        app.error("no image on this turn");
    }
    found
}

fn fold(app: &mut App) {
    let Some(n) = app.selected_node() else {
        return;
    };
    let (id, kids) = (n.id, n.children.len());
    if kids == 0 {
        app.info(format!("nothing below {id} to fold"));
    } else if app.folded.remove(&id) {
        app.info(format!("unfolded {id}"));
    } else {
        app.folded.insert(id);
        let hidden = app.conv.subtree(id).map_or(0, |s| s.len() - 1);
        app.info(format!("folded {id}: {hidden} turns hidden"));
    }
}

/// Opens any fold above the selection, so the selected row is drawn.
pub(super) fn reveal_selection(app: &mut App) {
    if app.folded.is_empty() {
        return;
    }
    let Some(sel) = app.conv.selected else { return };
    let path = app.conv.path_to(sel).unwrap_or_default();
    for id in &path[..path.len().saturating_sub(1)] {
        app.folded.remove(id);
    }
    // Folds of deleted turns go too.
    let conv = &app.conv;
    app.folded.retain(|id| conv.node(*id).is_ok());
}

/// After each edit of the search text: select the first match from where
/// the search started (that turn included); none → back to the start.
pub(super) fn search_as_typed(app: &mut App) {
    let Overlay::Input(InputBox {
        kind: InputKind::Search { origin },
        text,
        ..
    }) = &app.overlay
    else {
        return;
    };
    let (origin, query) = (*origin, text.clone());
    if query.trim().is_empty() {
        app.status = None;
        restore(app, origin);
        return;
    }
    match next_match(&app.conv, &query, origin, true, true) {
        Some(hit) => {
            ignore(app.conv.select(hit));
            let total = matches(&app.conv, &query).len();
            app.info(format!("{total} match(es)"));
        }
        None => {
            restore(app, origin);
            app.error(format!("no prompt contains {}", sanitize::line(&query)));
        }
    }
}

fn restore(app: &mut App, origin: Option<NodeId>) {
    match origin {
        Some(o) => ignore(app.conv.select(o)),
        None => app.conv.selected = None,
    }
}

fn search_again(app: &mut App, forward: bool) {
    let Some(query) = app.search.clone() else {
        app.info("nothing searched yet: / searches prompts");
        return;
    };
    match next_match(&app.conv, &query, app.conv.selected, forward, false) {
        Some(hit) => {
            ignore(app.conv.select(hit));
            let all = matches(&app.conv, &query);
            let at = all.iter().position(|m| *m == hit).map_or(0, |i| i + 1);
            app.info(format!(
                "match {at} of {} for {}",
                all.len(),
                sanitize::line(&query)
            ));
        }
        None => app.error(format!("no prompt contains {}", sanitize::line(&query))),
    }
}

/// Esc in an input: a search goes back to where it started.
pub(super) fn cancel_input(app: &mut App) {
    if let Overlay::Input(InputBox {
        kind: InputKind::Search { origin },
        ..
    }) = std::mem::take(&mut app.overlay)
    {
        restore(app, origin);
        app.status = None;
    }
}

pub(super) fn confirm_input(app: &mut App, b: InputBox) -> Vec<Effect> {
    let text = b.text.trim().to_owned();
    match b.kind {
        InputKind::Attach => {
            let text = crate::tui::dropped::dropped_path(&text);
            if !text.is_empty() {
                app.focus = Focus::Composer;
                app.info(format!("attaching {}…", sanitize::line(&text)));
                return vec![Effect::ImportAttachment {
                    source: text,
                    pasted: None,
                }];
            }
        }
        InputKind::SaveImage(id) => {
            let blob = app
                .conv
                .node(id)
                .ok()
                .and_then(|n| n.images().next().map(|i| i.original.clone()));
            if let (Some(blob), false) = (blob, text.is_empty()) {
                app.info(format!("saving {id} to {}…", sanitize::line(&text)));
                return vec![Effect::SaveImage {
                    name: copy_name(id, &blob),
                    dest: text,
                    recipe: crate::images::recipe(&app.conv, id),
                    blob,
                }];
            }
        }
        InputKind::Grid(user) => match GridSpec::checked_line(&text, &app.composer.params) {
            Ok((spec, _)) => return super::turns::start_grid(app, user, &spec),
            Err(e) => {
                // The box stays with what was typed, to fix.
                app.error(format!("{e}; fix the lists, or esc closes"));
                app.overlay = Overlay::Input(InputBox::new(InputKind::Grid(user), &b.text));
            }
        },
        InputKind::Label(id) => {
            let label = sanitize::line(&text).into_owned();
            if app.conv.set_label(id, Some(label.clone())).is_ok() {
                app.info(if label.is_empty() {
                    format!("removed the label of {id}")
                } else {
                    format!("labelled {id} {label}")
                });
                return vec![Effect::Save];
            }
        }
        InputKind::Search { .. } => {
            if text.is_empty() {
                app.search = None;
            } else {
                let total = matches(&app.conv, &text).len();
                app.search = Some(text);
                if total > 0 {
                    app.info(format!("{total} match(es): n next, N previous"));
                }
            }
        }
    }
    Vec::new()
}

/// Tab in an input: ask for the directory's entries. On a selected
/// suggestion (a copy's name) Tab browses from here, as typing would
/// replace it: the name still goes into the folder picked.
pub(super) fn complete(app: &mut App) -> Vec<Effect> {
    if let Overlay::Input(b) = &mut app.overlay
        && b.selected
        && b.completes_paths()
    {
        b.set_text(String::new());
    }
    match &app.overlay {
        Overlay::Input(b) if b.completes_paths() && complete::completable(&b.text) => {
            vec![Effect::ListDir {
                input: b.text.clone(),
            }]
        }
        _ => Vec::new(),
    }
}

/// The entries for a Tab press, if the input is still what was typed.
pub(super) fn completions(app: &mut App, input: &str, result: Result<Vec<String>, String>) {
    let Overlay::Input(b) = &mut app.overlay else {
        return;
    };
    if b.text != input {
        return;
    }
    match result {
        Ok(found) if found.is_empty() => {
            b.completions.clear();
            app.info("nothing there starts like that");
        }
        Ok(found) => {
            b.set_text(complete::apply(input, &found));
            b.completions = if found.len() > 1 { found } else { Vec::new() };
        }
        Err(e) => app.error(format!("cannot list that folder: {}", sanitize::line(&e))),
    }
}

fn open_gallery(app: &mut App) {
    let Some(parent) = app.gallery_parent() else {
        app.error("select a prompt or one of its images");
        return;
    };
    let gallery = GallerySlots::of(&app.conv, parent);
    if gallery.slots.is_empty() {
        app.error(format!("no images under {parent} yet"));
        return;
    }
    let cursor = app
        .conv
        .selected
        .and_then(|s| gallery.position(s))
        .unwrap_or(0);
    app.overlay = Overlay::Gallery { parent, cursor };
}

/// Keys while the gallery is open.
pub(super) fn gallery_key(app: &mut App, a: Action) -> Vec<Effect> {
    let Overlay::Gallery { parent, cursor } = app.overlay else {
        return Vec::new();
    };
    let gallery = GallerySlots::of(&app.conv, parent);
    let last = gallery.slots.len().saturating_sub(1);
    let cols = gallery.cols;
    let moved = match a {
        Action::MoveLeft => Some(cursor.saturating_sub(1)),
        Action::MoveRight => Some((cursor + 1).min(last)),
        Action::MoveUp => Some(cursor.saturating_sub(cols)),
        Action::MoveDown => Some((cursor + cols).min(last)),
        _ => None,
    };
    if let Some(c) = moved {
        app.overlay = Overlay::Gallery { parent, cursor: c };
        return Vec::new();
    }
    let at = gallery.at(cursor.min(last));
    match a {
        Action::Confirm => {
            app.overlay = Overlay::None;
            if let Some(id) = at {
                ignore(app.conv.select(id));
            }
        }
        Action::Compare => {
            if let Some(id) = at {
                compare(app, id);
            }
        }
        Action::Dismiss | Action::Gallery => app.overlay = Overlay::None,
        Action::Quit => {
            app.overlay = Overlay::None;
            return super::act(app, a);
        }
        _ => {}
    }
    Vec::new()
}

/// `c` on an image: the first marks it, the second (on another image)
/// opens the compare view; `c` on the marked one clears the mark.
fn compare(app: &mut App, id: NodeId) {
    let has_image = app
        .conv
        .node(id)
        .is_ok_and(|n| n.role == Role::Assistant && n.images().next().is_some());
    if !has_image {
        app.error(format!("{id} has no image to compare"));
        return;
    }
    match app.compare_mark {
        Some(m) if m == id => {
            app.compare_mark = None;
            app.info(format!("{id} unmarked"));
        }
        Some(m) if app.conv.node(m).is_ok() => {
            app.compare_mark = None;
            // The mark is used: its "marked…" line would outlive the view.
            app.status = None;
            app.overlay = Overlay::Compare { left: m, right: id };
        }
        _ => {
            app.compare_mark = Some(id);
            app.info(format!(
                "{id} marked: select another image and press c to compare"
            ));
        }
    }
}

/// j / k in the compare view: both sides one step down / up their
/// branches (step i of one beside step i of the other).
pub(super) fn compare_step(app: &mut App, down: bool) {
    let Overlay::Compare { left, right } = app.overlay else {
        return;
    };
    let Some((at, steps)) = app.conv.step_of(left, right) else {
        app.info(format!(
            "{left} and {right} are not at the same step of their branches: \
             compare two answers at the same depth to walk them"
        ));
        return;
    };
    let n = steps.len();
    let to = if down {
        Some(at + 1)
    } else {
        at.checked_sub(1)
    };
    match to.map(|i| (i, steps.get(i))) {
        Some((_, Some(&(Some(l), Some(r))))) => {
            app.status = None;
            app.overlay = Overlay::Compare { left: l, right: r };
        }
        Some((i, Some(&(l, r)))) => {
            let (goes, ends) = if l.is_some() { (l, right) } else { (r, left) };
            let goes = goes.map_or_else(String::new, |g| g.to_string());
            app.info(format!(
                "step {}/{n} is only on one side ({goes}): the branch of {ends} ends at step {}",
                i + 1,
                at + 1
            ));
        }
        _ => app.info(format!(
            "step {}/{n} is the {} step",
            at + 1,
            if down { "last" } else { "first" }
        )),
    }
}
