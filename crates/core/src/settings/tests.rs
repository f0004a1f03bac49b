use super::*;
use crate::model::{ALL_MODEL, DEFAULT_MODEL};

fn size(s: &str) -> SizeSpec {
    s.parse().expect("a valid size")
}

fn config() -> RequestParams {
    RequestParams {
        endpoint: Endpoint::Chat,
        model: DEFAULT_MODEL.to_owned(),
        size: SizeSpec::Auto,
    }
}

fn saved(json: &str) -> SavedSettings {
    serde_json::from_str(json).expect("any JSON value reads")
}

#[test]
fn flags_over_saved_over_config_field_by_field() {
    let none = TurnSettings::default();
    let flag_size = TurnSettings {
        size: Some(size("1280x720")),
        ..TurnSettings::default()
    };
    let flag_model = TurnSettings {
        model: Some("flag-model".to_owned()),
        ..TurnSettings::default()
    };
    let saved_all = saved(r#"{"size":"2048x1152","model":"gpt-image-2-all","endpoint":"images"}"#);
    let saved_size = saved(r#"{"size":"2048x1152"}"#);
    // (flags, saved, expected size, model, endpoint)
    let table: [(&TurnSettings, &SavedSettings, &str, &str, Endpoint); 6] = [
        (
            &none,
            &SavedSettings::default(),
            "auto",
            DEFAULT_MODEL,
            Endpoint::Chat,
        ),
        (&none, &saved_all, "2048x1152", ALL_MODEL, Endpoint::Images),
        (
            &none,
            &saved_size,
            "2048x1152",
            DEFAULT_MODEL,
            Endpoint::Chat,
        ),
        (
            &flag_size,
            &saved_all,
            "1280x720",
            ALL_MODEL,
            Endpoint::Images,
        ),
        (
            &flag_model,
            &saved_size,
            "2048x1152",
            "flag-model",
            Endpoint::Chat,
        ),
        (
            &flag_size,
            &SavedSettings::default(),
            "1280x720",
            DEFAULT_MODEL,
            Endpoint::Chat,
        ),
    ];
    for (i, (flags, saved, want_size, want_model, want_endpoint)) in table.into_iter().enumerate() {
        let got = for_new_turns(flags, saved, &config());
        assert_eq!(got.size, size(want_size), "row {i}");
        assert_eq!(got.model, want_model, "row {i}");
        assert_eq!(got.endpoint, want_endpoint, "row {i}");
    }
}

#[test]
fn hostile_values_are_refused_with_a_message_and_not_used() {
    let long = "x".repeat(5000);
    // (the file's settings, what is kept, words the refusal says)
    let table: Vec<(String, TurnSettings, &str)> = vec![
        (
            r#"{"size":"999x999"}"#.to_owned(),
            TurnSettings::default(),
            "not one of the gateway's 30 sizes; try",
        ),
        (
            format!(r#"{{"size":"{long}"}}"#),
            TurnSettings::default(),
            "is not WIDTHxHEIGHT or auto",
        ),
        (
            r#"{"size":2048,"model":"gpt-image-2-all"}"#.to_owned(),
            TurnSettings {
                model: Some(ALL_MODEL.to_owned()),
                ..TurnSettings::default()
            },
            "the saved size is a number, not a string",
        ),
        (
            r#"{"model":"gpt\u001b[2J\u202e","endpoint":"chat"}"#.to_owned(),
            TurnSettings {
                endpoint: Some(Endpoint::Chat),
                ..TurnSettings::default()
            },
            "has characters a model name does not have",
        ),
        (
            format!(r#"{{"model":"{long}"}}"#),
            TurnSettings::default(),
            "longer than 100 characters",
        ),
        (
            r#"{"model":"","size":"1280x720"}"#.to_owned(),
            TurnSettings {
                size: Some(size("1280x720")),
                ..TurnSettings::default()
            },
            "the model name is empty",
        ),
        (
            r#"{"endpoint":"rest"}"#.to_owned(),
            TurnSettings::default(),
            r#"the saved endpoint "rest" is not chat or images"#,
        ),
        (
            r#"["2048x1152"]"#.to_owned(),
            TurnSettings::default(),
            "the saved settings are a JSON array, not an object",
        ),
    ];
    for (json, kept, says) in table {
        let s = saved(&json);
        assert_eq!(s.picked, kept, "{json:.80}");
        assert_eq!(s.refused.len(), 1, "{json:.80}: {:?}", s.refused);
        assert!(s.refused[0].contains(says), "{json:.80}: {}", s.refused[0]);
        assert!(s.refused[0].chars().count() < 200, "cut: {}", s.refused[0]);
        // Refused values are not written back.
        let back: SavedSettings =
            serde_json::from_str(&serde_json::to_string(&s).expect("writes")).expect("reads");
        assert!(back.refused.is_empty() && back.picked == kept);
    }
}

#[test]
fn picks_round_trip_and_null_means_unset() {
    let mut s = SavedSettings::default();
    assert!(s.is_empty());
    s.pick_size(size("3840x2160"));
    s.pick_model(ALL_MODEL, Endpoint::Images);
    let json = serde_json::to_string(&s).expect("writes");
    assert_eq!(
        json,
        r#"{"size":"3840x2160","model":"gpt-image-2-all","endpoint":"images"}"#
    );
    assert_eq!(saved(&json), s);
    let nulls = saved(r#"{"size":null,"model":null,"later":"ignored"}"#);
    assert!(nulls.is_empty() && nulls.refused.is_empty());
}
