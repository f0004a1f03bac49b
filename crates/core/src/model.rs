//! What each model accepts. Pure.

use super::size::{SizeSpec, Tier};

/// The default model.
pub const DEFAULT_MODEL: &str = "gpt-image-2-vip";
/// The sister model: faster, no `size` field.
pub const ALL_MODEL: &str = "gpt-image-2-all";
/// The models the pickers offer; any other name may still be configured.
pub const KNOWN_MODELS: [&str; 2] = [DEFAULT_MODEL, ALL_MODEL];

/// Flat price of one image call, in micro-dollars ($0.03).
pub const PRICE_PER_CALL_MICRO_USD: u64 = 30_000;

/// Whether `model` takes the top-level `size` field. `gpt-image-2-all`
/// refuses it (its dimensions go into the prompt); every other model,
/// `gpt-image-2-vip` and unknown OpenAI-compatible ones, takes it.
pub fn takes_size(model: &str) -> bool {
    model != ALL_MODEL
}

/// Why `model` cannot make `size`, if it cannot: `gpt-image-2-all` makes
/// no 4K picture (the gateway's model table: its size goes into the
/// prompt, up to 2K); every other model makes every size.
pub fn cannot_make(model: &str, size: SizeSpec) -> Option<String> {
    match size {
        SizeSpec::Exact(s) if !takes_size(model) && s.tier == Tier::Detail4K => Some(format!(
            "{model} makes no 4K picture ({s}): pick a 1K or 2K size, or {DEFAULT_MODEL}"
        )),
        _ => None,
    }
}

/// The `size` field to send, if any: never for a model that refuses it,
/// and never for `auto` (omitting the field means auto).
pub(crate) fn size_field(model: &str, size: SizeSpec) -> Option<String> {
    match size {
        SizeSpec::Exact(s) if takes_size(model) => Some(s.to_string()),
        _ => None,
    }
}

/// The prompt to send: for a model without a `size` field, the wanted
/// dimensions are written into the prompt instead.
pub(crate) fn prompt_for(model: &str, prompt: &str, size: SizeSpec) -> String {
    match size {
        SizeSpec::Exact(s) if !takes_size(model) => {
            format!(
                "{prompt}\n\n(Output size: {s} pixels, aspect ratio {}.)",
                s.ratio
            )
        }
        _ => prompt.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(s: &str) -> SizeSpec {
        s.parse().expect("valid size")
    }

    #[test]
    fn vip_takes_size_all_does_not() {
        assert_eq!(
            size_field(DEFAULT_MODEL, exact("2048x1152")).as_deref(),
            Some("2048x1152")
        );
        assert_eq!(size_field(ALL_MODEL, exact("2048x1152")), None);
        assert_eq!(size_field(DEFAULT_MODEL, SizeSpec::Auto), None);
        assert_eq!(
            size_field("some-other-model", exact("1280x720")).as_deref(),
            Some("1280x720")
        );
    }

    #[test]
    fn all_makes_no_4k_and_vip_makes_every_size() {
        for size in crate::size::SIZES {
            let spec = SizeSpec::Exact(size);
            assert_eq!(cannot_make(DEFAULT_MODEL, spec), None);
            let all = cannot_make(ALL_MODEL, spec);
            assert_eq!(all.is_some(), size.tier == Tier::Detail4K, "{size}");
        }
        assert_eq!(
            cannot_make(ALL_MODEL, exact("3840x2160")).as_deref(),
            Some(
                "gpt-image-2-all makes no 4K picture (3840x2160): pick a 1K or 2K size, or gpt-image-2-vip"
            )
        );
        assert_eq!(cannot_make(ALL_MODEL, SizeSpec::Auto), None);
    }

    #[test]
    fn all_gets_dimensions_in_the_prompt() {
        let p = prompt_for(ALL_MODEL, "a cat", exact("3840x2160"));
        assert!(p.starts_with("a cat"));
        assert!(p.contains("3840x2160") && p.contains("16:9"), "{p}");
        assert_eq!(
            prompt_for(DEFAULT_MODEL, "a cat", exact("3840x2160")),
            "a cat"
        );
        assert_eq!(prompt_for(ALL_MODEL, "a cat", SizeSpec::Auto), "a cat");
    }
}
