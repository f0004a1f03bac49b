//! The HTML export: one self-contained page (images embedded) where each
//! line of turns flows straight down. At a branch point the branches are
//! `<details>` sections right there, closed, that flow flat too; past
//! [`INLINE_BRANCHES`] levels a branch is linked instead and written at the
//! end of the page, so no text is ever more than a few ems from the margin
//! whatever the depth of the tree. A table of contents lists every branch.

use std::fmt::Write as _;

use color_eyre::eyre::Result;

use super::layout::Layout;
use super::{embedded, esc, line_title, params, summary};
use crate::images::ImageStore;
use pixloom_core::tree::{Conversation, NodeId};

/// How many branch sections may sit inside one another on the page.
pub(crate) const INLINE_BRANCHES: usize = 2;

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;background:#111;color:#ddd}\
a{color:#8bf}h2{font-size:18px;margin:1.6em 0 .4em}\
.turn{margin:.5em 0;padding:.3em .6em;border-left:3px solid #333}\
.turn.user{border-left-color:#6a6}.turn.assistant{border-left-color:#68a}.turn.selected{background:#1b2330}\
.text{white-space:pre-wrap;overflow-wrap:anywhere}.user .text{color:#fff}\
.meta{color:#999;font-size:12px;overflow-wrap:anywhere}\
details.branch{margin:.4em 0 .8em;padding:0 0 0 .8em;border-left:2px dashed #555}\
details.branch>summary{cursor:pointer;color:#bbb;padding:.2em 0}\
nav ol{padding-left:1.5em}nav li{margin:.15em 0}\
img{max-width:100%;max-height:420px;display:block;margin:.3em 0}";

pub(super) fn html(
    conv: &Conversation,
    store: &ImageStore,
    skipped: &mut Vec<String>,
) -> Result<String> {
    let layout = Layout::of(conv);
    let mut out = String::new();
    let title = esc(&conv.title);
    let _ = write!(
        out,
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title>\
         <style>{STYLE}</style></head><body><h1>{title}</h1><p class=\"meta\">{}. Images are embedded previews (≤ 1.5 MB); the originals are in \
         the conversation's images/ folder.</p>",
        esc(&summary(conv, &layout))
    );
    contents(&mut out, conv, &layout);
    let mut page = Page {
        conv,
        store,
        layout: &layout,
        skipped,
        later: Vec::new(),
    };
    if let Some(main) = layout.lines.first() {
        let _ = write!(
            out,
            "<section id=\"line-{0}\"><h2>{1}</h2>",
            main.number,
            esc(&line_title(conv, main))
        );
        page.line(&mut out, main.number);
        out.push_str("</section>");
    }
    // Other roots, then every branch too deep to nest, each on its own.
    let mut later: Vec<usize> = layout
        .lines
        .iter()
        .skip(1)
        .filter(|l| l.from.is_none())
        .map(|l| l.number)
        .collect();
    let mut written = 0;
    let mut heading = false;
    loop {
        later.append(&mut page.later);
        let Some(&number) = later.get(written) else {
            break;
        };
        written += 1;
        if !heading {
            out.push_str("<h2>More branches</h2>");
            heading = true;
        }
        page.branch(&mut out, number);
        page.line(&mut out, number);
        out.push_str("</details>");
    }
    out.push_str("</body></html>\n");
    Ok(out)
}

/// The table of contents: every line, indented by its level up to
/// [`INLINE_BRANCHES`] + 1 steps.
fn contents(out: &mut String, conv: &Conversation, layout: &Layout) {
    if layout.lines.len() < 2 {
        return;
    }
    out.push_str("<nav><h2>Branches</h2><ol>");
    for line in &layout.lines {
        let indent = line.level.min(INLINE_BRANCHES + 1);
        let _ = write!(
            out,
            "<li style=\"margin-left:{indent}em\"><a href=\"#line-{}\">{}</a></li>",
            line.number,
            esc(&line_title(conv, line))
        );
    }
    out.push_str("</ol></nav>");
}

struct Page<'a> {
    conv: &'a Conversation,
    store: &'a ImageStore,
    layout: &'a Layout,
    skipped: &'a mut Vec<String>,
    /// Branches linked at their branch point, to be written at the end.
    later: Vec<usize>,
}

impl Page<'_> {
    /// A branch's opening `<details>` and summary.
    fn branch(&mut self, out: &mut String, number: usize) {
        if let Some(line) = self.layout.line(number) {
            let _ = write!(
                out,
                "<details class=\"branch\" id=\"line-{number}\"><summary>{}</summary>",
                esc(&line_title(self.conv, line))
            );
        }
    }

    /// The turns of line `number`, and at each branch point its branches:
    /// nested up to [`INLINE_BRANCHES`] deep, linked beyond. Iterative: a
    /// frame is a line, its next turn, and the branches of the turn just
    /// written still to open.
    fn line(&mut self, out: &mut String, number: usize) {
        struct Frame<'l> {
            turns: &'l [NodeId],
            at: usize,
            forks: &'l [usize],
        }
        let layout = self.layout;
        let frame = |n: usize| Frame {
            turns: layout.line(n).map_or(&[], |l| l.turns.as_slice()),
            at: 0,
            forks: &[],
        };
        let mut stack = vec![frame(number)];
        while let Some(top) = stack.last_mut() {
            if let Some((&branch, rest)) = top.forks.split_first() {
                top.forks = rest;
                if stack.len() <= INLINE_BRANCHES {
                    self.branch(out, branch);
                    stack.push(frame(branch));
                } else {
                    let title = layout.line(branch).map(|l| line_title(self.conv, l));
                    let _ = write!(
                        out,
                        "<p class=\"meta\">⑂ <a href=\"#line-{branch}\">{}</a> (below)</p>",
                        esc(&title.unwrap_or_default())
                    );
                    self.later.push(branch);
                }
                continue;
            }
            let Some(&id) = top.turns.get(top.at) else {
                stack.pop();
                if !stack.is_empty() {
                    out.push_str("</details>");
                }
                continue;
            };
            top.at += 1;
            top.forks = layout.forks(id);
            self.turn(out, id);
        }
    }

    fn turn(&mut self, out: &mut String, id: NodeId) {
        let Some(n) = self.conv.nodes.get(&id) else {
            return;
        };
        let role = n.role.as_str();
        let sel = if self.conv.selected == Some(id) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<div class=\"turn {role}{sel}\" id=\"{id}\"><div class=\"meta\">{id} {role}"
        );
        if n.starred {
            out.push_str(" ★");
        }
        if let Some(l) = &n.label {
            let _ = write!(out, " [{}]", esc(l));
        }
        let _ = write!(out, " {}</div>", esc(&params(n)));
        let text = n.text();
        if !text.is_empty() {
            let _ = write!(out, "<div class=\"text\">{}</div>", esc(&text));
        }
        for img in n.images() {
            match embedded(self.store, id, img) {
                Ok(data) => {
                    let _ = write!(
                        out,
                        "<img alt=\"{id} {}x{}\" src=\"{data}\">",
                        img.original.width, img.original.height,
                    );
                }
                Err(why) => {
                    let why = why.to_string();
                    let _ = write!(
                        out,
                        "<div class=\"text\">[image left out: {}]</div>",
                        esc(&why)
                    );
                    self.skipped.push(why);
                }
            }
        }
        out.push_str("</div>");
    }
}
