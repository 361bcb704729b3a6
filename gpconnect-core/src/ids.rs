//! Identifiers a GP Connect call is addressed with: NHS number, ODS code and ASID.
//!
//! Each is parsed once, at the edge, into a validated newtype; builders only take these
//! types, so an invalid identifier is an error before any request exists.

use std::fmt;
use std::str::FromStr;

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
}
