//! UK local time (Europe/London, with its summer time): what the specs mean by "today",
//! "not in the past" and "in the future", and the offset date-times are written with
//! (`+00:00` in winter, `+01:00` in summer), in every API.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! // 23:30 UTC on 30 June is already 1 July in the UK (BST, +01:00).
//! let late = Utc.with_ymd_and_hms(2026, 6, 30, 23, 30, 0).unwrap();
//! assert_eq!(gpconnect_core::uk::date_at(late).to_string(), "2026-07-01");
//! assert_eq!(gpconnect_core::uk::at(late).to_rfc3339(), "2026-07-01T00:30:00+01:00");
//! ```
//!
//! The UK rule, fixed since 1996 (the Summer Time Order 2002 keeps the EU rule of 1996):
//! British Summer Time (`+01:00`) from 01:00 UTC on the last Sunday of March to 01:00 UTC
//! on the last Sunday of October, GMT (`+00:00`) otherwise. It is computed here rather
//! than read from the tz database (a whole crate tree in every build for one zone). Dates
//! before 1996 get the same rule, which is not what the UK observed then (summer time
//! began and ended on other Sundays; 1968-1971 were `+01:00` all year): the SDK works
//! with the present (today, now, the times it writes), never with times that old.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, SubsecRound, Utc};

/// Today's date in the UK.
pub fn today() -> NaiveDate {
    date_at(Utc::now())
}

/// The UK date at `instant`.
pub fn date_at(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&offset_at(instant)).date_naive()
}

/// Now in UK local time, to the second, with the UK offset of this instant.
pub fn now() -> DateTime<FixedOffset> {
    at(Utc::now())
}

/// `instant` in UK local time, to the second, with the UK offset of that instant.
pub fn at(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    let instant = instant.trunc_subsecs(0);
    instant.with_timezone(&offset_at(instant))
}

/// The UK offset at `instant`: `+01:00` (BST) from 01:00 UTC on the last Sunday of March
/// to 01:00 UTC on the last Sunday of October, `+00:00` (GMT) otherwise.
fn offset_at(instant: DateTime<Utc>) -> FixedOffset {
    let year = instant.year();
    let summer = change_at(year, 3) <= instant && instant < change_at(year, 10);
    FixedOffset::east_opt(if summer { 3600 } else { 0 }).expect("an offset within a day")
}

/// 01:00 UTC on the last Sunday of `month` (March or October: both have 31 days).
fn change_at(year: i32, month: u32) -> DateTime<Utc> {
    let last_day = NaiveDate::from_ymd_opt(year, month, 31).expect("March and October have 31 days");
    let sunday = last_day - Duration::days(i64::from(last_day.weekday().num_days_from_sunday()));
    sunday.and_hms_opt(1, 0, 0).expect("01:00 exists").and_utc()
}

/// A FHIR `dateTime` in UK local time (`2026-07-01T00:30:00+01:00`).
pub fn fhir_date_time(instant: DateTime<FixedOffset>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn winter_is_gmt_and_summer_is_bst() {
        let winter = Utc.with_ymd_and_hms(2026, 1, 15, 23, 59, 59).unwrap();
        assert_eq!(fhir_date_time(at(winter)), "2026-01-15T23:59:59+00:00");
        assert_eq!(date_at(winter).to_string(), "2026-01-15");
        // The clocks go forward at 01:00 UTC on the last Sunday of March.
        let before = Utc.with_ymd_and_hms(2026, 3, 29, 0, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap();
        assert_eq!(fhir_date_time(at(before)), "2026-03-29T00:59:59+00:00");
        assert_eq!(fhir_date_time(at(after)), "2026-03-29T02:00:00+01:00");
        let summer_midnight = Utc.with_ymd_and_hms(2026, 8, 31, 23, 0, 0).unwrap();
        assert_eq!(date_at(summer_midnight).to_string(), "2026-09-01");
    }

    /// The rule at both changes of each year, the second before and at each, against the
    /// change instants the tz database has for Europe/London (checked with Python zoneinfo).
    #[test]
    fn the_clocks_change_on_the_last_sundays_of_march_and_october_at_one_utc() {
        let changes = [
            (1996, 31, 27),
            (2000, 26, 29),
            (2019, 31, 27),
            (2024, 31, 27),
            (2025, 30, 26),
            (2026, 29, 25),
            (2027, 28, 31),
            (2028, 26, 29),
            (2032, 28, 31),
        ];
        for (year, march, october) in changes {
            let forward = Utc.with_ymd_and_hms(year, 3, march, 1, 0, 0).unwrap();
            let back = Utc.with_ymd_and_hms(year, 10, october, 1, 0, 0).unwrap();
            let second = Duration::seconds(1);
            assert_eq!(offset_at(forward - second).local_minus_utc(), 0, "{year}");
            assert_eq!(offset_at(forward).local_minus_utc(), 3600, "{year}");
            assert_eq!(offset_at(back - second).local_minus_utc(), 3600, "{year}");
            assert_eq!(offset_at(back).local_minus_utc(), 0, "{year}");
            // Local time jumps 01:00 -> 02:00 in March and 02:00 -> 01:00 in October.
            assert_eq!(at(forward - second).format("%H:%M:%S").to_string(), "00:59:59");
            assert_eq!(at(forward).format("%H:%M:%S").to_string(), "02:00:00");
            assert_eq!(at(back - second).format("%H:%M:%S").to_string(), "01:59:59");
            assert_eq!(at(back).format("%H:%M:%S").to_string(), "01:00:00");
        }
    }

    #[test]
    fn the_uk_date_turns_at_uk_midnight() {
        // Winter: UK midnight is UTC midnight.
        let new_year = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(date_at(new_year).to_string(), "2026-12-31");
        assert_eq!(date_at(new_year + Duration::seconds(1)).to_string(), "2027-01-01");
        // Summer: UK midnight is 23:00 UTC the day before.
        let june = Utc.with_ymd_and_hms(2026, 6, 14, 22, 59, 59).unwrap();
        assert_eq!(date_at(june).to_string(), "2026-06-14");
        assert_eq!(date_at(june + Duration::seconds(1)).to_string(), "2026-06-15");
        assert_eq!(fhir_date_time(at(june + Duration::seconds(1))), "2026-06-15T00:00:00+01:00");
        // The change days themselves: midnight before the change is GMT, after it BST.
        let spring = Utc.with_ymd_and_hms(2026, 3, 28, 23, 59, 59).unwrap();
        assert_eq!(fhir_date_time(at(spring)), "2026-03-28T23:59:59+00:00");
        let autumn = Utc.with_ymd_and_hms(2026, 10, 24, 23, 0, 0).unwrap();
        assert_eq!(fhir_date_time(at(autumn)), "2026-10-25T00:00:00+01:00");
        assert_eq!(fhir_date_time(at(autumn + Duration::hours(3))), "2026-10-25T02:00:00+00:00");
    }
}
