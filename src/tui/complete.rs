//! Path completion for the attach and save prompts. The directory is read
//! by an effect (`Effect::ListDir`, bounded to [`MAX_SCANNED`] entries) so
//! a slow or huge folder never blocks the UI; the answer echoes the input
//! it was asked for, and is dropped if the user has typed since. What to
//! do with the entries is pure and lives here.

use std::path::Path;

/// Entries read from one directory at most.
pub(crate) const MAX_SCANNED: usize = 10_000;
/// Candidates returned at most.
pub(crate) const MAX_SHOWN: usize = 200;

/// `~/pics/fo` → (`~/pics/`, `fo`); `fo` → (``, `fo`).
pub(crate) fn split(input: &str) -> (&str, &str) {
    match input.rfind('/') {
        Some(i) => input.split_at(i + 1),
        None => ("", input),
    }
}

/// Whether Tab has anything to complete (URLs are typed out).
pub(crate) fn completable(input: &str) -> bool {
    !(input.starts_with("http://") || input.starts_with("https://"))
}

/// The directory to read for `input`: its folder part, `~` expanded,
/// `.` when there is none.
pub(crate) fn dir_of(input: &str, home: Option<&Path>) -> std::path::PathBuf {
    let (dir, _) = split(input);
    match (dir.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if dir.is_empty() => ".".into(),
        _ => dir.into(),
    }
}

/// Of a directory's entries (`name`, is a folder), those `input`'s last
/// part starts with, folders ending in `/`, sorted. Hidden entries only
/// when asked for with a leading dot.
pub(crate) fn candidates(
    input: &str,
    entries: impl IntoIterator<Item = (String, bool)>,
) -> Vec<String> {
    let (_, prefix) = split(input);
    let mut out: Vec<String> = entries
        .into_iter()
        .filter(|(name, _)| {
            name.starts_with(prefix) && (prefix.starts_with('.') || !name.starts_with('.'))
        })
        .map(|(name, dir)| if dir { format!("{name}/") } else { name })
        .collect();
    out.sort();
    out.truncate(MAX_SHOWN);
    out
}

/// The input after Tab: extended by what all candidates share (the whole
/// name when there is one). The candidates are shown when there are
/// several.
pub(crate) fn apply(input: &str, candidates: &[String]) -> String {
    let (dir, _) = split(input);
    let Some(first) = candidates.first() else {
        return input.to_owned();
    };
    let mut common = first.as_str();
    for c in &candidates[1..] {
        let shared = common
            .char_indices()
            .zip(c.chars())
            .find(|((_, a), b)| a != b)
            .map_or(common.len().min(c.len()), |((i, _), _)| i);
        common = &common[..shared];
    }
    format!("{dir}{common}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(list: &[(&str, bool)]) -> Vec<(String, bool)> {
        list.iter().map(|(n, d)| ((*n).to_owned(), *d)).collect()
    }

    #[test]
    fn splits_and_finds_the_directory() {
        assert_eq!(split("~/pics/fo"), ("~/pics/", "fo"));
        assert_eq!(split("fo"), ("", "fo"));
        assert_eq!(split("/"), ("/", ""));
        let home = Path::new("/home/u");
        assert_eq!(dir_of("~/pics/fo", Some(home)), Path::new("/home/u/pics/"));
        assert_eq!(dir_of("fo", Some(home)), Path::new("."));
        assert_eq!(dir_of("/tmp/x", None), Path::new("/tmp/"));
        assert!(!completable("https://example.com/a.png"));
    }

    #[test]
    fn completes_to_the_shared_prefix() {
        let e = entries(&[
            ("fox.png", false),
            ("fox-dusk.png", false),
            ("forest", true),
            (".hidden", false),
            ("cat.jpg", false),
        ]);
        let cases: &[(&str, &[&str], &str)] = &[
            (
                "pics/fo",
                &["forest/", "fox-dusk.png", "fox.png"],
                "pics/fo",
            ),
            ("pics/fox", &["fox-dusk.png", "fox.png"], "pics/fox"),
            ("pics/fox.", &["fox.png"], "pics/fox.png"),
            ("pics/fore", &["forest/"], "pics/forest/"),
            ("c", &["cat.jpg"], "cat.jpg"),
            ("z", &[], "z"),
            (".h", &[".hidden"], ".hidden"),
        ];
        for (input, want, after) in cases {
            let got = candidates(input, e.clone());
            assert_eq!(got, *want, "{input}");
            assert_eq!(apply(input, &got), *after, "{input}");
        }
    }
}
