//! Exports of any depth read well: the conversation flows down the page,
//! branch points show their branches, the whole tree is there, and neither
//! the HTML's nesting nor Markdown's indentation grows with the depth.

use super::*;
use pixloom_core::tree::NodeId;

/// A conversation of `turns` nodes on the main line (user, assistant, …)
/// with a two-turn branch at every fifth turn, and from the tenth turn on
/// a ladder of branches each starting inside the one before (branches of
/// branches, `ladder` levels deep): the shapes a long session makes.
/// Making a turn selects it: each node remembers the child last made below.
fn branchy(turns: u32, ladder_len: u32) -> Conversation {
    let mut c = Conversation::new("branchy", T0);
    let turn = |c: &mut Conversation, parent: Option<NodeId>, what: &str| {
        let u = c.add_user(parent, text(what), T0).unwrap();
        let a = c.add_pending(u, &params("gpt-image-2-vip"), 1, T0).unwrap()[0];
        let error = TurnError {
            message: "failed".to_owned(),
            ..TurnError::default()
        };
        c.fail(a, error, Outcome::default()).unwrap();
        a
    };
    let mut main = Vec::new();
    let mut last = None;
    for i in 0..turns / 2 {
        let long = "a red fox in deep snow at dusk, photographed from low down ".repeat(3);
        last = Some(turn(&mut c, last, &format!("main {i}: {long}")));
        main.push(last.unwrap());
    }
    for (i, &at) in main.iter().enumerate().step_by(5) {
        turn(&mut c, Some(at), &format!("side at {i}"));
    }
    let mut ladder = vec![main[main.len().min(5) - 1]];
    for i in 0..ladder_len {
        let from = *ladder.last().unwrap();
        ladder.push(turn(&mut c, Some(from), &format!("ladder {i}")));
    }
    // A second child, made deepest first, is each ladder turn's remembered
    // one, so every rung of the ladder branches from the rung before.
    for (i, &at) in ladder.iter().enumerate().skip(1).rev() {
        turn(&mut c, Some(at), &format!("stay {i}"));
    }
    c.select(*main.last().unwrap()).unwrap();
    c.check().unwrap();
    c
}

/// How deep elements are open at the end of `page`, and the deepest they
/// nest anywhere in it (void elements do not nest).
fn html_depths(page: &str) -> (usize, usize) {
    let (mut depth, mut max) = (0usize, 0usize);
    for tag in page.split('<').skip(1) {
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '!')
            .collect();
        match name.to_ascii_lowercase().as_str() {
            "!doctype" | "meta" | "img" | "br" | "hr" | "link" | "input" => {}
            n if n.starts_with('/') => depth -= 1,
            _ => {
                depth += 1;
                max = max.max(depth);
            }
        }
    }
    (depth, max)
}

/// How deep the element with `id` sits in `page`.
fn depth_of(page: &str, id: &str) -> usize {
    let at = page.find(&format!(" id=\"{id}\"")).unwrap();
    let start = page[..at].rfind('<').unwrap();
    html_depths(&page[..start]).0 + 1
}

/// The widest indentation of any line.
fn md_indent(text: &str) -> usize {
    text.lines()
        .map(|l| l.len() - l.trim_start().len())
        .max()
        .unwrap_or(0)
}

fn export(home: &Path, name: &str, format: &str, ext: &str) -> String {
    let out = format!("{name}.{ext}");
    pixloom(home, &["export", name, "--format", format, "--out", &out]).ok();
    std::fs::read_to_string(home.join(out)).unwrap()
}

#[test]
fn exports_of_any_depth_keep_text_at_the_margin_and_the_whole_tree() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let mut depths = Vec::new();
    for (name, turns, ladder) in [("short", 20, 4), ("long", 100, 12), ("longer", 240, 30)] {
        let conv = branchy(turns, ladder);
        write_conversation(h, name, &conv);
        let page = export(h, name, "html", "html");
        let md = export(h, name, "markdown", "md");
        // The whole tree, each turn once.
        for id in conv.nodes.keys() {
            assert_eq!(
                page.matches(&format!(" id=\"{id}\"")).count(),
                1,
                "{id} in the page"
            );
            assert_eq!(
                md.matches(&format!("**{id}**")).count(),
                1,
                "{id} in the Markdown"
            );
        }
        // The main line flows down the page: its last turn sits as
        // shallow as its first.
        let (first, last) = (conv.roots[0], conv.selected.unwrap());
        assert_eq!(
            depth_of(&page, &last.to_string()),
            depth_of(&page, &first.to_string())
        );
        assert_eq!(html_depths(&page).0, 0, "every element is closed");
        assert!(
            page.contains("<details class=\"branch\""),
            "branches collapse"
        );
        assert!(md.contains("## Branches"), "a table of contents");
        // Past the nesting limit a branch is linked and written below.
        assert!(page.contains("<h2>More branches</h2>"), "{name}");
        assert!(
            md_indent(&md) <= 6,
            "Markdown indents at most 6: {}",
            md_indent(&md)
        );
        depths.push(html_depths(&page).1);
    }
    // The nesting is a constant, not the depth.
    assert!(depths.iter().all(|&d| d == depths[0]), "{depths:?}");
    assert!(depths[0] <= 12, "{depths:?}");
}

/// Branches of branches hundreds deep (a hostile or very patient tree):
/// exported on a 2 MB stack, each turn once, nesting still the constant.
#[test]
fn a_ladder_of_hundreds_of_nested_branches_exports_flat() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // 800 levels: building it through the tree's API is quadratic.
    let conv = branchy(20, 800);
    write_conversation(h, "ladder", &conv);
    let short = branchy(20, 4);
    write_conversation(h, "short", &short);
    for format in ["html", "markdown"] {
        for name in ["ladder", "short"] {
            let out = format!("{name}.{format}");
            pixloom_small_stack(h, &["export", name, "--format", format, "--out", &out]).ok();
        }
    }
    let page = std::fs::read_to_string(h.join("ladder.html")).unwrap();
    let md = std::fs::read_to_string(h.join("ladder.markdown")).unwrap();
    assert_eq!(page.matches("<div class=\"turn ").count(), conv.len());
    assert_eq!(md.matches("<a id=\"n").count(), conv.len());
    let short_page = std::fs::read_to_string(h.join("short.html")).unwrap();
    assert_eq!(html_depths(&page), (0, html_depths(&short_page).1));
    assert!(md_indent(&md) <= 6, "{}", md_indent(&md));
}
