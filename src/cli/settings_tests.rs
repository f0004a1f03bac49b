//! Every key of config.toml, as the command line loads it: the edges'
//! [`Config`] and the app's [`TuiConfig`] together.

use clap::{CommandFactory as _, Parser as _};

use super::{Cli, GlobalArgs, load_config};
use crate::config::Config;
use crate::config::doc::SETTINGS;
use crate::config::tests::{env_of, write};
use crate::tui::config::TuiConfig;

/// Both layers as loaded, the file's path left out.
fn shown((c, app): &(Config, TuiConfig)) -> String {
    format!(
        "{:?} {:?}",
        Config {
            file: None,
            ..c.clone()
        },
        app
    )
}

/// The doc's example for each key is valid and changes the setting,
/// from the file, from each environment variable and from the flag.
#[test]
fn each_setting_is_read_from_the_file_the_environment_and_its_flag() {
    let dir = tempfile::tempdir().expect("tmp");
    let none = GlobalArgs::default();
    let default = shown(&load_config(None, &env_of(&[]), &none).expect("defaults"));
    let cli = Cli::command();
    for s in SETTINGS {
        let p = write(&dir, &format!("{} = {}\n", s.key, s.example));
        let c =
            load_config(Some(&p), &env_of(&[]), &none).unwrap_or_else(|e| panic!("{}: {e}", s.key));
        assert_ne!(
            shown(&c),
            default,
            "{} = {} changed nothing",
            s.key,
            s.example
        );
        let plain = s.example.trim_matches('"');
        for var in s.env {
            let c = load_config(None, &env_of(&[(var, plain)]), &none)
                .unwrap_or_else(|e| panic!("{var}: {e}"));
            assert_ne!(shown(&c), default, "{var}={plain} changed nothing");
        }
        if let Some(flag) = s.flag {
            let long = flag.trim_start_matches("--");
            assert!(
                cli.get_arguments().any(|a| a.get_long() == Some(long)),
                "no flag {flag}"
            );
            // A boolean flag is given bare.
            let args = if s.kind == "boolean" {
                vec!["pixloom", flag]
            } else {
                vec!["pixloom", flag, plain]
            };
            let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{flag} {plain}: {e}"));
            let c = load_config(None, &env_of(&[]), &cli.global)
                .unwrap_or_else(|e| panic!("{flag}: {e}"));
            assert_ne!(shown(&c), default, "{flag} {plain} changed nothing");
        }
    }
}
