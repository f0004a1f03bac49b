//! `--version`, `--help` with examples that parse and run, and shell
//! completions that need no key, no config and write no log.

use super::*;

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
    common::succeeds(
        "bash -n",
        std::process::Command::new("bash").arg("-n").arg(&script),
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
