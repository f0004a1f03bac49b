//! A 20,000-turn chain loads, shows and exports on a small stack.

use super::*;

const DEEP: usize = 20_000;

#[test]
fn a_20000_turn_chain_loads_shows_and_exports() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let dir = write_conversation(h, "deep", &chain(DEEP));
    // Loading in this test thread (2 MB stack): parse and `check`.
    let (conv, _) = pixloom::convfile::read_only(&dir).unwrap();
    assert_eq!(conv.len(), DEEP);

    let shown = pixloom_small_stack(h, &["show", "deep"]).ok().stdout();
    assert_eq!(shown.lines().count(), DEEP + 1);
    assert!(
        shown.contains("[depth 20000] n20000 assistant failed"),
        "the deepest turn"
    );
    // Nesting stops at 64 levels: the output grows with the turns, not
    // with their square (200 bytes a line here, not 60 KB).
    assert!(shown.len() < DEEP * 400, "{} bytes", shown.len());

    let j = pixloom_small_stack(h, &["show", "deep", "--json"])
        .ok()
        .json();
    assert_eq!(j["nodes"].as_array().unwrap().len(), DEEP);
    assert_eq!(j["selected_path"].as_array().map(Vec::len), Some(DEEP));

    let html = h.join("deep.html");
    pixloom_small_stack(
        h,
        &["export", "deep", "--format", "html", "--out", "deep.html"],
    )
    .ok();
    let page = std::fs::read_to_string(&html).unwrap();
    // One flat line of turns: nothing nests per turn.
    assert_eq!(page.matches("<div class=\"turn ").count(), DEEP);
    assert!(!page.contains("<details"), "a single path has no branches");
    assert!(page.len() < DEEP * 600, "{} bytes", page.len());

    pixloom_small_stack(
        h,
        &["export", "deep", "--format", "markdown", "--out", "deep.md"],
    )
    .ok();
    let md = std::fs::read_to_string(h.join("deep.md")).unwrap();
    assert_eq!(md.matches("**n").count(), DEEP);
    assert!(md.contains("**n20000** assistant"));
    assert!(!md.contains("\n "), "nothing indented");
    assert!(md.len() < DEEP * 400, "{} bytes", md.len());
}
