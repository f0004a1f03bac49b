//! Spend limits (`budget_day`, `budget_conversation`) and when to ask
//! before a large request (`confirm_above`), docs/ledger.md. A request
//! that would pass a limit is refused before anything is sent, with a
//! message naming the setting to raise.

use time::{Date, OffsetDateTime};

use crate::ledger;
use pixloom_core::model::PRICE_PER_CALL_MICRO_USD;

/// `confirm_above`'s default: more images than this at once ask first.
pub(crate) const DEFAULT_CONFIRM_ABOVE: u8 = 4;

/// The limits in force (micro USD; `None`: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    pub day: Option<u64>,
    pub conversation: Option<u64>,
    pub confirm_above: u8,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            day: None,
            conversation: None,
            confirm_above: DEFAULT_CONFIRM_ABOVE,
        }
    }
}

/// What was spent on one day (`ledger::day_of`: the UTC date), micro USD:
/// the day the total belongs to, and the total. The app keeps one — the
/// ledger's total when it opened, plus its calls since — and it restarts
/// when the app's clock passes into a new day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySpend {
    pub day: Date,
    pub micro_usd: u64,
}

impl DaySpend {
    /// Nothing spent yet on `at`'s day.
    pub fn none_on(at: OffsetDateTime) -> DaySpend {
        DaySpend {
            day: ledger::day_of(at),
            micro_usd: 0,
        }
    }

    /// The total on `now`'s day: this one's on its own day, nothing yet
    /// on a later one (midnight passed since the last call).
    pub fn on(&self, now: OffsetDateTime) -> u64 {
        if ledger::day_of(now) > self.day {
            0
        } else {
            self.micro_usd
        }
    }

    /// Counts a call sent at `sent` (on its day, as the ledger counts
    /// it): on this day it adds; on a later day the total restarts from
    /// it; an earlier day's call belongs to that day, not this one.
    pub fn add(&mut self, sent: OffsetDateTime, micro_usd: u64) {
        let day = ledger::day_of(sent);
        if day > self.day {
            *self = DaySpend { day, micro_usd };
        } else if day == self.day {
            self.micro_usd += micro_usd;
        }
    }
}

/// How long from `now` until the next day (`ledger::day_of`) begins, and
/// a second more, so a clock read then is surely on it: when the app
/// draws its `today` total again.
pub fn until_next_day(now: OffsetDateTime) -> std::time::Duration {
    let next = ledger::day_of(now)
        .next_day()
        .map(|d| d.midnight().assume_utc());
    let left = next.map_or(time::Duration::DAY, |n| n - now);
    std::time::Duration::try_from(left).unwrap_or_default() + std::time::Duration::from_secs(1)
}

/// What was spent so far, micro USD.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spent {
    /// Today (UTC), from the ledger: billed calls and those that may
    /// have been.
    pub day: u64,
    /// In this conversation, as it recorded its turns' costs.
    pub conversation: u64,
}

impl Budgets {
    /// `Err(message)` when `calls` more calls would pass a limit.
    pub(crate) fn check(&self, calls: u64, spent: Spent) -> Result<(), String> {
        let cost = calls * PRICE_PER_CALL_MICRO_USD;
        let limits = [
            (
                self.day,
                spent.day,
                "the daily limit",
                "spent today (UTC)",
                "--budget-day",
                "budget_day",
            ),
            (
                self.conversation,
                spent.conversation,
                "this conversation's limit",
                "spent in it",
                "--budget-conversation",
                "budget_conversation",
            ),
        ];
        for (limit, spent, what, when, flag, key) in limits {
            let Some(limit) = limit else { continue };
            if spent + cost > limit {
                return Err(format!(
                    "not sent: {} ({calls} × {}) would pass {what}: {} of {} {when}. Raise it with {flag} or {key} in config.toml",
                    usd(cost),
                    usd(PRICE_PER_CALL_MICRO_USD),
                    usd(spent),
                    usd(limit),
                ));
            }
        }
        Ok(())
    }

    /// The day's total the app starts from: the ledger's for `now`'s day
    /// when a day limit is set (an unreadable ledger counts from zero;
    /// `pixloom ledger` says why), else nothing.
    pub(crate) fn spent_at_start(&self, now: OffsetDateTime) -> DaySpend {
        let zero = DaySpend::none_on(now);
        match self.day {
            Some(_) => spent_today(now).unwrap_or(zero),
            None => zero,
        }
    }

    /// Whether `calls` at once is more than `confirm_above`.
    pub(crate) fn asks_first(&self, calls: u64) -> bool {
        calls > u64::from(self.confirm_above)
    }

    /// The question asked before a large request.
    pub(crate) fn question(calls: u64) -> String {
        format!(
            "send {calls} requests for {} ({calls} × {})?",
            usd(calls * PRICE_PER_CALL_MICRO_USD),
            usd(PRICE_PER_CALL_MICRO_USD)
        )
    }

    /// `spent / limit` for each limit set, for a status bar; `None`
    /// when no limit is set.
    pub(crate) fn status(&self, spent: Spent) -> Option<String> {
        let day = self
            .day
            .map(|l| format!("today {}/{}", usd(spent.day), usd(l)));
        let conv = self
            .conversation
            .map(|l| format!("conv {}/{}", usd(spent.conversation), usd(l)));
        match (day, conv) {
            (Some(d), Some(c)) => Some(format!("{d} · {c}")),
            (d, c) => d.or(c),
        }
    }
}

/// Micro USD as `$0.09`.
pub(crate) fn usd(micro: u64) -> String {
    format!("${}.{:02}", micro / 1_000_000, (micro % 1_000_000) / 10_000)
}

/// What the ledger says was spent on `now`'s day (UTC): the calls billed
/// and those that may have been. A ledger that cannot be read is an error
/// saying where it is.
pub(crate) fn spent_today(now: OffsetDateTime) -> Result<DaySpend, String> {
    let mut spent = DaySpend::none_on(now);
    let Some(path) = ledger::default_path() else {
        return Ok(spent);
    };
    let read = ledger::read(&path).map_err(|e| {
        crate::errline::line(
            format!("the day's spending cannot be read from the ledger ({e})"),
            "Fix the file's permissions, or unset budget_day",
            path.display(),
        )
    })?;
    let today = ledger::entry_day(now);
    spent.micro_usd = read
        .calls
        .iter()
        .filter(|c| c.day() == today)
        .map(Call::at_most_micro_usd)
        .sum();
    Ok(spent)
}

use ledger::Call;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_refuses_what_would_pass_it_and_names_the_setting() {
        let b = Budgets {
            day: Some(100_000),
            conversation: Some(1_000_000),
            ..Budgets::default()
        };
        let spent = Spent {
            day: 60_000,
            conversation: 0,
        };
        assert_eq!(b.check(1, spent), Ok(()));
        let e = b.check(2, spent).unwrap_err();
        assert_eq!(
            e,
            "not sent: $0.06 (2 × $0.03) would pass the daily limit: $0.06 of $0.10 spent today (UTC). Raise it with --budget-day or budget_day in config.toml"
        );
        let e = b
            .check(
                1,
                Spent {
                    day: 0,
                    conversation: 990_000,
                },
            )
            .unwrap_err();
        assert!(
            e.contains("--budget-conversation or budget_conversation"),
            "{e}"
        );
        assert_eq!(Budgets::default().check(1000, spent), Ok(()));
    }

    #[test]
    fn a_day_total_belongs_to_its_day_and_restarts_on_the_next() {
        use time::macros::datetime;
        let mut d = DaySpend::none_on(datetime!(2025-03-01 23:00 -02:00));
        // 23:00 at UTC-2 is 1:00 on 2 March in UTC: the ledger's day.
        assert_eq!(d.day, datetime!(2025-03-02 00:00 UTC).date());
        d.add(datetime!(2025-03-02 10:00 UTC), 30_000);
        d.add(datetime!(2025-03-01 23:59 UTC), 30_000); // the day before's
        assert_eq!(d.on(datetime!(2025-03-02 23:59:59 UTC)), 30_000);
        // Midnight passed: nothing yet on the 3rd; the day's state keeps
        // what the 2nd spent until a call of the 3rd restarts it.
        assert_eq!(d.on(datetime!(2025-03-03 00:00 UTC)), 0);
        d.add(datetime!(2025-03-03 00:00:01 UTC), 30_000);
        assert_eq!(
            d,
            DaySpend {
                day: datetime!(2025-03-03 00:00 UTC).date(),
                micro_usd: 30_000
            }
        );
        assert_eq!(
            ledger::entry_day(datetime!(2025-03-01 23:00 -02:00)),
            "2025-03-02"
        );
        // The app wakes a second past the next midnight (UTC).
        let secs = |at| until_next_day(at).as_secs();
        assert_eq!(secs(datetime!(2025-03-01 23:59:00 UTC)), 61);
        assert_eq!(secs(datetime!(2025-03-01 23:00 -02:00)), 23 * 3600 + 1);
        assert_eq!(secs(datetime!(2025-03-02 00:00 UTC)), 24 * 3600 + 1);
    }

    #[test]
    fn asks_above_confirm_above_and_shows_spent_over_limit() {
        let b = Budgets::default();
        assert!(!b.asks_first(4) && b.asks_first(5));
        assert_eq!(
            Budgets::question(5),
            "send 5 requests for $0.15 (5 × $0.03)?"
        );
        assert_eq!(b.status(Spent::default()), None);
        let b = Budgets {
            day: Some(1_000_000),
            conversation: Some(500_000),
            ..b
        };
        let spent = Spent {
            day: 120_000,
            conversation: 60_000,
        };
        assert_eq!(
            b.status(spent).unwrap(),
            "today $0.12/$1.00 · conv $0.06/$0.50"
        );
        assert_eq!(usd(12_345_678), "$12.34");
    }
}
