//! Small pieces of the state: the size cursor, money and time.

use super::*;

#[test]
fn size_cursor_round_trips_every_size() {
    for s in pixloom_core::size::SIZES {
        let spec = SizeSpec::Exact(s);
        assert_eq!(SizeCursor::of(spec).size(), spec);
    }
    assert_eq!(SizeCursor::of(SizeSpec::Auto).size(), SizeSpec::Auto);
}

#[test]
fn money_and_time_read_well() {
    assert_eq!(dollars(90_000), "$0.09");
    assert_eq!(dollars(0), "$0.00");
    assert_eq!(dollars(1_230_000), "$1.23");
    assert_eq!(dollars(995_000), "$1.00", "rounded as a whole");
    assert_eq!(dollars(1_994_999), "$1.99");
    assert_eq!(super::rerun::price_of_calls(3), "3 call(s) × $0.03 = $0.09");
    assert_eq!(
        super::rerun::price_of_calls(40),
        "40 call(s) × $0.03 = $1.20"
    );
    assert_eq!(seconds(Duration::from_secs(12)), "12s");
    assert_eq!(seconds(Duration::from_secs(125)), "2m05s");
    assert_eq!(
        first_words("a  red\nfox\x1b[31m in snow", 12),
        "a red fox[31…"
    );
}
