//! Hints said once: what would give real pictures where pixloom falls
//! back to half-blocks (inside tmux: `allow-passthrough on`). Shown in the
//! status line the first time pixloom meets the case, then only logged:
//! the user was told, and a hint every start would be noise. Which hints
//! were shown is kept in the state directory (`hints-shown`, one line per
//! hint); without one (or when it cannot be written) the hint is shown
//! each time rather than never.

use std::io::Write as _;
use std::path::Path;

/// The file under the state directory.
const FILE: &str = "hints-shown";

/// Whether `hint` is to be shown now: not shown before according to
/// `dir`. Records it as shown.
pub(crate) fn first_time(hint: &str, dir: Option<&Path>) -> bool {
    let Some(dir) = dir else {
        return true;
    };
    let file = dir.join(FILE);
    let key = pixloom_core::hex::sha256(hint.as_bytes());
    let seen = std::fs::read_to_string(&file).unwrap_or_default();
    if seen.lines().any(|l| l == key) {
        return false;
    }
    let written = std::fs::create_dir_all(dir).and_then(|()| {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)?;
        writeln!(f, "{key}")
    });
    if let Err(e) = written {
        tracing::warn!("could not remember a hint in {}: {e}", file.display());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_is_shown_once_per_state_directory() {
        let dir = tempfile::tempdir().expect("tmp");
        let state = dir.path().join("state");
        assert!(first_time("a", Some(&state)));
        assert!(!first_time("a", Some(&state)));
        assert!(first_time("b", Some(&state)), "another hint is news");
        assert!(!first_time("b", Some(&state)));
        // No state directory: shown every time rather than never.
        assert!(first_time("a", None));
        assert!(first_time("a", None));
    }
}
