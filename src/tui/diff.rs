//! A word-level diff of two prompts, for the compare view: the words both
//! share, the words only the left one has (removed), and the words only
//! the right one has (added). Longest common subsequence over words;
//! prompts are short, and longer ones are cut to [`MAX_WORDS`] so the
//! table stays small.

/// Words beyond this are left out of the comparison.
pub(crate) const MAX_WORDS: usize = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Same(String),
    Removed(String),
    Added(String),
}

/// The words of `left` and `right` in order, each marked.
pub(crate) fn words(left: &str, right: &str) -> Vec<Piece> {
    let a: Vec<&str> = left.split_whitespace().take(MAX_WORDS).collect();
    let b: Vec<&str> = right.split_whitespace().take(MAX_WORDS).collect();
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u16; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len() + b.len());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(Piece::Same(a[i].to_owned()));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Removed before added, as `diff` prints them.
            out.push(Piece::Removed(a[i].to_owned()));
            i += 1;
        } else {
            out.push(Piece::Added(b[j].to_owned()));
            j += 1;
        }
    }
    out
}

/// The diff as plain text, wdiff-style: `[-removed-]` and `{+added+}`.
#[cfg(test)]
pub(crate) fn render_plain(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Same(w) => w.clone(),
            Piece::Removed(w) => format!("[-{w}-]"),
            Piece::Added(w) => format!("{{+{w}+}}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_read_as_wdiff() {
        let cases = [
            ("a red fox", "a red fox", "a red fox"),
            (
                "a red fox in snow, golden hour",
                "a red fox in snow, watercolor",
                "a red fox in snow, [-golden-] [-hour-] {+watercolor+}",
            ),
            ("", "make it dusk", "{+make+} {+it+} {+dusk+}"),
            ("old words", "", "[-old-] [-words-]"),
            ("a b c d", "a c d e", "a [-b-] c d {+e+}"),
        ];
        for (l, r, want) in cases {
            assert_eq!(render_plain(&words(l, r)), want, "{l:?} → {r:?}");
        }
    }

    #[test]
    fn long_prompts_are_cut_not_slow() {
        let long = "word ".repeat(10_000);
        assert_eq!(words(&long, &long).len(), MAX_WORDS);
    }
}
