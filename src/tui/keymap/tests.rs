//! The keymap as a table, and the generated help and docs.

use super::*;

fn key(s: &str) -> Key {
    s.parse().unwrap()
}

#[test]
fn every_default_key_parses_and_prints_back() {
    for (_, k, _) in DEFAULT_BINDINGS {
        let parsed: Key = k.parse().unwrap_or_else(|e| panic!("{k}: {e}"));
        assert_eq!(parsed.to_string(), *k);
    }
    assert_eq!(Keymap::default().bindings().len(), DEFAULT_BINDINGS.len());
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

/// One meaning per key per place, and help says exactly that: for every
/// place keys can go (each context, with its fallback and Global), every
/// key that help lists for a section shown there does there what help
/// says (issue 10: help said space views the image, the tree folded).
#[test]
fn every_key_help_lists_does_what_it_says_in_every_place() {
    let km = Keymap::default();
    let help = km.help_sections();
    for place in Context::ALL {
        let sections: Vec<Context> = [Some(place), place.fallback(), Some(Context::Global)]
            .into_iter()
            .flatten()
            .collect();
        for b in km
            .bindings()
            .iter()
            .filter(|b| sections.contains(&b.context))
        {
            let listed = help
                .iter()
                .any(|(c, rows)| *c == b.context && rows.iter().any(|(_, a)| *a == b.action));
            assert!(listed, "{} ({:?}) is not in help", b.key, b.context);
            assert_eq!(
                km.lookup(place, b.key),
                Some(b.action),
                "in {place:?}, help lists {} as {} under {:?}",
                b.key,
                b.action.name(),
                b.context
            );
        }
    }
    // And every action the keys reach is in Action::ALL (help covers it).
    for b in km.bindings() {
        assert!(Action::ALL.contains(&b.action), "{:?}", b.action);
    }
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
