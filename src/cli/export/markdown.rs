//! The Markdown export: a table of contents of branches, then each line of
//! turns as its own section, flat (no indentation at any depth). A branch
//! point names and links the branches that start there; each branch says
//! where it starts. Images are copied next to the file (`STEM_files/`) and
//! linked relative to it, so the export is self-contained wherever --out
//! points.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use color_eyre::eyre::Result;

use super::layout::{Layout, Line};
use super::{Target, copy_image, line_title, md, params, percent_encode, summary};
use crate::images::ImageStore;
use pixloom_core::tree::Conversation;

/// The deepest a table-of-contents entry is indented, in levels.
pub(crate) const CONTENTS_LEVELS: usize = 3;

pub(super) fn markdown(
    conv: &Conversation,
    store: &ImageStore,
    target: &Target,
    skipped: &mut Vec<String>,
) -> Result<String> {
    let layout = Layout::of(conv);
    let mut out = format!("# {}\n\n", md(&crate::sanitize::line(&conv.title)));
    let _ = writeln!(out, "{}\n", md(&summary(conv, &layout)));
    if layout.lines.len() > 1 {
        out.push_str("## Branches\n\n");
        for line in &layout.lines {
            let indent = "  ".repeat(line.level.min(CONTENTS_LEVELS));
            let _ = writeln!(out, "{indent}- {}", link(conv, line));
        }
        out.push('\n');
    }
    let mut images: Option<(PathBuf, String)> = None;
    let mut copied = HashMap::new();
    for line in &layout.lines {
        let _ = write!(
            out,
            "<a id=\"line-{}\"></a>\n\n## {}\n\n",
            line.number,
            md(&line_title(conv, line))
        );
        if let (Some(from), Some(parent)) =
            (line.from, line.parent_line.and_then(|p| layout.line(p)))
        {
            let _ = writeln!(
                out,
                "Branches from [{from}](#{from}) on {}.\n",
                link(conv, parent)
            );
        }
        for &id in &line.turns {
            let Some(n) = conv.nodes.get(&id) else {
                continue;
            };
            let _ = write!(out, "<a id=\"{id}\"></a>**{id}** {}", n.role.as_str());
            if n.starred {
                out.push_str(" ★");
            }
            if let Some(l) = &n.label {
                let _ = write!(out, " \\[{}\\]", md(&crate::sanitize::line(l)));
            }
            let p = params(n);
            if !p.is_empty() {
                let _ = write!(out, " — {}", md(&crate::sanitize::line(&p)));
            }
            out.push_str("\n\n");
            let text = n.text();
            if !text.is_empty() {
                for l in md(&text).lines() {
                    let _ = writeln!(out, "> {l}");
                }
                out.push('\n');
            }
            for img in n.images() {
                let (folder, dir_link) = match &images {
                    Some(made) => made,
                    None => images.insert(target.images_folder()?),
                };
                match copy_image(store, &img.original, folder, &mut copied)? {
                    Ok(name) => {
                        let _ = writeln!(out, "![{id}]({dir_link}/{})\n", percent_encode(&name));
                    }
                    Err(why) => {
                        let why = format!("{id}: {why}");
                        let _ = writeln!(out, "\\[image left out: {}\\]\n", md(&why));
                        skipped.push(why);
                    }
                }
            }
            for &b in layout.forks(id) {
                if let Some(branch) = layout.line(b) {
                    let _ = writeln!(out, "⑂ {}\n", link(conv, branch));
                }
            }
        }
    }
    Ok(out)
}

/// A link to a line's section, titled.
fn link(conv: &Conversation, line: &Line) -> String {
    format!("[{}](#line-{})", md(&line_title(conv, line)), line.number)
}
