//! Identifiers a GP Connect call is addressed with: NHS number, ODS code, ASID and the
//! logical ids of resources ([`Id`], such as [`PatientId`]).
//!
//! Each is parsed once, at the edge, into a validated newtype; builders only take these
//! types, so an invalid identifier is an error before any request exists.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;

pub use crate::redact::Screened;

use crate::fhir::{DocumentReference, FhirResource, HealthcareService, Location, Organization, Patient, Practitioner};

/// Why a string is not a valid identifier. Never contains the rejected value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// An NHS number must have exactly ten digits (spaces between groups are allowed).
    #[error("an NHS number has exactly 10 digits, this has {0}: check that it was copied whole")]
    NhsNumberLength(usize),
    /// An NHS number contains something other than digits and single spaces.
    #[error("an NHS number contains only digits, optionally spaced in groups of 3, 3 and 4")]
    NhsNumberCharacters,
    /// The Modulus 11 check gives 10, which no valid NHS number has.
    #[error(
        "not a valid NHS number: the Modulus 11 check of its first nine digits gives 10, which no NHS number has; \
         a digit is probably mistyped"
    )]
    NhsNumberCheckImpossible,
    /// The tenth digit is not the Modulus 11 check digit of the first nine.
    #[error(
        "not a valid NHS number: its last digit is not the Modulus 11 check digit of the first nine; a digit is \
         probably mistyped or two are swapped"
    )]
    NhsNumberCheckDigit,
    /// An ODS code is 3 to 10 upper-case letters and digits.
    #[error("not an ODS code: an ODS code is 3 to 10 letters and digits, such as A20047")]
    OdsCode,
    /// An ASID is 1 to 20 digits (Spine ASIDs are usually 12).
    #[error("not an ASID: an ASID is 1 to 20 digits (Spine ASIDs usually have 12)")]
    Asid,
    /// A FHIR logical id is 1 to 64 of `A-Z a-z 0-9 - .`.
    #[error("not a {0} id: a FHIR logical id is 1 to 64 letters, digits, '-' or '.'")]
    LogicalId(&'static str),
}

/// A validated NHS number: ten digits whose last is the Modulus 11 check digit.
///
/// `Debug` and `Display` mask all but the first three digits (`969*******`);
/// [`NhsNumber::expose`] is the only way to the digits, used when building a request.
///
/// ```
/// use gpconnect_core::NhsNumber;
/// let n: NhsNumber = "969 093 7286".parse()?;
/// assert_eq!(n.expose(), "9690937286");
/// assert_eq!(format!("{n:?}"), "NhsNumber(969*******)");
/// assert!("9690937287".parse::<NhsNumber>().is_err());
/// # Ok::<(), gpconnect_core::IdError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NhsNumber([u8; 10]);

impl NhsNumber {
    /// The system URI of NHS numbers in FHIR identifiers.
    pub const SYSTEM: &'static str = "https://fhir.nhs.uk/Id/nhs-number";

    /// Parses `9690937286` or the spaced form `969 093 7286`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        let spaced = s.len() == 12 && s.as_bytes()[3] == b' ' && s.as_bytes()[7] == b' ';
        let mut digits = [0u8; 10];
        let mut count = 0;
        for (i, b) in s.bytes().enumerate() {
            match b {
                b'0'..=b'9' => {
                    if count < 10 {
                        digits[count] = b;
                    }
                    count += 1;
                }
                b' ' if spaced && (i == 3 || i == 7) => {}
                _ => return Err(IdError::NhsNumberCharacters),
            }
        }
        if count != 10 {
            return Err(IdError::NhsNumberLength(count));
        }
        let sum: u32 = digits[..9].iter().zip((2..=10).rev()).map(|(d, w)| u32::from(d - b'0') * w).sum();
        let check = match 11 - (sum % 11) {
            11 => 0,
            10 => return Err(IdError::NhsNumberCheckImpossible),
            c => c,
        };
        if u32::from(digits[9] - b'0') != check {
            return Err(IdError::NhsNumberCheckDigit);
        }
        Ok(Self(digits))
    }

    /// The ten digits, unspaced, as sent on the wire. Keep the result out of logs.
    pub fn expose(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).expect("ascii digits")
    }

    /// The masked form used in `Debug` and `Display`, for example `969*******`.
    pub fn masked(&self) -> String {
        format!("{}*******", &self.expose()[..3])
    }
}

impl fmt::Debug for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NhsNumber({})", self.masked())
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl FromStr for NhsNumber {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

/// An Organisation Data Service code, such as a GP practice's `A20047`.
///
/// Upper-cased on parse; 3 to 10 ASCII letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OdsCode(String);

impl OdsCode {
    /// The system URI of ODS organisation codes in FHIR identifiers.
    pub const SYSTEM: &'static str = "https://fhir.nhs.uk/Id/ods-organization-code";

    /// Parses an ODS code, accepting lower case.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        if (3..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(s.to_ascii_uppercase()))
        } else {
            Err(IdError::OdsCode)
        }
    }

    /// The code as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OdsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OdsCode {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

/// A Spine Accredited System ID, the value of `Ssp-From` and `Ssp-To`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Asid(String);

impl Asid {
    /// The system URI of ASIDs in SDS `Device` identifiers.
    pub const SYSTEM: &'static str = "https://fhir.nhs.uk/Id/nhsSpineASID";

    /// Parses an ASID: 1 to 20 digits.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        if (1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::Asid)
        }
    }

    /// The ASID as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Asid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Asid {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

/// Whether `id` is a FHIR logical id: 1 to 64 of `A-Z a-z 0-9 - .`, and not `.` or `..`
/// (which a URL would normalise away: `PUT Appointment/..` is the service root).
pub(crate) fn is_logical_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !matches!(id, "." | "..")
}

/// The logical id of a resource of type `R` on one provider's server (`Patient/{id}`),
/// checked once as a FHIR logical id: 1 to 64 of `A-Z a-z 0-9 - .`, never `.` or `..`. Every operation that
/// addresses a resource by id takes one, so an invalid id is an error before any request
/// exists. Use the aliases ([`PatientId`], [`OrganizationId`], [`AppointmentId`], ...).
///
/// Logical ids are not personal data: `Debug` and `Display` show them.
///
/// ```
/// use gpconnect_core::{IdError, PatientId};
/// let id: PatientId = "2".parse()?;
/// assert_eq!(id.as_str(), "2");
/// assert_eq!(format!("{id:?}"), r#"PatientId("2")"#);
/// assert_eq!(id.reference(), "Patient/2");
/// assert_eq!("../2".parse::<PatientId>(), Err(IdError::LogicalId("Patient")));
/// # Ok::<(), IdError>(())
/// ```
pub struct Id<R> {
    id: Box<str>,
    resource: PhantomData<fn() -> R>,
}

impl<R: FhirResource> Id<R> {
    /// Checks `id` as a FHIR logical id.
    pub fn parse(id: &str) -> Result<Self, IdError> {
        if is_logical_id(id) {
            Ok(Self { id: id.into(), resource: PhantomData })
        } else {
            Err(IdError::LogicalId(R::TYPE))
        }
    }

    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The relative reference `{Resource}/{id}`, such as `Patient/2`.
    pub fn reference(&self) -> String {
        format!("{}/{}", R::TYPE, self.id)
    }
}

impl<R> Clone for Id<R> {
    fn clone(&self) -> Self {
        Self { id: self.id.clone(), resource: PhantomData }
    }
}

impl<R> PartialEq for Id<R> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<R> Eq for Id<R> {}

impl<R> PartialEq<str> for Id<R> {
    fn eq(&self, other: &str) -> bool {
        &*self.id == other
    }
}

impl<R> PartialEq<&str> for Id<R> {
    fn eq(&self, other: &&str) -> bool {
        &*self.id == *other
    }
}

impl<R> PartialOrd for Id<R> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<R> Ord for Id<R> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.id.cmp(&other.id)
    }
}

impl<R> Hash for Id<R> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl<R: FhirResource> fmt::Debug for Id<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Id({:?})", R::TYPE, Screened(&self.id))
    }
}

impl<R> fmt::Display for Id<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl<R: FhirResource> FromStr for Id<R> {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

impl<R: FhirResource> TryFrom<&str> for Id<R> {
    type Error = IdError;
    fn try_from(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

impl<R> AsRef<str> for Id<R> {
    fn as_ref(&self) -> &str {
        &self.id
    }
}

/// The Appointment resource type, naming [`AppointmentId`]s (its model lives in the
/// appointments crate).
#[derive(Debug)]
pub enum Appointment {}

impl FhirResource for Appointment {
    const TYPE: &'static str = "Appointment";
}

/// The Slot resource type, naming [`SlotId`]s (free slots live in the appointments crate).
#[derive(Debug)]
pub enum Slot {}

impl FhirResource for Slot {
    const TYPE: &'static str = "Slot";
}

/// A patient's logical id on one provider's server, from a patient search.
pub type PatientId = Id<Patient>;
/// An organisation's logical id.
pub type OrganizationId = Id<Organization>;
/// A practitioner's logical id.
pub type PractitionerId = Id<Practitioner>;
/// A location's logical id.
pub type LocationId = Id<Location>;
/// A healthcare service's logical id (1.2.8 providers).
pub type HealthcareServiceId = Id<HealthcareService>;
/// An appointment's logical id.
pub type AppointmentId = Id<Appointment>;
/// A free slot's logical id.
pub type SlotId = Id<Slot>;
/// A DocumentReference's logical id.
pub type DocumentId = Id<DocumentReference>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_spec_test_numbers_plain_and_spaced() {
        for n in ["9690937286", "969 093 7286", "9999999999", "9476719931", "9000000084", "9000000009"] {
            assert!(NhsNumber::parse(n).is_ok(), "{n}");
        }
        assert_eq!(NhsNumber::parse("969 093 7286").unwrap().expose(), "9690937286");
    }

    #[test]
    fn names_the_rule_that_failed() {
        assert_eq!(NhsNumber::parse("969093728"), Err(IdError::NhsNumberLength(9)));
        assert_eq!(NhsNumber::parse("96909372861"), Err(IdError::NhsNumberLength(11)));
        assert_eq!(NhsNumber::parse("969-093-7286"), Err(IdError::NhsNumberCharacters));
        assert_eq!(NhsNumber::parse("96 9093 7286"), Err(IdError::NhsNumberCharacters));
        assert_eq!(NhsNumber::parse("9690937287"), Err(IdError::NhsNumberCheckDigit));
        // 1,2,3,...: weights give a remainder of 1, so the check would be 10.
        assert_eq!(NhsNumber::parse("0000000060"), Err(IdError::NhsNumberCheckImpossible));
        assert_eq!(NhsNumber::parse(""), Err(IdError::NhsNumberLength(0)));
    }

    #[test]
    fn debug_and_display_never_show_the_number() {
        let n = NhsNumber::parse("9690937286").unwrap();
        assert!(!format!("{n:?}").contains("9690937286"));
        assert!(!format!("{n}").contains("9690937286"));
        assert!(!format!("{:?}", IdError::NhsNumberCheckDigit).contains("9690937286"));
    }

    #[test]
    fn ods_and_asid() {
        assert_eq!(OdsCode::parse("a20047").unwrap().as_str(), "A20047");
        assert!(OdsCode::parse("A1").is_err());
        assert!(OdsCode::parse("A2 0047").is_err());
        assert_eq!(Asid::parse("200000000115").unwrap().as_str(), "200000000115");
        assert!(Asid::parse("20000000011X").is_err());
        assert!(Asid::parse("").is_err());
    }

    #[test]
    fn logical_ids_are_checked_once() {
        assert_eq!(PatientId::parse("a-Z.9").unwrap().as_str(), "a-Z.9");
        assert!(PatientId::parse(&"1".repeat(64)).is_ok());
        assert!(PatientId::parse("...").is_ok() && PatientId::parse(".1").is_ok());
        for bad in ["", ".", "..", "../1", "1/2", "1 2", "1?x", "é", &"1".repeat(65)] {
            assert_eq!(AppointmentId::parse(bad), Err(IdError::LogicalId("Appointment")), "{bad:?}");
        }
        let slot: SlotId = "1001".try_into().unwrap();
        assert_eq!((slot.to_string(), format!("{slot:?}")), ("1001".to_owned(), r#"SlotId("1001")"#.to_owned()));
    }
}
