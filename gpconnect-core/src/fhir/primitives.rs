//! FHIR primitive types that must round-trip exactly as written.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// How much of a [`FhirDateTime`] was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// `YYYY`
    Year,
    /// `YYYY-MM`
    Month,
    /// `YYYY-MM-DD`
    Day,
    /// `YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm)`.
    Seconds {
        /// Whether fractional seconds were written.
        fraction: bool,
    },
}

/// A FHIR `date`, `dateTime` or `instant`, kept exactly as the provider wrote it.
///
/// `2017-02-01T10:00:00+00:00` stays `+00:00` (never rewritten to `Z`) and milliseconds are
/// never dropped. Deserialization never fails on the content: a string that is not a valid
/// FHIR date is kept and the typed accessors return `None`.
#[derive(Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FhirDateTime(String);

impl FhirDateTime {
    /// Wrap a string as written (not validated; see [`FhirDateTime::is_valid`]).
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text is a valid FHIR date, dateTime or instant.
    pub fn is_valid(&self) -> bool {
        self.precision().is_some()
    }

    /// The precision written, or `None` when the text is not a recognisable date.
    ///
    /// A date-time without a time zone (not valid FHIR, but seen in the wild) reports
    /// `Seconds` even though [`to_datetime`](Self::to_datetime) returns `None` for it.
    pub fn precision(&self) -> Option<Precision> {
        let s = self.0.as_str();
        match s.len() {
            4 => parse_year(s).map(|_| Precision::Year),
            7 => parse_month(s).map(|_| Precision::Month),
            10 => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|_| Precision::Day),
            _ => {
                if self.to_datetime().is_some() || parse_naive(s).is_some() {
                    let time = s.get(11..).unwrap_or("");
                    Some(Precision::Seconds { fraction: time.contains('.') })
                } else {
                    None
                }
            }
        }
    }

    /// The calendar date; the first day of the period for `YYYY` and `YYYY-MM`.
    ///
    /// For a date-time this is the date as written (in the written offset), not converted to UTC.
    pub fn to_date(&self) -> Option<NaiveDate> {
        let s = self.0.as_str();
        match s.len() {
            4 => parse_year(s),
            7 => parse_month(s),
            10 => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
            _ => {
                if self.precision().is_some() {
                    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
                } else {
                    None
                }
            }
        }
    }

    /// The instant with its written offset; `None` for date-only or unparseable values.
    pub fn to_datetime(&self) -> Option<DateTime<FixedOffset>> {
        let s = self.0.as_str();
        if s.len() <= 10 {
            return None;
        }
        DateTime::parse_from_rfc3339(s).ok()
    }
}

fn parse_year(s: &str) -> Option<NaiveDate> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(s.parse().ok()?, 1, 1)
}

fn parse_month(s: &str) -> Option<NaiveDate> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()
}

impl fmt::Display for FhirDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for FhirDateTime {
    /// As written, screened: a value that is not a date may be anything a provider sent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&crate::redact::Screened(&self.0), f)
    }
}

impl From<&str> for FhirDateTime {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for FhirDateTime {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<NaiveDate> for FhirDateTime {
    fn from(d: NaiveDate) -> Self {
        Self(d.format("%Y-%m-%d").to_string())
    }
}

impl From<DateTime<FixedOffset>> for FhirDateTime {
    /// Formats as `YYYY-MM-DDThh:mm:ss[.fff]+hh:mm` (never `Z`), as GP Connect expects.
    fn from(d: DateTime<FixedOffset>) -> Self {
        Self(d.format("%Y-%m-%dT%H:%M:%S%.f%:z").to_string())
    }
}

impl std::ops::Deref for FhirDateTime {
    type Target = str;

    /// The text as written, so `Option<FhirDateTime>::as_deref()` gives `Option<&str>`.
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for FhirDateTime {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for FhirDateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

crate::__checked_via_serde!(FhirDateTime, Decimal);

impl<'de> Deserialize<'de> for FhirDateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

/// A FHIR `decimal`, keeping the JSON number text exactly as written.
///
/// `10864` stays `10864` (never `10864.0`) and `1.50` keeps its trailing zero when
/// serialized again.
///
/// Deserialization captures the number as a [`RawValue`], which only works when parsing
/// JSON text with serde_json (`serde_json::from_str` / `from_slice` / `from_reader`) — the
/// way this SDK parses every response. Deserializing from a `serde_json::Value` (or any
/// other format) fails for types containing a `Decimal`.
#[derive(Clone)]
pub struct Decimal(Box<RawValue>);

impl Decimal {
    /// Build from number text such as `"10864"` or `"0.50"`; `None` if it is not a JSON number.
    pub fn new(text: &str) -> Option<Self> {
        let text = text.trim();
        serde_json::from_str::<serde_json::Number>(text).ok()?;
        RawValue::from_string(text.to_owned()).ok().map(Self)
    }

    /// The number as written. If a provider sent the number as a JSON string, the
    /// quotes are removed here (but kept on serialization).
    pub fn as_str(&self) -> &str {
        let s = self.0.get();
        s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s)
    }

    /// The value as `f64` (may round), or `None` if the text is not numeric.
    pub fn to_f64(&self) -> Option<f64> {
        self.as_str().trim().parse().ok()
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({})", self.0.get())
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::ops::Deref for Decimal {
    type Target = str;

    /// The number as written (see [`Decimal::as_str`]).
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<i64> for Decimal {
    fn from(v: i64) -> Self {
        Self(RawValue::from_string(v.to_string()).expect("integer is valid JSON"))
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_keeps_offset_and_millis() {
        for s in ["2017-02-01T10:00:00+00:00", "2017-02-01T10:00:00.123+01:00", "2017-02-01T10:00:00.000Z"] {
            let d: FhirDateTime = serde_json::from_str(&format!("\"{s}\"")).unwrap();
            assert_eq!(d.as_str(), s);
            assert_eq!(d.to_string(), s);
            assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{s}\""));
            assert!(d.to_datetime().is_some(), "{s}");
        }
        let d = FhirDateTime::new("2017-02-01T10:00:00.123+01:00");
        assert_eq!(d.precision(), Some(Precision::Seconds { fraction: true }));
        assert_eq!(d.to_date(), NaiveDate::from_ymd_opt(2017, 2, 1));
        assert_eq!(d.to_datetime().unwrap().offset().local_minus_utc(), 3600);
        let d = FhirDateTime::new("2017-02-01T10:00:00+00:00");
        assert_eq!(d.precision(), Some(Precision::Seconds { fraction: false }));
    }

    #[test]
    fn partial_dates() {
        let y = FhirDateTime::new("2017");
        assert_eq!(y.precision(), Some(Precision::Year));
        assert_eq!(y.to_date(), NaiveDate::from_ymd_opt(2017, 1, 1));
        assert_eq!(y.to_datetime(), None);
        let m = FhirDateTime::new("2017-02");
        assert_eq!(m.precision(), Some(Precision::Month));
        assert_eq!(m.to_date(), NaiveDate::from_ymd_opt(2017, 2, 1));
        let d = FhirDateTime::new("2017-02-03");
        assert_eq!(d.precision(), Some(Precision::Day));
        assert_eq!(d.to_date(), NaiveDate::from_ymd_opt(2017, 2, 3));
        assert_eq!(d.to_datetime(), None);
    }

    #[test]
    fn unparseable_is_kept() {
        let d: FhirDateTime = serde_json::from_str("\"last tuesday\"").unwrap();
        assert_eq!(d.as_str(), "last tuesday");
        assert_eq!(d.precision(), None);
        assert_eq!(d.to_date(), None);
        assert_eq!(d.to_datetime(), None);
        assert!(!d.is_valid());
        let d = FhirDateTime::new("2017-13");
        assert_eq!(d.to_date(), None);
        // no offset: date is readable, instant is not
        let d = FhirDateTime::new("2017-02-01T10:00:00");
        assert_eq!(d.to_date(), NaiveDate::from_ymd_opt(2017, 2, 1));
        assert_eq!(d.to_datetime(), None);
    }

    #[test]
    fn decimal_round_trips() {
        #[derive(serde::Deserialize, serde::Serialize)]
        struct Q {
            value: Decimal,
        }
        for s in ["10864", "1.50", "0.001", "-3", "1e3"] {
            let q: Q = serde_json::from_str(&format!("{{\"value\": {s}}}")).unwrap();
            assert_eq!(q.value.as_str(), s);
            assert_eq!(serde_json::to_string(&q).unwrap(), format!("{{\"value\":{s}}}"));
        }
        let q: Q = serde_json::from_slice(br#"{"value":10864}"#).unwrap();
        assert_eq!(q.value.to_f64(), Some(10864.0));
        assert_eq!(Decimal::new("2.0").unwrap().as_str(), "2.0");
        assert!(Decimal::new("abc").is_none());
        assert_eq!(Decimal::from(5).as_str(), "5");
    }
}

/// XML reading and writing of the typed primitives (feature `mesh`), as written.
#[cfg(feature = "mesh")]
mod xml {
    use super::{Decimal, FhirDateTime};
    use crate::xml::{primitive_value, FromXml, Itk3Error, ReadContext, ToXml, XmlNode};

    impl FromXml for FhirDateTime {
        /// Kept as written, like the JSON reading: a malformed date is not an error.
        fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error> {
            primitive_value(node, cx).map(FhirDateTime::from)
        }
    }

    impl ToXml for FhirDateTime {
        fn to_xml(&self, name: &str) -> XmlNode {
            XmlNode::primitive(name, self.as_str())
        }
    }

    impl FromXml for Decimal {
        /// The number text as written.
        fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error> {
            Decimal::new(primitive_value(node, cx)?)
                .ok_or_else(|| Itk3Error::Invalid { path: node.name().to_owned(), problem: "not a decimal" })
        }
    }

    impl ToXml for Decimal {
        fn to_xml(&self, name: &str) -> XmlNode {
            XmlNode::primitive(name, self.as_str())
        }
    }
}
