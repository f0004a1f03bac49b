//! What users expect of a command-line tool, checked on the real binary:
//! every error a user can cause is one short line naming the fix,
//! `--version`, `--help` with working examples on every command, and shell
//! completions that need nothing set up.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::process::{Output, Stdio};

use clap::{CommandFactory as _, Parser as _};
use common::{FakeProcess, bin, key, noisy_jpeg};
use pixloom::cli::Cli;
use pixloom::convfile::ConvFolder;

mod cases;
mod help;

use cases::CASES;

/// Words a fix starts with. A case's `fix` must begin with one of them, so
/// the table cannot pass with a message that only says what went wrong.
const FIX_VERBS: &[&str] = &[
    "set", "use", "check", "run", "pick", "attach", "retry", "fix", "rephrase", "restore",
    "upgrade", "close", "try", "say", "move",
];

/// Whatever a case's set-up must keep alive while the binary runs (a lock).
type Held = Option<ConvFolder>;

struct Case {
    what: &'static str,
    /// Prepares the home folder (config file, conversations, files).
    setup: fn(&Path) -> Held,
    env: &'static [(&'static str, &'static str)],
    /// The command line, split as a shell would (`shell_words`). `{base}`
    /// is the fake gateway, `{down}` a closed port, `{key}` a key the fake
    /// accepts.
    args: &'static str,
    /// What happened, as the message must say it.
    says: &'static [&'static str],
    /// What to do, as the message must say it.
    fix: &'static str,
}

fn nothing(_: &Path) -> Held {
    None
}

/// A conversation `c` (empty, valid) in `home`.
fn conversation(home: &Path) -> Held {
    let (folder, _) =
        ConvFolder::open_or_create(home.join("c.pixloom"), time::OffsetDateTime::now_utc())
            .unwrap();
    drop(folder);
    None
}

/// Writes `text` as the config file; holds nothing.
fn config(home: &Path, text: &str) -> Held {
    let dir = home.join("config/pixloom");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
    None
}

/// Writes `text` as the file `name` in `home`; holds nothing.
fn file(home: &Path, name: &str, text: &str) -> Held {
    std::fs::write(home.join(name), text).unwrap();
    None
}

fn conversation_file(home: &Path) -> std::path::PathBuf {
    conversation(home);
    home.join("c.pixloom/conversation.json")
}

struct Env {
    fake: FakeProcess,
    down: String,
}

/// Runs the binary in `home`, isolated from the developer's own config,
/// state and key.
fn run_in(home: &Path, env: &[(&str, &str)], args: &[String]) -> Output {
    let mut cmd = bin();
    cmd.current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        // A panic or an eyre report would show a backtrace: none may.
        .env("RUST_BACKTRACE", "1")
        .args(args)
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Checks one failure; returns what is wrong with it, if anything.
fn judge(case: &Case, out: &Output) -> Result<(), String> {
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    if out.status.success() {
        return Err("exited 0".into());
    }
    for bad in ["panicked", "backtrace", "Location:", "\u{1b}"] {
        if err.contains(bad) {
            return Err(format!("stderr has {bad:?}"));
        }
    }
    // pixloom's own errors are one line; clap's (bad flag values) are its
    // short `error:` line plus a hint to try --help.
    let short = match lines.first() {
        Some(first) if first.starts_with("pixloom: ") => lines.len() == 1,
        Some(first) if first.starts_with("error: ") => lines.len() <= 3,
        _ => false,
    };
    if !short {
        return Err(format!("not one short message ({} lines)", lines.len()));
    }
    let first = lines[0];
    for s in case.says {
        if !first.contains(s) {
            return Err(format!("does not say {s:?}"));
        }
    }
    if !first.contains(case.fix) {
        return Err(format!("does not name the fix {:?}", case.fix));
    }
    Ok(())
}

#[test]
fn every_user_error_is_one_line_that_names_the_fix() {
    let env = Env {
        fake: FakeProcess::start(&[]),
        down: common::down_url(),
    };
    let k = key();
    let mut failures = Vec::new();
    for case in CASES {
        let verb = case.fix.split(' ').next().unwrap().to_lowercase();
        assert!(
            FIX_VERBS.contains(&verb.as_str()),
            "{}: the fix {:?} does not start with a verb of FIX_VERBS",
            case.what,
            case.fix
        );
        let home = tempfile::tempdir().unwrap();
        let held = (case.setup)(home.path());
        let args: Vec<String> = shell_words(case.args)
            .iter()
            .map(|a| {
                a.replace("{base}", &env.fake.base_url)
                    .replace("{down}", &env.down)
                    .replace("{key}", &k)
            })
            .collect();
        let out = run_in(home.path(), case.env, &args);
        drop(held);
        if let Err(why) = judge(case, &out) {
            failures.push(format!(
                "{}: {why}\n    stderr: {}",
                case.what,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The folder refuses writes by its mode, or as root (CI) by being a
/// read-only mount: either way the message names the reason and the fix.
#[test]
fn an_export_into_a_read_only_folder_names_the_fix() {
    let home = tempfile::tempdir().unwrap();
    conversation(home.path());
    let ro = common::disk::ReadOnlyFolder::create(&home.path().join("ro"));
    let out = run_in(
        home.path(),
        &[],
        &["export", "c", "--format", "html", "--out", "ro/c.html"].map(String::from),
    );
    let case = Case {
        what: "read-only folder",
        setup: nothing,
        env: &[],
        args: "",
        // The table's rows are static; this one row is made at run time.
        says: Box::leak(Box::new(["cannot write: ", ro.refusal(), "— ro/c.html"])),
        fix: "Check that the folder exists and is writable",
    };
    drop(ro);
    judge(&case, &out).unwrap_or_else(|why| {
        panic!("{why}: {}", String::from_utf8_lossy(&out.stderr));
    });
}

#[test]
fn version_prints_name_and_version() {
    for flag in ["--version", "-V"] {
        let out = bin().arg(flag).output().unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("pixloom {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

/// Splits an example line into the words a shell would pass to pixloom:
/// quotes honoured, a comment, redirection or pipe ends the command.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_default().push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, '#' | '>' | '|') if word.is_none() => break,
            (None, ' ') => words.extend(word.take()),
            (None, c) => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    words
}
