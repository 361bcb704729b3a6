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

use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound, Utc};
use chrono_tz::Europe::London;

/// Today's date in the UK.
pub fn today() -> NaiveDate {
    date_at(Utc::now())
}

/// The UK date at `instant`.
pub fn date_at(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&London).date_naive()
}

/// Now in UK local time, to the second, with the UK offset of this instant.
pub fn now() -> DateTime<FixedOffset> {
    at(Utc::now())
}

/// `instant` in UK local time, to the second, with the UK offset of that instant.
pub fn at(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    instant.trunc_subsecs(0).with_timezone(&London).fixed_offset()
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
}
