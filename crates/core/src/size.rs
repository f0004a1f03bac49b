//! The gateway's 30 output sizes (10 ratios × 3 tiers), and validation that
//! names the nearest valid size when given anything else.
//!
//! Pure: no I/O. The table is the contract in `../shared/API-NOTES.md`.

use std::fmt;
use std::str::FromStr;

/// A resolution tier, as the gateway's docs name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// "1K Fast": drafts and cheap iterations.
    Fast1K,
    /// "2K Recommended": the default tier.
    Recommended2K,
    /// "4K Detail": large deliverables; fails upstream more often.
    Detail4K,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Fast1K, Tier::Recommended2K, Tier::Detail4K];

    pub fn label(self) -> &'static str {
        match self {
            Tier::Fast1K => "1K Fast",
            Tier::Recommended2K => "2K Recommended",
            Tier::Detail4K => "4K Detail",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Tier::Fast1K => "1K",
            Tier::Recommended2K => "2K",
            Tier::Detail4K => "4K",
        }
    }
}

/// One of the 30 sizes the gateway accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Size {
    pub width: u32,
    pub height: u32,
    pub ratio: Ratio,
    pub tier: Tier,
}

/// An aspect ratio from the table, `w:h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    pub w: u8,
    pub h: u8,
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.w, self.h)
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

const fn entry(rw: u8, rh: u8, tier: Tier, width: u32, height: u32) -> Size {
    Size {
        width,
        height,
        ratio: Ratio { w: rw, h: rh },
        tier,
    }
}

/// The ratios in the order of the gateway's table (rows of the size picker).
pub const RATIOS: [Ratio; 10] = [
    Ratio { w: 1, h: 1 },
    Ratio { w: 2, h: 3 },
    Ratio { w: 3, h: 2 },
    Ratio { w: 3, h: 4 },
    Ratio { w: 4, h: 3 },
    Ratio { w: 4, h: 5 },
    Ratio { w: 5, h: 4 },
    Ratio { w: 9, h: 16 },
    Ratio { w: 16, h: 9 },
    Ratio { w: 21, h: 9 },
];

use Tier::{Detail4K, Fast1K, Recommended2K};

/// All 30 sizes, ratio-major in table order, tiers 1K, 2K, 4K.
pub const SIZES: [Size; 30] = [
    entry(1, 1, Fast1K, 1280, 1280),
    entry(1, 1, Recommended2K, 2048, 2048),
    entry(1, 1, Detail4K, 2880, 2880),
    entry(2, 3, Fast1K, 848, 1280),
    entry(2, 3, Recommended2K, 1360, 2048),
    entry(2, 3, Detail4K, 2336, 3520),
    entry(3, 2, Fast1K, 1280, 848),
    entry(3, 2, Recommended2K, 2048, 1360),
    entry(3, 2, Detail4K, 3520, 2336),
    entry(3, 4, Fast1K, 960, 1280),
    entry(3, 4, Recommended2K, 1536, 2048),
    entry(3, 4, Detail4K, 2480, 3312),
    entry(4, 3, Fast1K, 1280, 960),
    entry(4, 3, Recommended2K, 2048, 1536),
    entry(4, 3, Detail4K, 3312, 2480),
    entry(4, 5, Fast1K, 1024, 1280),
    entry(4, 5, Recommended2K, 1632, 2048),
    entry(4, 5, Detail4K, 2560, 3216),
    entry(5, 4, Fast1K, 1280, 1024),
    entry(5, 4, Recommended2K, 2048, 1632),
    entry(5, 4, Detail4K, 3216, 2560),
    entry(9, 16, Fast1K, 720, 1280),
    entry(9, 16, Recommended2K, 1152, 2048),
    entry(9, 16, Detail4K, 2160, 3840),
    entry(16, 9, Fast1K, 1280, 720),
    entry(16, 9, Recommended2K, 2048, 1152),
    entry(16, 9, Detail4K, 3840, 2160),
    entry(21, 9, Fast1K, 1280, 544),
    entry(21, 9, Recommended2K, 2048, 864),
    entry(21, 9, Detail4K, 3840, 1632),
];

impl Size {
    /// The table entry for exactly these dimensions, if there is one.
    pub fn lookup(width: u32, height: u32) -> Option<Size> {
        SIZES
            .iter()
            .copied()
            .find(|s| s.width == width && s.height == height)
    }

    /// The entry for a ratio and tier (every pair exists).
    pub fn of(ratio: Ratio, tier: Tier) -> Size {
        SIZES
            .iter()
            .copied()
            .find(|s| s.ratio == ratio && s.tier == tier)
            .unwrap_or(SIZES[1])
    }

    /// The same ratio one tier down (4K → 2K → 1K), used to offer
    /// "retry at 2K" after a 4K upstream failure.
    pub fn tier_down(self) -> Option<Size> {
        let lower = match self.tier {
            Tier::Fast1K => return None,
            Tier::Recommended2K => Tier::Fast1K,
            Tier::Detail4K => Tier::Recommended2K,
        };
        Some(Size::of(self.ratio, lower))
    }

    /// The valid size closest to `width`×`height`: first by aspect ratio
    /// (log-distance, so 2:1 and 1:2 are equally far from 1:1), then by area.
    pub fn nearest(width: u32, height: u32) -> Size {
        let w = f64::from(width.max(1));
        let h = f64::from(height.max(1));
        let want_ratio = (w / h).ln();
        let want_area = (w * h).ln();
        let score = |s: &Size| {
            let r = (f64::from(s.width) / f64::from(s.height)).ln();
            let a = (f64::from(s.width) * f64::from(s.height)).ln();
            // Ratio matters most: a wrong shape is worse than a wrong tier.
            (r - want_ratio).abs() * 4.0 + (a - want_area).abs()
        };
        SIZES
            .iter()
            .copied()
            .min_by(|a, b| score(a).total_cmp(&score(b)))
            .unwrap_or(SIZES[1])
    }
}

/// What a user asks for: `auto` (the model decides; the field is omitted
/// or sent as `auto`) or one exact size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SizeSpec {
    #[default]
    Auto,
    Exact(Size),
}

impl SizeSpec {
    pub fn exact(self) -> Option<Size> {
        match self {
            SizeSpec::Auto => None,
            SizeSpec::Exact(s) => Some(s),
        }
    }
}

impl fmt::Display for SizeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeSpec::Auto => f.write_str("auto"),
            SizeSpec::Exact(s) => s.fmt(f),
        }
    }
}

/// Why a size string was refused, with the size to use instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}{}", suggestion.map(|s| format!("; try {s} ({} {})", s.ratio, s.tier.label())).unwrap_or_default())]
pub struct SizeError {
    pub(crate) input: String,
    pub reason: String,
    pub(crate) suggestion: Option<Size>,
}

impl FromStr for SizeSpec {
    type Err = SizeError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input == "auto" {
            return Ok(SizeSpec::Auto);
        }
        let fail = |reason: String, suggestion: Option<Size>| SizeError {
            input: input.to_owned(),
            reason,
            suggestion,
        };
        let Some((w, sep, h)) = read_dimensions(input) else {
            return Err(fail(
                format!("size {input:?} is not WIDTHxHEIGHT or auto"),
                None,
            ));
        };
        if sep == ':' {
            // "16:9" is a ratio: suggest the 2K size of the nearest ratio.
            let nearest = Size::nearest(w.max(1), h.max(1));
            return Err(fail(
                format!("size {input:?} is a ratio, not a size"),
                Some(Size::of(nearest.ratio, Tier::Recommended2K)),
            ));
        }
        if w == 0 || h == 0 {
            return Err(fail(
                format!("size {input:?} has a zero side"),
                Some(Size::nearest(w.max(1), h.max(1))),
            ));
        }
        match Size::lookup(w, h) {
            // Only the table's own spelling goes to the gateway.
            Some(s) if s.to_string() == input => Ok(SizeSpec::Exact(s)),
            Some(s) => Err(fail(
                format!(
                    "size {input:?} must be written as WIDTHxHEIGHT with a lowercase ASCII x, \
                     no spaces or leading zeros"
                ),
                Some(s),
            )),
            None => Err(fail(
                format!("size {input:?} is not one of the gateway's 30 sizes"),
                Some(Size::nearest(w, h)),
            )),
        }
    }
}

/// Reads `input` leniently as digits, a separator, digits (spaces allowed
/// around the separator, or as it), so that a near miss like `2048 X 1152`
/// can be answered with the size it meant. Signs and other text: `None`.
fn read_dimensions(input: &str) -> Option<(u32, char, u32)> {
    const SEPARATORS: [char; 7] = ['x', 'X', '×', '*', ':', ',', ' '];
    let input = input.trim();
    let (w, rest) = input.split_at(input.find(|c: char| !c.is_ascii_digit())?);
    let (between, h) = rest.split_at(rest.find(|c: char| c.is_ascii_digit())?);
    let mut between = between.trim().chars();
    let sep = between.next().unwrap_or(' ');
    if between.next().is_some()
        || !SEPARATORS.contains(&sep)
        || !h.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((w.parse().ok()?, sep, h.parse().ok()?))
}

impl serde::Serialize for SizeSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for SizeSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_thirty_sizes_parse_and_print_back() {
        for s in SIZES {
            let text = s.to_string();
            assert_eq!(text.parse::<SizeSpec>(), Ok(SizeSpec::Exact(s)), "{text}");
        }
        let mut seen: Vec<_> = SIZES.iter().map(|s| (s.width, s.height)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 30);
    }

    #[test]
    fn every_ratio_has_three_tiers_in_order() {
        for r in RATIOS {
            let px: Vec<u64> = Tier::ALL
                .iter()
                .map(|&t| {
                    let s = Size::of(r, t);
                    assert_eq!((s.ratio, s.tier), (r, t));
                    u64::from(s.width) * u64::from(s.height)
                })
                .collect();
            assert!(px[0] < px[1] && px[1] < px[2], "{r}");
        }
    }

    #[test]
    fn auto_parses() {
        assert_eq!("auto".parse::<SizeSpec>(), Ok(SizeSpec::Auto));
        assert_eq!(SizeSpec::Auto.to_string(), "auto");
    }

    /// The size table exactly as the gateway's docs print it: ratio, then
    /// 1K Fast, 2K Recommended, 4K Detail.
    const DOC_TABLE: [(&str, [&str; 3]); 10] = [
        ("1:1", ["1280x1280", "2048x2048", "2880x2880"]),
        ("2:3", ["848x1280", "1360x2048", "2336x3520"]),
        ("3:2", ["1280x848", "2048x1360", "3520x2336"]),
        ("3:4", ["960x1280", "1536x2048", "2480x3312"]),
        ("4:3", ["1280x960", "2048x1536", "3312x2480"]),
        ("4:5", ["1024x1280", "1632x2048", "2560x3216"]),
        ("5:4", ["1280x1024", "2048x1632", "3216x2560"]),
        ("9:16", ["720x1280", "1152x2048", "2160x3840"]),
        ("16:9", ["1280x720", "2048x1152", "3840x2160"]),
        ("21:9", ["1280x544", "2048x864", "3840x1632"]),
    ];

    #[test]
    fn table_matches_the_gateway_docs() {
        assert_eq!(RATIOS.len(), DOC_TABLE.len());
        for (ratio, (doc_ratio, row)) in RATIOS.iter().zip(DOC_TABLE) {
            assert_eq!(ratio.to_string(), doc_ratio);
            for (tier, text) in Tier::ALL.into_iter().zip(row) {
                let s = Size::of(*ratio, tier);
                assert_eq!(s.to_string(), text, "{doc_ratio} {}", tier.label());
                assert_eq!(text.parse::<SizeSpec>(), Ok(SizeSpec::Exact(s)));
                // The pixels really have the ratio they are filed under.
                let off = f64::from(s.width)
                    / f64::from(s.height)
                    / (f64::from(ratio.w) / f64::from(ratio.h));
                assert!((off - 1.0).abs() < 0.02, "{s} is not {ratio}");
            }
        }
    }

    /// Input, the suggestion, and a fragment of the message.
    #[rustfmt::skip]
    #[rstest::rstest]
    #[case::not_in_table("1024x768", Some("1280x960"), "not one of the gateway's 30 sizes")]
    #[case::square_not_in_table("1024x1024", Some("1280x1280"), "30 sizes")]
    #[case::uppercase_x("2048X1152", Some("2048x1152"), "lowercase ASCII x")]
    #[case::times_sign("2048×1152", Some("2048x1152"), "lowercase ASCII x")]
    #[case::spaced_x("2048 x 1152", Some("2048x1152"), "lowercase ASCII x")]
    #[case::space_only("2048 1152", Some("2048x1152"), "lowercase ASCII x")]
    #[case::star("2048*1152", Some("2048x1152"), "lowercase ASCII x")]
    #[case::comma("2048,1152", Some("2048x1152"), "lowercase ASCII x")]
    #[case::leading_space(" 2048x1152", Some("2048x1152"), "no spaces")]
    #[case::trailing_newline("2048x1152\n", Some("2048x1152"), "no spaces")]
    #[case::leading_zero("02048x1152", Some("2048x1152"), "leading zeros")]
    #[case::leading_zero_height("2048x01152", Some("2048x1152"), "leading zeros")]
    #[case::plus_sign("+2048x1152", None, "is not WIDTHxHEIGHT")]
    #[case::plus_height("2048x+1152", None, "is not WIDTHxHEIGHT")]
    #[case::known_ratio("16:9", Some("2048x1152"), "a ratio, not a size")]
    #[case::unknown_ratio_gets_2k("7:3", Some("2048x864"), "a ratio")]
    #[case::tall_unknown_ratio("1:2", Some("1152x2048"), "a ratio")]
    #[case::one_pixel_off("3840x2161", Some("3840x2160"), "30 sizes")]
    #[case::too_big("4000x4000", Some("2880x2880"), "30 sizes")]
    #[case::too_thin("100x1000", Some("720x1280"), "30 sizes")]
    #[case::zero_side("0x100", Some("720x1280"), "zero side")]
    #[case::uppercase_auto("AUTO", None, "or auto")]
    #[case::spaced_auto(" auto", None, "or auto")]
    #[case::empty("", None, "or auto")]
    #[case::word("big", None, "or auto")]
    #[case::bare_x("x", None, "or auto")]
    #[case::no_height("12x", None, "or auto")]
    #[case::three_sides("2048x1152x3", None, "or auto")]
    #[case::negative("-5x10", None, "or auto")]
    #[case::overflow("99999999999x1", None, "or auto")]
    fn bad_forms_are_rejected_with_the_nearest_size(
        #[case] input: &str,
        #[case] suggestion: Option<&str>,
        #[case] says: &str,
    ) {
        let err = input.parse::<SizeSpec>().expect_err(input);
        assert_eq!(err.input, input);
        assert_eq!(err.suggestion.map(|s| s.to_string()).as_deref(), suggestion);
        let shown = err.to_string();
        assert!(shown.contains(says), "{shown}");
        if let Some(s) = suggestion {
            assert!(shown.contains(&format!("try {s} (")), "{shown}");
        }
    }

    proptest::proptest! {
        /// Any `WxH` is accepted exactly when it is in the table, and a
        /// refusal always suggests a size from the table.
        #[test]
        fn any_dimensions_are_accepted_iff_in_the_table(w in 0u32..5000, h in 0u32..5000) {
            let input = format!("{w}x{h}");
            match input.parse::<SizeSpec>() {
                Ok(spec) => {
                    proptest::prop_assert_eq!(spec, SizeSpec::Exact(Size::lookup(w, h).expect("in table")));
                }
                Err(e) => {
                    proptest::prop_assert!(Size::lookup(w, h).is_none());
                    let s = e.suggestion.expect("a suggestion");
                    proptest::prop_assert!(SIZES.contains(&s));
                }
            }
        }

        #[test]
        fn any_text_parses_without_panicking(input in "\\PC{0,16}") {
            if let Ok(SizeSpec::Exact(s)) = input.parse::<SizeSpec>() {
                proptest::prop_assert_eq!(s.to_string(), input);
            }
        }
    }

    #[test]
    fn tier_down_goes_4k_to_2k_to_1k() {
        let s = Size::lookup(3840, 2160).expect("in table");
        let two = s.tier_down().expect("2k");
        assert_eq!(two.to_string(), "2048x1152");
        assert_eq!(
            two.tier_down().map(|s| s.to_string()).as_deref(),
            Some("1280x720")
        );
        assert_eq!(two.tier_down().and_then(Size::tier_down), None);
    }

    #[test]
    fn nearest_of_a_table_size_is_itself() {
        for s in SIZES {
            assert_eq!(Size::nearest(s.width, s.height), s);
        }
    }

    #[test]
    fn serde_round_trip() {
        let v = serde_json::to_string(&SizeSpec::Exact(SIZES[4])).expect("ser");
        assert_eq!(v, "\"1360x2048\"");
        let back: SizeSpec = serde_json::from_str(&v).expect("de");
        assert_eq!(back, SizeSpec::Exact(SIZES[4]));
        assert!(serde_json::from_str::<SizeSpec>("\"1024x768\"").is_err());
    }
}
