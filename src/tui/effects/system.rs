//! Effects that touch the system outside the conversation: opening an
//! image in the system viewer (saving a copy: [`super::save_copy`]), copying its path
//! to the clipboard (OSC 52), listing a folder for Tab completion. Each
//! reports back with `Event::Notice` or `Event::Completions`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use base64::Engine as _;
use tokio::sync::mpsc::UnboundedSender;

use super::super::action::{Event, Msg};
use super::super::complete;

fn notify(tx: &UnboundedSender<Msg>, note: Result<String, String>) {
    let _ = tx.send(Msg::Event(Event::Notice(note)));
}

/// The system's "open this file" command.
fn viewer() -> &'static str {
    if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    }
}

/// Why there is nowhere to show a window, if so: on Linux without X11 or
/// Wayland (an SSH session), `xdg-open` would fall back to a text browser
/// inside our own terminal.
pub(crate) fn no_display(env: &dyn Fn(&str) -> Option<String>) -> bool {
    !cfg!(target_os = "macos")
        && ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .all(|v| env(v).is_none_or(|s| s.is_empty()))
}

/// Starts the viewer detached (own process group, no terminal I/O) and
/// reports a failure to start or a failing exit.
pub(super) fn open(path: PathBuf, tx: UnboundedSender<Msg>) {
    let shown = path.display().to_string();
    if no_display(&|k| std::env::var(k).ok()) {
        notify(
            &tx,
            Err(format!(
                "no display to open an image on (over SSH?): y copies its path, O saves a copy — {shown}"
            )),
        );
        return;
    }
    let cmd = viewer();
    tokio::spawn(async move {
        let child = tokio::process::Command::new(cmd)
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        match child {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => notify(
                &tx,
                Err(format!(
                    "no {cmd} here to open images: y copies the path — {shown}"
                )),
            ),
            Err(e) => notify(&tx, Err(format!("could not start {cmd}: {e}"))),
            Ok(mut child) => {
                notify(
                    &tx,
                    Ok(crate::errline::with_path(
                        format!("opened with {cmd}"),
                        &shown,
                    )),
                );
                match child.wait().await {
                    Ok(s) if s.success() => {}
                    Ok(s) => notify(
                        &tx,
                        Err(crate::errline::with_path(
                            format!("{cmd} could not open the image ({s})"),
                            &shown,
                        )),
                    ),
                    Err(e) => notify(&tx, Err(format!("{cmd}: {e}"))),
                }
            }
        }
    });
}

/// The OSC 52 sequence that puts `text` on the clipboard.
pub(crate) fn osc52(text: &str) -> String {
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// Writes the image's absolute path to the clipboard through the terminal
/// (so it reaches the local clipboard over SSH too). Called between
/// frames, so it never lands inside a drawn frame.
pub(super) fn copy_path(path: &Path, out: &mut dyn Write) -> Result<String, String> {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let text = abs.display().to_string();
    out.write_all(osc52(&text).as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("could not write to the terminal: {e}"))?;
    let tmux = if std::env::var_os("TMUX").is_some() {
        " (inside tmux this needs `set -g set-clipboard on`)"
    } else {
        ""
    };
    Ok(format!("copied {text}{tmux}"))
}

/// Lists the folder `input` names (at most `complete::MAX_SCANNED`
/// entries) and sends the candidates back with the input they are for.
pub(super) fn list_dir(input: String, tx: UnboundedSender<Msg>) {
    tokio::task::spawn_blocking(move || {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let dir = complete::dir_of(&input, home.as_deref());
        let result = std::fs::read_dir(&dir)
            .map(|rd| {
                let entries = rd
                    .take(complete::MAX_SCANNED)
                    .filter_map(Result::ok)
                    .map(|e| {
                        let is_dir = e.path().is_dir();
                        (e.file_name().to_string_lossy().into_owned(), is_dir)
                    });
                complete::candidates(&input, entries)
            })
            .map_err(|e| crate::errline::with_path(e, dir.display()));
        let _ = tx.send(Msg::Event(Event::Completions { input, result }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_between_esc_and_bel() {
        assert_eq!(osc52("/a b"), "\x1b]52;c;L2EgYg==\x07");
        let mut out = Vec::new();
        let note = copy_path(Path::new("/nonexistent/x.png"), &mut out).unwrap();
        assert_eq!(out, osc52("/nonexistent/x.png").as_bytes());
        assert!(note.contains("/nonexistent/x.png"));
    }

    #[test]
    fn no_display_without_x11_or_wayland() {
        if cfg!(target_os = "macos") {
            return;
        }
        assert!(no_display(&|_| None));
        assert!(no_display(&|_| Some(String::new())));
        assert!(!no_display(&|k| (k == "DISPLAY").then(|| ":0".to_owned())));
    }
}
