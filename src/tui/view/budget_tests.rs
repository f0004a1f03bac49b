//! Spend limits in the app: spent / limit in the status bar, the price in
//! the variants question, and a request over a limit refused before it
//! is sent.

use std::time::Duration;

use time::macros::datetime;

use crate::budget::{Budgets, DaySpend};
use crate::tui::action::{Action as A, Event, Msg};
use crate::tui::fixtures::{branched, done_report, n};
use crate::tui::state::{App, Clock, Overlay};
use crate::tui::update::update;

use super::tests::{screen, with};

/// `branched` with a day limit of $1 ($0.12 spent before the app opened)
/// and a conversation limit of $0.50.
fn limited() -> App {
    let mut app = branched();
    app.budgets = Budgets {
        day: Some(1_000_000),
        conversation: Some(500_000),
        ..Budgets::default()
    };
    app.today.micro_usd = 120_000;
    app
}

#[test]
fn the_status_bar_shows_spent_over_limit() {
    let app = limited();
    let conv = crate::budget::usd(app.conv.total_cost_micro_usd());
    let (text, _) = screen(&app, 200, 60);
    insta::assert_snapshot!("budget_status_200x60", text);
    let status = text.lines().last().unwrap();
    assert!(
        status.contains(&format!("today $0.12/$1.00 · conv {conv}/$0.50")),
        "{status}"
    );
    // Narrow: the limits stay when the rest goes.
    let (narrow, _) = screen(&app, 60, 20);
    assert!(narrow.contains("today $0.12/$1.00"), "{narrow}");
    // No limit: no budget in the bar.
    let (plain, _) = screen(&branched(), 200, 60);
    assert!(!plain.contains("today $"), "{plain}");
}

#[test]
fn variants_over_a_limit_are_refused_before_sending() {
    let mut app = limited();
    app.budgets.day = Some(150_000);
    let app = with(app, &[A::Variants, A::Confirm]);
    assert!(app.in_flight.is_empty(), "nothing sent");
    let said = &app.status.as_ref().unwrap().text;
    assert!(said.contains("not sent: $0.09 (3 × $0.03)"), "{said}");
    assert!(said.contains("--budget-day or budget_day"), "{said}");
    // Within the limit: sent.
    let app = with(limited(), &[A::Variants, A::Confirm]);
    assert_eq!(app.in_flight.len(), 3);
}

#[test]
fn the_variants_question_says_the_price() {
    for (confirm_above, said) in [
        (4, "3 × $0.03 = $0.09 · each a separate billed call"),
        (2, "3 × $0.03 = $0.09 · asks before sending"),
    ] {
        let mut app = branched();
        app.budgets.confirm_above = confirm_above;
        let (text, _) = screen(&with(app, &[A::Variants]), 100, 30);
        assert!(text.contains(said), "{text}");
    }
}

#[test]
fn above_confirm_above_the_app_asks_yes_or_no_with_the_price() {
    let mut app = branched();
    app.budgets.confirm_above = 2;
    let asked = with(app, &[A::Variants, A::Confirm]);
    assert!(asked.in_flight.is_empty(), "not sent before the answer");
    let (text, _) = screen(&asked, 100, 30);
    insta::assert_snapshot!("budget_confirm_100x30", text);
    assert!(
        text.contains("send 3 requests for $0.09 (3 × $0.03)?"),
        "{text}"
    );
    let no = with(asked.clone(), &[A::Dismiss]);
    assert!(no.in_flight.is_empty() && no.overlay == Overlay::None);
    let yes = with(asked, &[A::Confirm]);
    assert_eq!(yes.in_flight.len(), 3);
}

#[test]
fn a_ledger_that_cannot_be_written_is_told_and_the_turn_lands() {
    use crate::tui::action::{Event, Msg};
    use crate::tui::fixtures::{done_report, in_flight, n};
    let mut app = in_flight();
    let mut report = done_report(n(8), "dd");
    report.ledger_warning = Some(
        "the spending ledger could not be written (\u{1b}[31mdisk full); the turn goes on — /s/ledger.jsonl"
            .to_owned(),
    );
    crate::tui::update::update(&mut app, Msg::Event(Event::TurnFinished(report)));
    let node = app.conv.node(n(8)).unwrap();
    assert_eq!(node.status(), Some(pixloom_core::tree::Status::Done));
    let said = &app.status.as_ref().unwrap().text;
    assert!(said.contains("ledger could not be written"), "{said}");
    assert!(!said.contains('\u{1b}'), "sanitised: {said:?}");
}

/// The status bar (the last line) shows `spent`.
fn bar_shows(app: &App, spent: &str) {
    let (text, _) = screen(app, 200, 60);
    let bar = text.lines().last().unwrap_or_default();
    assert!(bar.contains(spent), "{bar}");
}

/// Three variants are refused, saying `spent`, and nothing is sent.
fn variants_refused(app: &App, spent: &str) {
    let refused = with(app.clone(), &[A::Variants, A::Confirm]);
    assert!(refused.in_flight.is_empty(), "nothing sent");
    let said = &refused.status.as_ref().unwrap().text;
    assert!(said.contains(spent), "{said}");
}

#[test]
fn the_day_total_restarts_when_the_clock_passes_midnight() {
    // $0.95 of $1.00 spent on 1 March, a minute before midnight (UTC).
    let mut app = limited();
    let opened = app.clock.mono;
    app.clock.wall = datetime!(2025-03-01 23:59:00 UTC);
    app.today = DaySpend {
        day: datetime!(2025-03-01 00:00 UTC).date(),
        micro_usd: 950_000,
    };
    bar_shows(&app, "today $0.95/$1.00");
    variants_refused(&app, "$0.95 of $1.00 spent today (UTC)");
    // A call sent at 23:59:50 and answered after midnight is the day it
    // was sent on's, as the ledger counts it.
    let late = app.conv.regenerate(n(5), None, app.clock.wall).unwrap();
    app.in_flight.insert(late, opened + Duration::from_secs(50));
    app.clock = Clock {
        mono: opened + Duration::from_secs(70),
        wall: datetime!(2025-03-02 00:00:10 UTC),
    };
    update(
        &mut app,
        Msg::Event(Event::TurnFinished(done_report(late, "d1"))),
    );
    // 2 March: nothing spent yet, and the bar says so.
    let (text, _) = screen(&app, 200, 60);
    insta::assert_snapshot!("budget_after_midnight_200x60", text);
    bar_shows(&app, "today $0.00/$1.00");
    // The three variants refused at 23:59 go out now…
    let mut app = with(app, &[A::Variants, A::Confirm]);
    let sent: Vec<_> = app.in_flight.keys().copied().collect();
    assert_eq!(sent.len(), 3, "sent after midnight");
    for (i, id) in sent.into_iter().enumerate() {
        let report = done_report(id, &format!("e{i}"));
        update(&mut app, Msg::Event(Event::TurnFinished(report)));
    }
    // …and the new day counts from them alone.
    assert_eq!(
        app.today,
        DaySpend {
            day: datetime!(2025-03-02 00:00 UTC).date(),
            micro_usd: 90_000,
        }
    );
    bar_shows(&app, "today $0.09/$1.00");
    app.budgets.day = Some(100_000);
    variants_refused(&app, "$0.09 of $0.10 spent today (UTC)");
}
