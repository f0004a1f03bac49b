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
    /// `{base}` is the fake gateway, `{down}` a closed port, `{key}` a
    /// key the fake accepts.
    args: &'static [&'static str],
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

fn config(home: &Path, text: &str) {
    let dir = home.join("config/pixloom");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

fn conversation_file(home: &Path) -> std::path::PathBuf {
    conversation(home);
    home.join("c.pixloom/conversation.json")
}

const CASES: &[Case] = &[
    Case {
        what: "no key anywhere",
        setup: nothing,
        env: &[],
        args: &["--base-url", "{base}", "send", "c", "--prompt", "x"],
        says: &["no API key is set"],
        fix: "Set one with `export PIXLOOM_API_KEY",
    },
    Case {
        what: "a key the gateway refuses (401)",
        setup: nothing,
        env: &[],
        args: &[
            "--base-url",
            "{base}",
            "--api-key",
            "sk-wrong",
            "send",
            "c",
            "--prompt",
            "x",
        ],
        says: &["401"],
        fix: "Set a valid key with PIXLOOM_API_KEY",
    },
    Case {
        what: "a size that is not one of the 30",
        setup: nothing,
        env: &[],
        args: &["--size", "1024x768", "send", "c", "--prompt", "x"],
        says: &["\"1024x768\" is not one of the gateway's 30 sizes"],
        fix: "try 1280x960",
    },
    Case {
        what: "a size in the environment",
        setup: nothing,
        env: &[("PIXLOOM_SIZE", "big")],
        args: &["--api-key", "{key}", "send", "c", "--prompt", "x"],
        says: &["PIXLOOM_SIZE is not valid"],
        fix: "Set it to auto or a size like 2048x1152, or unset it",
    },
    Case {
        what: "a model the gateway does not serve",
        setup: nothing,
        env: &[],
        args: &[
            "--base-url",
            "{base}",
            "--api-key",
            "{key}",
            "--model",
            "gpt-image-9",
            "send",
            "c",
            "--prompt",
            "x",
        ],
        says: &["400", "gpt-image-9"],
        fix: "Pick a model the gateway serves with --model",
    },
    Case {
        what: "an empty prompt",
        setup: nothing,
        env: &[],
        args: &["--api-key", "{key}", "send", "c", "--prompt", " "],
        says: &["the prompt is empty"],
        fix: "Say what you want to see: --prompt",
    },
    Case {
        what: "a missing reference file",
        setup: nothing,
        env: &[],
        args: &[
            "--api-key",
            "{key}",
            "send",
            "c",
            "--prompt",
            "x",
            "--image",
            "nope.png",
        ],
        says: &["the file does not exist", "— nope.png"],
        fix: "Check the path",
    },
    Case {
        what: "a reference that is not an image",
        setup: |home| {
            std::fs::write(home.join("notes.txt"), "hello").unwrap();
            None
        },
        env: &[],
        args: &[
            "--api-key",
            "{key}",
            "send",
            "c",
            "--prompt",
            "x",
            "--image",
            "notes.txt",
        ],
        says: &["the file is not an image", "— notes.txt"],
        fix: "Attach a PNG, JPEG or WebP file",
    },
    Case {
        what: "a reference over the 200 MB file limit",
        setup: |home| {
            // Sparse: the limit is checked from the file's size.
            let f = std::fs::File::create(home.join("huge.png")).unwrap();
            f.set_len(201_000_000).unwrap();
            None
        },
        env: &[],
        args: &[
            "--api-key",
            "{key}",
            "send",
            "c",
            "--prompt",
            "x",
            "--image",
            "huge.png",
        ],
        says: &["the file is 201.0 MB", "— huge.png"],
        fix: "Attach a smaller copy",
    },
    Case {
        what: "the gateway is down",
        setup: nothing,
        env: &[],
        args: &[
            "--base-url",
            "{down}",
            "--api-key",
            "{key}",
            "send",
            "c",
            "--prompt",
            "x",
        ],
        says: &["could not reach the gateway"],
        fix: "Check your network and --base-url",
    },
    Case {
        what: "a reply in no known shape",
        setup: nothing,
        env: &[],
        args: &[
            "--base-url",
            "{base}",
            "--api-key",
            "{key}",
            "send",
            "c",
            "--prompt",
            "x [fake:fault=truncated]",
        ],
        says: &["cut off", "may have been billed"],
        fix: "retry",
    },
    Case {
        what: "a refused prompt",
        setup: nothing,
        env: &[],
        args: &[
            "--base-url",
            "{base}",
            "--api-key",
            "{key}",
            "send",
            "c",
            "--prompt",
            "x [fake:refuse]",
        ],
        says: &["the gateway refused the prompt"],
        fix: "Rephrase it and send again",
    },
    Case {
        what: "--from a node that does not exist",
        setup: conversation,
        env: &[],
        args: &[
            "--api-key",
            "{key}",
            "send",
            "c",
            "--prompt",
            "x",
            "--from",
            "n99",
        ],
        says: &["no node n99"],
        fix: "Run `pixloom show c`",
    },
    Case {
        what: "a conversation that does not exist",
        setup: nothing,
        env: &[],
        args: &["show", "nowhere"],
        says: &["the conversation does not exist", "— nowhere.pixloom"],
        fix: "Check the name",
    },
    Case {
        what: "a damaged conversation file",
        setup: |home| {
            std::fs::write(
                conversation_file(home),
                "{\"format\": \"pixloom/1\", \"nodes",
            )
            .unwrap();
            None
        },
        env: &[],
        args: &["show", "c"],
        says: &["is damaged at line 1", "it was not changed"],
        fix: "Restore it from a backup",
    },
    Case {
        what: "a conversation written by a newer pixloom",
        setup: |home| {
            let file = conversation_file(home);
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(text.contains("pixloom/1"), "{text}");
            std::fs::write(&file, text.replace("pixloom/1", "pixloom/2")).unwrap();
            None
        },
        env: &[],
        args: &["export", "c", "--format", "html", "--out", "c.html"],
        says: &["written by a newer pixloom (pixloom/2)"],
        fix: "upgrade pixloom",
    },
    Case {
        what: "a conversation another process has open",
        setup: |home| {
            let (folder, _) =
                ConvFolder::open_or_create(home.join("c.pixloom"), time::OffsetDateTime::now_utc())
                    .unwrap();
            Some(folder)
        },
        env: &[],
        args: &["--api-key", "{key}", "send", "c", "--prompt", "x"],
        says: &[
            "the conversation is open in another pixloom process",
            "c.pixloom",
        ],
        fix: "close it first",
    },
    Case {
        what: "a config file named with --config that does not exist",
        setup: nothing,
        env: &[],
        args: &[
            "--config",
            "nope.toml",
            "--api-key",
            "{key}",
            "send",
            "c",
            "--prompt",
            "x",
        ],
        says: &["the config file nope.toml given with --config does not exist"],
        fix: "Check the path",
    },
    Case {
        what: "an unknown key in the config file",
        setup: |home| {
            config(home, "modle = \"gpt-image-2-all\"\n");
            None
        },
        env: &[],
        args: &["--api-key", "{key}", "send", "c", "--prompt", "x"],
        says: &["line 1, column 1", "unknown field `modle`", "`model`"],
        fix: "Fix that line (docs/config.md lists every key)",
    },
    Case {
        what: "a bad value in the config file",
        setup: |home| {
            config(home, "model = \"gpt-image-2-vip\"\nsize = \"1024x768\"\n");
            None
        },
        env: &[],
        args: &["--api-key", "{key}", "send", "c", "--prompt", "x"],
        says: &["line 2, column 8", "try 1280x960"],
        fix: "Fix that line",
    },
    Case {
        what: "a timeout that is not positive",
        setup: |home| {
            config(home, "request_timeout_secs = -1\n");
            None
        },
        env: &[],
        args: &["--api-key", "{key}", "send", "c", "--prompt", "x"],
        says: &[
            "request_timeout_secs in ",
            "must be a positive number of seconds",
        ],
        fix: "Use a number like 300",
    },
    Case {
        what: "a bad value given as a flag",
        setup: nothing,
        env: &[],
        args: &[
            "--api-key",
            "{key}",
            "--request-timeout",
            "0",
            "send",
            "c",
            "--prompt",
            "x",
        ],
        says: &["--request-timeout must be a positive number"],
        fix: "Use a number like 300",
    },
    Case {
        what: "a binding to an action that does not exist",
        setup: |home| {
            config(home, "[keys.browse]\n\"ctrl-n\" = \"fly\"\n");
            None
        },
        env: &[],
        args: &["--api-key", "{key}", "send", "c", "--prompt", "x"],
        says: &["\"ctrl-n\" = \"fly\": no such action"],
        fix: "Fix or remove that line",
    },
    Case {
        what: "a binding to a key that does not exist",
        setup: |home| {
            config(home, "[keys.browse]\n\"hyper-x\" = \"quit\"\n");
            None
        },
        env: &[],
        args: &["replay", "c"],
        says: &["\"hyper-x\""],
        fix: "Fix or remove that line",
    },
    Case {
        what: "a log level that does not exist",
        setup: conversation,
        env: &[],
        args: &["--log-level", "loud", "show", "c"],
        says: &["'loud' for '--log-level"],
        fix: "use error, warn, info, debug or trace",
    },
    Case {
        what: "an export onto a file that exists",
        setup: |home| {
            std::fs::write(home.join("c.html"), "mine").unwrap();
            conversation(home)
        },
        env: &[],
        args: &["export", "c", "--format", "html", "--out", "c.html"],
        says: &["c.html already exists and was not changed"],
        fix: "Pick another --out, or pass --force to replace it",
    },
    Case {
        what: "an export into the conversation folder",
        setup: conversation,
        env: &[],
        args: &[
            "export",
            "c",
            "--format",
            "markdown",
            "--out",
            "c.pixloom/conversation.json",
            "--force",
        ],
        says: &["is inside the conversation folder", "never writes there"],
        fix: "Pick a path outside it",
    },
    Case {
        what: "an export into a folder that cannot be written (a file is in the way)",
        setup: |home| {
            std::fs::write(home.join("afile"), "").unwrap();
            conversation(home)
        },
        env: &[],
        args: &["export", "c", "--format", "html", "--out", "afile/c.html"],
        says: &["cannot write", "— afile/c.html"],
        fix: "Check that the folder exists and is writable",
    },
    Case {
        what: "a conversation where a file is in the way",
        setup: |home| {
            std::fs::write(home.join("afile"), "").unwrap();
            None
        },
        env: &[],
        args: &["--api-key", "{key}", "send", "afile/c", "--prompt", "x"],
        says: &["that is not a conversation folder", "— afile/c.pixloom"],
        fix: "Pick another name",
    },
];

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
        down: {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            format!("http://127.0.0.1:{port}")
        },
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
        let args: Vec<String> = case
            .args
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

/// Run as root, permissions do not stop a write; the file-in-the-way case
/// above covers root.
#[test]
fn an_export_into_a_read_only_folder_names_the_fix() {
    use std::os::unix::fs::PermissionsExt as _;
    if rustix::process::geteuid().is_root() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    conversation(home.path());
    let ro = home.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = run_in(
        home.path(),
        &[],
        &["export", "c", "--format", "html", "--out", "ro/c.html"].map(String::from),
    );
    let case = Case {
        what: "read-only folder",
        setup: nothing,
        env: &[],
        args: &[],
        says: &["cannot write: ", "ermission denied", "— ro/c.html"],
        fix: "Check that the folder exists and is writable",
    };
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
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

#[test]
fn shell_words_splits_like_a_shell() {
    assert_eq!(
        shell_words("pixloom send fox --prompt 'a red fox' # note"),
        ["pixloom", "send", "fox", "--prompt", "a red fox"]
    );
    assert_eq!(
        shell_words("pixloom show fox --json | jq '.a'"),
        ["pixloom", "show", "fox", "--json"]
    );
    assert_eq!(
        shell_words("pixloom completions zsh > ~/x"),
        ["pixloom", "completions", "zsh"]
    );
}

/// The lines of the `Examples:` section of `pixloom WORDS --help`, which
/// must be the last section.
fn help_examples(words: &[&str]) -> Vec<String> {
    let out = bin().args(words).arg("--help").output().unwrap();
    assert!(out.status.success(), "{words:?} --help failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let (_, examples) = text
        .rsplit_once("\nExamples:\n")
        .unwrap_or_else(|| panic!("{words:?} --help has no Examples: section\n{text}"));
    examples
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
        .collect()
}

/// `--help` of the top level and of every subcommand ends with an
/// `Examples:` section whose every line is a pixloom command line that
/// parses (so a renamed flag breaks this test, not a user's paste).
#[test]
fn every_help_ends_with_examples_that_parse() {
    let cli = Cli::command();
    let mut helps: Vec<Vec<&str>> = vec![vec![]];
    helps.extend(cli.get_subcommands().map(|s| vec![s.get_name()]));
    assert!(helps.len() >= 7, "subcommands: {helps:?}");
    for words in helps {
        let lines = help_examples(&words);
        assert!(!lines.is_empty(), "{words:?}: no examples");
        for line in lines {
            let argv = shell_words(&line);
            assert_eq!(
                argv.first().map(String::as_str),
                Some("pixloom"),
                "{words:?}: {line:?} is not a pixloom command line (Examples: must come last)"
            );
            if let Some(sub) = words.first() {
                assert_eq!(argv.get(1).map(String::as_str), Some(*sub), "{line:?}");
            }
            Cli::try_parse_from(&argv)
                .unwrap_or_else(|e| panic!("{words:?}: example {line:?} does not parse: {e}"));
        }
    }
}

/// The examples of send, show and export run as printed (under `--demo`,
/// with the reference image they name), in that order on one folder.
#[test]
fn the_send_show_and_export_examples_run() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("ref.jpg"), noisy_jpeg(64, 48, 80)).unwrap();
    let mut ran = 0;
    for sub in ["send", "show", "export"] {
        for line in help_examples(&[sub]) {
            let mut argv = vec!["--demo".to_owned()];
            argv.extend(shell_words(&line).into_iter().skip(1));
            let out = run_in(home.path(), &[("PIXLOOM_DEMO_LATENCY", "0")], &argv);
            assert!(
                out.status.success(),
                "{line}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran >= 6, "only {ran} examples");
    assert!(home.path().join("fox.html").is_file());
    let md = std::fs::read_to_string(home.path().join("fox.md")).unwrap();
    assert!(md.contains("same, at night"), "{md}");
}

#[test]
fn completions_need_no_key_no_config_and_write_no_log() {
    let home = tempfile::tempdir().unwrap();
    // A config file that would fail any command that reads it.
    config(home.path(), "this is not toml\n");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run_in(home.path(), &[], &["completions".into(), shell.into()]);
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stderr.is_empty(), "{shell}: stderr not empty");
        for word in ["pixloom", "send", "completions", "prompt"] {
            assert!(script.contains(word), "{shell}: script lacks {word:?}");
        }
    }
    assert!(
        !home.path().join("state").exists(),
        "completions created the log folder"
    );
}

#[test]
fn the_bash_completion_script_is_valid_and_completes_subcommands() {
    let home = tempfile::tempdir().unwrap();
    let out = run_in(home.path(), &[], &["completions".into(), "bash".into()]);
    assert!(out.status.success());
    let script = home.path().join("pixloom.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    // What bash does on `pixloom se<TAB>`.
    let complete = std::process::Command::new("bash")
        .arg("-c")
        .arg(
            "source \"$1\"; COMP_WORDS=(pixloom se); COMP_CWORD=1; \
             _pixloom pixloom se pixloom; echo \"${COMPREPLY[@]}\"",
        )
        .arg("bash")
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&complete.stdout).trim(), "send");
}
