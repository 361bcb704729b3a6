//! Typed MESH identifiers: mailbox, workflow, message and local IDs, and the `mex-To`
//! recipient. Each is checked once when parsed, so a builder never holds a raw string
//! that could break a header or a URL path.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::error::InvalidInput;
use crate::NhsNumber;

/// Checks `value` against a length limit and an allowed character set.
fn check(parameter: &'static str, value: &str, max: usize, ok: impl Fn(u8) -> bool) -> Result<(), InvalidInput> {
    if value.is_empty() {
        return Err(InvalidInput::parameter(parameter, "must not be empty"));
    }
    if value.len() > max {
        return Err(InvalidInput::parameter(parameter, format!("longer than {max} characters")));
    }
    if !value.bytes().all(ok) {
        return Err(InvalidInput::parameter(parameter, "contains a character MESH does not allow"));
    }
    Ok(())
}

fn id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Printable ASCII and space: safe in an HTTP header.
fn text_char(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

macro_rules! mesh_id {
    ($(#[$doc:meta])* $name:ident, $parameter:literal, $max:expr, $ok:expr, $upper:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses and checks the identifier.
            pub fn parse(value: &str) -> Result<Self, InvalidInput> {
                let value = value.trim();
                check($parameter, value, $max, $ok)?;
                Ok(Self(if $upper { value.to_ascii_uppercase() } else { value.to_owned() }))
            }

            /// The identifier as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).map_err(|_| serde::de::Error::custom(concat!("not a MESH ", $parameter)))
            }
        }

        impl FromStr for $name {
            type Err = InvalidInput;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

mesh_id!(
    /// A MESH mailbox ID such as `X26ABC1`: letters and digits, stored uppercase as the
    /// `Authorization` header and the URL path require.
    MailboxId, "mailbox_id", 100, |b: u8| b.is_ascii_alphanumeric(), true
);
mesh_id!(
    /// A MESH workflow ID (`mex-WorkflowID`, at most 300 characters), such as
    /// `GPFED_CONSULT_REPORT`.
    WorkflowId, "mex-WorkflowID", 300, id_char, false
);
mesh_id!(
    /// A MESH message ID such as `20200529155357895317_3573F8`, as MESH assigns it.
    ///
    /// Checked before it is put into a URL path: letters, digits, `_` and `-` only.
    MessageId, "message_id", 100, id_char, false
);

impl fmt::Debug for MailboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MailboxId({})", self.0)
    }
}

impl fmt::Debug for WorkflowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WorkflowId({})", self.0)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({})", self.0)
    }
}

impl WorkflowId {
    /// The acknowledgement workflow of this data workflow: the same ID with `_ACK`
    /// appended, as MESH registers them.
    pub fn ack(&self) -> WorkflowId {
        WorkflowId(format!("{}_ACK", self.0))
    }
}

/// The sender's own reference for a message (`mex-LocalID`, at most 300 printable
/// characters). MESH asks that it holds no patient-identifiable data. `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LocalId(String);

impl LocalId {
    /// Parses and checks a local ID.
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        check("mex-LocalID", value, 300, text_char)?;
        Ok(Self(value.to_owned()))
    }

    /// The value sent in `mex-LocalID`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for LocalId {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Debug for LocalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocalId({} chars)", self.0.len())
    }
}

/// Checks free text for a `mex-*` header (subject, file name, content type), after
/// [`transliterate`] (MESH headers are ASCII).
pub(crate) fn header_text(parameter: &'static str, value: &str, max: usize) -> Result<String, InvalidInput> {
    let value = transliterate(value);
    check(parameter, &value, max, text_char)?;
    Ok(value)
}

/// Latin letters with diacritics (and a few ligatures and quotes) written as the ASCII
/// letters MESH headers take: `Siân` as `Sian`, `Zoë` as `Zoe`, `Ó Briain` as `O Briain`,
/// `Strauß` as `Strauss`. Other characters are kept as they are (and a header check then
/// refuses what is not ASCII). Only `mex-*` headers are transliterated: the FHIR content
/// keeps the names as written.
pub fn transliterate(text: &str) -> String {
    const TABLE: &[(&str, &str)] = &[
        ("àáâãäåāăą", "a"),
        ("æ", "ae"),
        ("çćĉċč", "c"),
        ("ďđð", "d"),
        ("èéêëēĕėęě", "e"),
        ("ĝğġģ", "g"),
        ("ĥħ", "h"),
        ("ìíîïĩīĭįı", "i"),
        ("ĵ", "j"),
        ("ķ", "k"),
        ("ĺļľŀł", "l"),
        ("ñńņňŉ", "n"),
        ("òóôõöøōŏő", "o"),
        ("œ", "oe"),
        ("ŕŗř", "r"),
        ("śŝşšș", "s"),
        ("ß", "ss"),
        ("ţťŧț", "t"),
        ("þ", "th"),
        ("ùúûüũūŭůűų", "u"),
        ("ŵẁẃẅ", "w"),
        ("ýÿŷỳ", "y"),
        ("źżž", "z"),
        ("\u{2018}\u{2019}\u{02bc}", "'"),
        ("\u{2010}\u{2011}\u{2013}", "-"),
    ];
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let lower = c.to_lowercase().next().unwrap_or(c);
        match TABLE.iter().find(|(set, _)| set.contains(lower)) {
            Some((_, base)) if c.is_uppercase() => {
                let mut chars = base.chars();
                out.extend(chars.next().map(|f| f.to_ascii_uppercase()));
                out.extend(chars);
            }
            Some((_, base)) => out.push_str(base),
            None => out.push(c),
        }
    }
    out
}

/// Who a message goes to (`mex-To`): a mailbox, or the registered GP practice of a
/// patient, which MESH finds from the NHS number and demographics.
///
/// `Debug` never shows the NHS number, the date of birth or the surname.
#[derive(Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A mailbox ID, for example from [`MeshClient::lookup_endpoint`](super::MeshClient::lookup_endpoint).
    Mailbox(MailboxId),
    /// `GPPROVIDER_{NHS number}_{date of birth YYYYMMDD}_{surname}` (spec section 1.8).
    GpProvider(GpProviderAddress),
    /// A `mex-To` value given as is ([`Recipient::raw`]): the escape hatch for an address
    /// the typed forms cannot make.
    Raw(GpProviderAddress),
}

/// The `GPPROVIDER_...` address of a patient's registered practice.
#[derive(Clone, PartialEq, Eq)]
pub struct GpProviderAddress(String);

impl Recipient {
    /// The registered GP practice of the patient with this NHS number, date of birth and
    /// surname. The date is written `YYYYMMDD` (spec 1.8: the MESH endpoint look-up
    /// guidance and the Send Document v2 guide; the older v1 page's `DDMMYYYY` is not
    /// used). The surname must be letters, spaces, `'` or `-`, at most 35 characters;
    /// letters with diacritics are written as ASCII ([`transliterate`]).
    pub fn gp_provider(nhs: &NhsNumber, birth_date: NaiveDate, surname: &str) -> Result<Self, InvalidInput> {
        let surname = transliterate(surname.trim());
        check("mex-To surname", &surname, 35, |b| b.is_ascii_alphabetic() || b" '-".contains(&b))?;
        let address = format!("GPPROVIDER_{}_{}_{}", nhs.expose(), birth_date.format("%Y%m%d"), surname);
        if address.len() > 100 {
            return Err(InvalidInput::parameter("mex-To", "longer than 100 characters"));
        }
        Ok(Recipient::GpProvider(GpProviderAddress(address)))
    }

    /// Any `mex-To` value, sent as given: printable ASCII, at most 100 characters. For an
    /// address the typed forms cannot make (a surname [`Recipient::gp_provider`] refuses,
    /// written as PDS holds it). `Debug` hides it.
    ///
    /// # Errors
    /// [`InvalidInput`] when it is empty, longer or not printable ASCII.
    pub fn raw(value: &str) -> Result<Self, InvalidInput> {
        let value = value.trim();
        check("mex-To", value, 100, text_char)?;
        Ok(Recipient::Raw(GpProviderAddress(value.to_owned())))
    }

    /// The value sent in `mex-To`. Holds an NHS number for a GP provider address: keep
    /// it out of logs.
    pub fn header_value(&self) -> &str {
        match self {
            Recipient::Mailbox(m) => m.as_str(),
            Recipient::GpProvider(a) | Recipient::Raw(a) => &a.0,
        }
    }
}

impl From<MailboxId> for Recipient {
    fn from(m: MailboxId) -> Self {
        Recipient::Mailbox(m)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Mailbox(m) => write!(f, "Recipient::Mailbox({m})"),
            Recipient::GpProvider(_) => f.write_str("Recipient::GpProvider(..)"),
            Recipient::Raw(_) => f.write_str("Recipient::Raw(..)"),
        }
    }
}

impl fmt::Debug for GpProviderAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GpProviderAddress(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_ids_are_uppercased_and_checked() {
        assert_eq!(MailboxId::parse("x26abc1").unwrap().as_str(), "X26ABC1");
        assert!(MailboxId::parse("").is_err());
        assert!(MailboxId::parse("X26/../ABC").is_err());
    }

    #[test]
    fn message_ids_cannot_escape_the_url_path() {
        assert!(MessageId::parse("20200529155357895317_3573F8").is_ok());
        for bad in ["../admin", "a/b", "a?b", "a b", "a%2F"] {
            assert!(MessageId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gp_provider_address_uses_yyyymmdd_and_hides_in_debug() {
        let nhs = NhsNumber::parse("9690937286").unwrap();
        let r = Recipient::gp_provider(&nhs, NaiveDate::from_ymd_opt(1967, 1, 26).unwrap(), "Smith").unwrap();
        assert_eq!(r.header_value(), "GPPROVIDER_9690937286_19670126_Smith");
        assert!(!format!("{r:?}").contains("969"));
        assert!(Recipient::gp_provider(&nhs, NaiveDate::from_ymd_opt(1967, 1, 26).unwrap(), "Sm\r\nith").is_err());
    }

    #[test]
    fn names_that_are_not_ascii_are_transliterated_for_the_headers() {
        let nhs = NhsNumber::parse("9690937286").unwrap();
        let dob = NaiveDate::from_ymd_opt(1967, 1, 26).unwrap();
        for (name, ascii) in [("Ó Briain", "O Briain"), ("Zoë", "Zoe"), ("Siân", "Sian"), ("Strauß", "Strauss")] {
            let r = Recipient::gp_provider(&nhs, dob, name).unwrap();
            assert_eq!(r.header_value(), format!("GPPROVIDER_9690937286_19670126_{ascii}"));
        }
        assert_eq!(transliterate("Æthelflæd Ní Bhriain’s"), "Aethelflaed Ni Bhriain's");
        assert!(Recipient::gp_provider(&nhs, dob, "王").is_err());
        let raw = Recipient::raw("GPPROVIDER_9690937286_19670126_O'BRIAIN").unwrap();
        assert_eq!(raw.header_value(), "GPPROVIDER_9690937286_19670126_O'BRIAIN");
        assert!(!format!("{raw:?}").contains("969"));
        assert!(Recipient::raw("a\r\nb").is_err());
        assert_eq!(header_text("mex-Subject", "Report for Siân Zoë", 500).unwrap(), "Report for Sian Zoe");
    }

    #[test]
    fn ack_workflow_appends_ack() {
        assert_eq!(WorkflowId::parse("GPFED_CONSULT_REPORT").unwrap().ack().as_str(), "GPFED_CONSULT_REPORT_ACK");
    }

    #[test]
    fn local_id_is_hidden_in_debug() {
        let l = LocalId::parse("ref 123").unwrap();
        assert!(!format!("{l:?}").contains("123"));
        assert!(LocalId::parse("a\nb").is_err());
    }
}

/// What identifies a sent ITK3 message to the responses that answer it (declared here, beside
/// the MESH ids, because a [`MeshError`](super::MeshError) carries them; made by
/// [`MessageIds::of`](crate::itk3::MessageIds::of) with the `itk3` module).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MessageIds {
    /// `MessageHeader.id`: what a response names in `response.identifier`.
    pub header_id: String,
    /// `Bundle.id` of the message bundle.
    pub bundle_id: String,
    /// The handling specification's `SenderReference`, echoed by every response.
    pub sender_reference: String,
    /// The MESH message ID the send returned (what a non-delivery report links to).
    pub mesh_message_id: Option<MessageId>,
}

impl std::fmt::Debug for MessageIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageIds")
            .field("header_id", &self.header_id)
            .field("bundle_id", &self.bundle_id)
            .field("mesh_message_id", &self.mesh_message_id)
            .finish_non_exhaustive()
    }
}
