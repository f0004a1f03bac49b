//! The keymap as a table, and the generated help and docs.

use super::*;

fn key(s: &str) -> Key {
    s.parse().unwrap()
}

#[test]
fn every_default_key_parses_and_prints_back() {
    let all = || DEFAULT_BINDINGS.iter().chain(start::BINDINGS);
    for (_, k, _) in all() {
        let parsed: Key = k.parse().unwrap_or_else(|e| panic!("{k}: {e}"));
        assert_eq!(parsed.to_string(), *k);
    }
    assert_eq!(Keymap::default().bindings().len(), all().count());
}

#[test]
fn no_key_is_bound_twice_in_one_context() {
    let km = Keymap::default();
    for (i, a) in km.bindings().iter().enumerate() {
        for b in &km.bindings()[i + 1..] {
            assert!(
                !(a.context == b.context && a.key == b.key),
                "{} bound twice in {:?}",
                a.key,
                a.context
            );
        }
    }
}

/// The default bindings, as a table: context, key as the terminal
/// reports it, expected action.
#[test]
fn default_bindings_per_context() {
    use KeyCode as C;
    use KeyModifiers as M;
    let km = Keymap::default();
    let cases: &[(Context, KeyCode, KeyModifiers, Option<Action>)] = &[
        (
            Context::Browse,
            C::Char('j'),
            M::NONE,
            Some(Action::MoveDown),
        ),
        (Context::Browse, C::Down, M::NONE, Some(Action::MoveDown)),
        (Context::Browse, C::Char('k'), M::NONE, Some(Action::MoveUp)),
        (
            Context::Browse,
            C::Char('h'),
            M::NONE,
            Some(Action::PrevSibling),
        ),
        (
            Context::Browse,
            C::Char('['),
            M::NONE,
            Some(Action::PrevSibling),
        ),
        (
            Context::Browse,
            C::Char('l'),
            M::NONE,
            Some(Action::NextSibling),
        ),
        (
            Context::Browse,
            C::Char(']'),
            M::NONE,
            Some(Action::NextSibling),
        ),
        (Context::Browse, C::Char('g'), M::NONE, Some(Action::First)),
        // Terminals report G with SHIFT; it still matches `G`.
        (Context::Browse, C::Char('G'), M::SHIFT, Some(Action::Last)),
        (Context::Browse, C::Tab, M::NONE, Some(Action::CycleFocus)),
        (
            Context::Browse,
            C::Char('i'),
            M::NONE,
            Some(Action::Compose),
        ),
        (Context::Browse, C::Enter, M::NONE, Some(Action::Compose)),
        (Context::Browse, C::Char('e'), M::NONE, Some(Action::Edit)),
        (
            Context::Browse,
            C::Char('r'),
            M::NONE,
            Some(Action::Regenerate),
        ),
        (Context::Browse, C::Char('f'), M::NONE, Some(Action::Refine)),
        (
            Context::Browse,
            C::Char('v'),
            M::NONE,
            Some(Action::Variants),
        ),
        (Context::Browse, C::Char('a'), M::NONE, Some(Action::Attach)),
        (
            Context::Browse,
            C::Char('s'),
            M::NONE,
            Some(Action::SizePicker),
        ),
        (
            Context::Browse,
            C::Char('m'),
            M::NONE,
            Some(Action::ModelPicker),
        ),
        (Context::Browse, C::Char('*'), M::SHIFT, Some(Action::Star)),
        (Context::Browse, C::Char('d'), M::NONE, Some(Action::Delete)),
        (Context::Browse, C::Esc, M::NONE, Some(Action::Cancel)),
        (Context::Browse, C::Char('R'), M::SHIFT, Some(Action::Retry)),
        (
            Context::Browse,
            C::Char('T'),
            M::SHIFT,
            Some(Action::RetryLowerTier),
        ),
        (Context::Browse, C::Char('?'), M::SHIFT, Some(Action::Help)),
        (Context::Browse, C::Char('q'), M::NONE, Some(Action::Quit)),
        (
            Context::Browse,
            C::Char('c'),
            M::CONTROL,
            Some(Action::Quit),
        ),
        (Context::Browse, C::Char('x'), M::NONE, None),
        (Context::Composer, C::Enter, M::NONE, Some(Action::Send)),
        (Context::Composer, C::Enter, M::ALT, Some(Action::Newline)),
        (Context::Composer, C::Enter, M::SHIFT, Some(Action::Newline)),
        (Context::Composer, C::Esc, M::NONE, Some(Action::Dismiss)),
        (
            Context::Composer,
            C::Char('c'),
            M::CONTROL,
            Some(Action::Quit),
        ),
        // Letters are text in the composer, never commands.
        (Context::Composer, C::Char('q'), M::NONE, None),
        (Context::Composer, C::Char('j'), M::NONE, None),
        (
            Context::Picker,
            C::Char('j'),
            M::NONE,
            Some(Action::MoveDown),
        ),
        (
            Context::Picker,
            C::Char('l'),
            M::NONE,
            Some(Action::MoveRight),
        ),
        (Context::Picker, C::Enter, M::NONE, Some(Action::Confirm)),
        (Context::Picker, C::Esc, M::NONE, Some(Action::Dismiss)),
        (
            Context::Confirm,
            C::Char('y'),
            M::NONE,
            Some(Action::Confirm),
        ),
        (
            Context::Confirm,
            C::Char('n'),
            M::NONE,
            Some(Action::Dismiss),
        ),
        (
            Context::Dialog,
            C::Char('?'),
            M::SHIFT,
            Some(Action::Dismiss),
        ),
        (Context::Dialog, C::Char('R'), M::SHIFT, Some(Action::Retry)),
        (Context::Input, C::Enter, M::NONE, Some(Action::Confirm)),
        (Context::Input, C::Char('q'), M::NONE, None),
        (Context::Input, C::Char('c'), M::CONTROL, Some(Action::Quit)),
    ];
    for &(ctx, code, mods, want) in cases {
        let got = km.lookup(ctx, Key::normalized(code, mods));
        assert_eq!(got, want, "{ctx:?} {code:?} {mods:?}");
    }
}

#[test]
fn keys_parse_with_modifiers() {
    assert_eq!(
        key("alt-enter"),
        Key {
            code: KeyCode::Enter,
            mods: KeyModifiers::ALT
        }
    );
    assert_eq!(
        key("ctrl-c"),
        Key {
            code: KeyCode::Char('c'),
            mods: KeyModifiers::CONTROL
        }
    );
    assert_eq!(
        key("space"),
        Key {
            code: KeyCode::Char(' '),
            mods: KeyModifiers::NONE
        }
    );
    assert!("hyper-x".parse::<Key>().is_err());
    assert!("".parse::<Key>().is_err());
}

#[test]
fn help_lists_every_bound_action_in_each_context() {
    let km = Keymap::default();
    let sections = km.help_sections();
    for b in km.bindings() {
        let (_, rows) = sections.iter().find(|(c, _)| *c == b.context).unwrap();
        assert!(
            rows.iter()
                .any(|(keys, a)| *a == b.action && keys.split(' ').any(|k| k == b.key.to_string())),
            "{:?} {} missing from help",
            b.context,
            b.key
        );
    }
}

#[test]
fn keys_doc_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/keys.md");
    let want = Keymap::default().markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "docs/keys.md is stale: run UPDATE_DOCS=1 cargo test --lib keys_doc"
    );
}

#[test]
fn config_bindings_merge_over_the_defaults() {
    let table: KeyTable = [
        (
            "browse".to_owned(),
            [
                ("ctrl-n".to_owned(), "move-down".to_owned()),
                ("x".to_owned(), "delete".to_owned()),
                ("d".to_owned(), UNBIND.to_owned()),
                ("j".to_owned(), "move-up".to_owned()),
            ]
            .into_iter()
            .collect(),
        ),
        (
            "tree".to_owned(),
            [("space".to_owned(), "view-image".to_owned())]
                .into_iter()
                .collect(),
        ),
    ]
    .into_iter()
    .collect();
    let km = Keymap::with_overrides(&table).unwrap();
    let cases = [
        (Context::Browse, "ctrl-n", Some(Action::MoveDown)),
        (Context::Browse, "down", Some(Action::MoveDown)),
        (Context::Browse, "x", Some(Action::Delete)),
        (Context::Browse, "d", None),
        (Context::Browse, "j", Some(Action::MoveUp)),
        (Context::Tree, "space", Some(Action::ViewImage)),
        (Context::Tree, "x", Some(Action::Delete)),
        (Context::Composer, "x", None),
    ];
    for (ctx, k, want) in cases {
        assert_eq!(km.lookup(ctx, key(k)), want, "{ctx:?} {k}");
    }
    assert_eq!(
        km.hint(Context::Browse, Action::Delete),
        "x",
        "hints follow"
    );
    assert_eq!(km.hint(Context::Tree, Action::MoveDown), "ctrl-n");
    // Help shows the effective bindings.
    let browse = km.help_sections();
    let (_, rows) = browse.iter().find(|(c, _)| *c == Context::Browse).unwrap();
    assert!(rows.iter().any(|(k, a)| *a == Action::Delete && k == "x"));
}

#[test]
fn bad_config_bindings_name_the_culprit() {
    let one = |ctx: &str, k: &str, a: &str| -> KeyTable {
        [(
            ctx.to_owned(),
            [(k.to_owned(), a.to_owned())].into_iter().collect(),
        )]
        .into_iter()
        .collect()
    };
    for (table, needle) in [
        (
            one("browse", "x", "fly"),
            "[keys.browse] \"x\" = \"fly\": no such action",
        ),
        (
            one("browse", "hyper-x", "quit"),
            "[keys.browse] \"hyper-x\"",
        ),
        (one("brows", "x", "quit"), "[keys.brows]: no such context"),
    ] {
        let err = Keymap::with_overrides(&table).unwrap_err();
        assert!(err.contains(needle), "{err}");
    }
}

/// The keys help lists for a section, each with the contexts it says the
/// key does not work in: `space (not in tree)`.
fn listed_keys(label: &str) -> Vec<(Key, Vec<String>)> {
    let mut out: Vec<(Key, Vec<String>)> = Vec::new();
    let mut rest = label;
    while !rest.is_empty() {
        let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        rest = tail;
        if word == "(not" {
            let (names, tail) = rest.split_once(')').expect("a closed note");
            rest = tail.trim_start();
            let names = names.trim_start_matches("in ").split(", ");
            let last = out.last_mut().expect("a note after a key");
            last.1.extend(names.map(str::to_owned));
        } else {
            out.push((word.parse().expect("a key"), Vec::new()));
        }
    }
    out
}

/// One meaning per key per place, and help says exactly that: for every
/// place keys can go (each context, with its fallback and Global), every
/// key that help lists in a section shown there does there what help
/// says, unless help says it does not work there (issue 10: help said
/// space views the image, the tree folded). With the defaults and with a
/// config that rebinds a key in the tree.
#[test]
fn every_key_help_lists_does_what_it_says_in_every_place() {
    let tree_space_folds: KeyTable = [(
        "tree".to_owned(),
        [("space".to_owned(), "fold".to_owned())]
            .into_iter()
            .collect(),
    )]
    .into_iter()
    .collect();
    for km in [
        Keymap::default(),
        Keymap::with_overrides(&tree_space_folds).unwrap(),
    ] {
        let help = km.help_sections();
        for place in Context::ALL {
            let sections = [Some(place), place.fallback(), Some(Context::Global)];
            for (section, rows) in help.iter().filter(|(c, _)| sections.contains(&Some(*c))) {
                for (label, action) in rows {
                    for (key, not_in) in listed_keys(label) {
                        if not_in.iter().any(|c| c == place.config_name()) {
                            continue;
                        }
                        assert_eq!(
                            km.lookup(place, key),
                            Some(*action),
                            "in {place:?}, help lists {key} as {} under {section:?}",
                            action.name()
                        );
                    }
                }
            }
        }
        // Every binding is in help.
        for b in km.bindings() {
            let listed = help
                .iter()
                .any(|(c, rows)| *c == b.context && rows.iter().any(|(_, a)| *a == b.action));
            assert!(listed, "{} ({:?}) is not in help", b.key, b.context);
        }
    }
    let km = Keymap::with_overrides(&tree_space_folds).unwrap();
    let help = km.help_sections();
    let browse = &help.iter().find(|(c, _)| *c == Context::Browse).unwrap().1;
    assert!(
        browse
            .iter()
            .any(|(k, a)| k == "space (not in tree)" && *a == Action::ViewImage),
        "{browse:?}"
    );
}

#[test]
fn the_tree_falls_back_to_browse_and_space_views_there_too() {
    let km = Keymap::default();
    for ctx in [Context::Tree, Context::Browse] {
        assert_eq!(km.lookup(ctx, key("space")), Some(Action::ViewImage));
        assert_eq!(km.lookup(ctx, key("z")), Some(Action::Fold));
    }
    assert_eq!(km.lookup(Context::Tree, key("j")), Some(Action::MoveDown));
    assert_eq!(km.hint(Context::Tree, Action::ViewImage), "space");
    // The replay reaches no writing action.
    for b in km
        .bindings()
        .iter()
        .filter(|b| b.context == Context::Replay)
    {
        assert!(
            !matches!(
                b.action,
                Action::Compose | Action::Send | Action::Delete | Action::Star | Action::Retry
            ),
            "{:?}",
            b.action
        );
    }
}
