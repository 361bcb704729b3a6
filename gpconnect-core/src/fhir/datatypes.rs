//! FHIR STU3 complex datatypes shared by every GP Connect API.

use serde::{Deserialize, Serialize};

use super::one_or_many::{one_or_first, one_or_many};
use super::primitives::{Decimal, FhirDateTime};

/// NHS number identifier system.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// ODS organisation code identifier system.
pub const ODS_ORGANIZATION_CODE_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// ODS site code identifier system.
pub const ODS_SITE_CODE_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-site-code";
/// SNOMED CT code system.
pub const SNOMED_SYSTEM: &str = "http://snomed.info/sct";

/// Compare two system/extension URLs, treating `http://` and `https://` as the same and
/// ignoring ASCII case (providers vary, e.g. `descriptionId` vs `DescriptionID`).
pub fn same_url(a: &str, b: &str) -> bool {
    fn strip(s: &str) -> &str {
        let s = s.trim();
        s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")).unwrap_or(s)
    }
    strip(a).eq_ignore_ascii_case(strip(b))
}

/// A code from a code system.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Coding {
    /// Code system URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Code system version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Human display for the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// Whether the user selected this coding directly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_selected: Option<bool>,
    /// Extensions (e.g. the SNOMED description id extension).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
}

impl Coding {
    /// Whether this coding's system matches `system` (http/https insensitive).
    pub fn is_system(&self, system: &str) -> bool {
        self.system.as_deref().is_some_and(|s| same_url(s, system))
    }

    /// Whether this is the security label `NOPAT` (not to be shown to the patient): code
    /// `NOPAT` in the v3 ActCode system (its STU3 or current HL7 name) or with no system.
    pub fn is_not_for_patient(&self) -> bool {
        const ACT_CODE_SYSTEMS: [&str; 2] =
            ["http://hl7.org/fhir/v3/ActCode", "http://terminology.hl7.org/CodeSystem/v3-ActCode"];
        self.code.as_deref() == Some("NOPAT")
            && self
                .system
                .as_deref()
                .is_none_or(|s| ACT_CODE_SYSTEMS.iter().any(|a| same_url(s.trim_end_matches('/'), a)))
    }
}

/// A concept: codings plus free text.
///
/// Read from a JSON object only: serde's derive would also read an array by position,
/// taking `[{"text": "x"}]` as a concept with one empty coding and losing its text
/// silently; an array where one concept belongs is an error, which the lenient readers
/// ([`lenient`](super::lenient)) repair by reading its single element and report.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CodeableConcept {
    /// Codings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    /// Plain text representation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl<'de> Deserialize<'de> for CodeableConcept {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct Fields {
            #[serde(deserialize_with = "one_or_many")]
            coding: Vec<Coding>,
            text: Option<String>,
        }
        struct ObjectOnly;
        impl<'de> serde::de::Visitor<'de> for ObjectOnly {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a CodeableConcept object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Fields, A::Error> {
                Fields::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        let Fields { coding, text } = d.deserialize_map(ObjectOnly)?;
        Ok(CodeableConcept { coding, text })
    }
}

impl CodeableConcept {
    /// The code of the first coding in `system` (http/https insensitive).
    pub fn code_in(&self, system: &str) -> Option<&str> {
        self.coding_in(system).and_then(|c| c.code.as_deref())
    }

    /// The first coding in `system`.
    pub fn coding_in(&self, system: &str) -> Option<&Coding> {
        self.coding.iter().find(|c| c.is_system(system))
    }

    /// Text for display: `text` if present, else the first coding `display`.
    pub fn display_text(&self) -> Option<&str> {
        self.text.as_deref().filter(|t| !t.is_empty()).or_else(|| self.coding.iter().find_map(|c| c.display.as_deref()))
    }
}

/// A business identifier.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Identifier {
    /// `usual | official | temp | secondary`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Identifier type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// Namespace URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Validity period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Issuing organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigner: Option<Box<Reference>>,
    /// Extensions (e.g. NHS number verification status).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
}

impl Identifier {
    /// Build an identifier from a system and value.
    pub fn new(system: impl Into<String>, value: impl Into<String>) -> Self {
        Self { system: Some(system.into()), value: Some(value.into()), ..Self::default() }
    }

    /// Whether this identifier's system matches `system` (http/https insensitive).
    pub fn is_system(&self, system: &str) -> bool {
        self.system.as_deref().is_some_and(|s| same_url(s, system))
    }
}

/// Lookups on a list of identifiers.
pub trait Identifiers {
    /// The value of the first identifier in `system` (http/https insensitive).
    fn value_for(&self, system: &str) -> Option<&str>;
}

impl Identifiers for [Identifier] {
    fn value_for(&self, system: &str) -> Option<&str> {
        self.iter().find(|i| i.is_system(system)).and_then(|i| i.value.as_deref())
    }
}

/// A reference to another resource.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Reference {
    /// `Type/id`, an absolute URL, `urn:uuid:..` or `#contained-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Logical reference by identifier (boxed: rarely sent, and every reference would
    /// otherwise carry its room).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Box<Identifier>>,
    /// Text alternative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Reference {
    /// A relative `Type/id` reference.
    pub fn to(resource_type: &str, id: &str) -> Self {
        Self { reference: Some(format!("{resource_type}/{id}")), ..Self::default() }
    }

    /// Split the reference into `(resource type, id)`.
    ///
    /// Handles relative `Patient/123`, absolute URLs ending in `Patient/123` (optionally
    /// followed by `/_history/<version>`), and contained references `#123`, for which the
    /// type is returned as `""`. Returns `None` for anything else (e.g. `urn:uuid:`).
    pub fn parse(&self) -> Option<(&str, &str)> {
        parse_reference(self.reference.as_deref()?)
    }

    /// Whether this is a reference to a contained resource (`#id`).
    pub fn is_contained(&self) -> bool {
        self.reference.as_deref().is_some_and(|r| r.starts_with('#'))
    }

    /// The referenced id, if [`parse`](Self::parse) succeeds.
    pub fn id(&self) -> Option<&str> {
        self.parse().map(|(_, id)| id)
    }

    /// The referenced type, if [`parse`](Self::parse) succeeds and it is not a contained reference.
    pub fn resource_type(&self) -> Option<&str> {
        self.parse().map(|(t, _)| t).filter(|t| !t.is_empty())
    }
}

/// Split a reference string into `(type, id)`; see [`Reference::parse`].
pub fn parse_reference(r: &str) -> Option<(&str, &str)> {
    let r = r.trim();
    if let Some(id) = r.strip_prefix('#') {
        return (!id.is_empty()).then_some(("", id));
    }
    if r.starts_with("urn:") {
        return None;
    }
    let r = r.trim_end_matches('/');
    let mut segs = r.rsplit('/');
    let mut id = segs.next()?;
    let mut ty = segs.next()?;
    if ty == "_history" {
        id = segs.next()?;
        ty = segs.next()?;
    }
    let type_ok =
        ty.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && ty.chars().all(|c| c.is_ascii_alphanumeric());
    (type_ok && !id.is_empty()).then_some((ty, id))
}

/// A time period.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Period {
    /// Start, inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<FhirDateTime>,
    /// End, inclusive; absent means ongoing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<FhirDateTime>,
}

/// A measured amount.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Quantity {
    /// Numeric value, exactly as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Decimal>,
    /// `< | <= | >= | >`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparator: Option<String>,
    /// Unit representation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Unit system (e.g. UCUM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Coded unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Extensions.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
}

/// A quantity without a comparator (same shape in JSON).
pub type SimpleQuantity = Quantity;

/// A low/high range.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Range {
    /// Low bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<Quantity>,
    /// High bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<Quantity>,
}

/// A ratio of two quantities.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Ratio {
    /// Numerator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numerator: Option<Quantity>,
    /// Denominator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator: Option<Quantity>,
}

/// A person's name.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct HumanName {
    /// `usual | official | temp | nickname | anonymous | old | maiden`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Full text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Family name (a single string in STU3; a DSTU2-style array keeps its first element).
    #[serde(deserialize_with = "one_or_first", skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Given names.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
    /// Prefixes (titles).
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<String>,
    /// Suffixes.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub suffix: Vec<String>,
    /// Validity period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

impl HumanName {
    /// A display form: `text` if present, else `prefix given family suffix` joined by spaces.
    pub fn display(&self) -> String {
        if let Some(t) = self.text.as_deref().filter(|t| !t.trim().is_empty()) {
            return t.to_owned();
        }
        self.prefix
            .iter()
            .chain(self.given.iter())
            .chain(self.family.iter())
            .chain(self.suffix.iter())
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A phone number, email etc.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ContactPoint {
    /// `phone | fax | email | pager | url | sms | other`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The address or number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `home | work | temp | old | mobile`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Preference order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Validity period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

/// A postal address.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Address {
    /// `home | work | temp | old`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// `postal | physical | both`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Full text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Street lines.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<String>,
    /// Town or city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// District.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// County / state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postcode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Validity period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

/// A note.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Annotation {
    /// Who wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_reference: Option<Reference>,
    /// Who wrote it, as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_string: Option<String>,
    /// When written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<FhirDateTime>,
    /// The note text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Content by value or by URL.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Attachment {
    /// MIME type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Base64 content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Where the content can be fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Base64 SHA-1 hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When first created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation: Option<FhirDateTime>,
}

/// Resource metadata.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Meta {
    /// Version id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Last update instant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<FhirDateTime>,
    /// Profiles claimed.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<String>,
    /// Security labels.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<Coding>,
    /// Tags.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Coding>,
}

/// An extension, with `value[x]` split into one optional field per type.
///
/// Look extensions up with [`Extensions::extension`] (on any `[Extension]`/`Vec<Extension>`)
/// and nested ones with [`Extension::sub`].
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Extension {
    /// Extension URL (absolute for top-level, often a short name for nested ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Nested extensions.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `valueCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_code: Option<String>,
    /// `valueString`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    /// `valueUri`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_uri: Option<String>,
    /// `valueId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_id: Option<String>,
    /// `valueBoolean`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
    /// `valueInteger`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    /// `valuePositiveInt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_positive_int: Option<u64>,
    /// `valueUnsignedInt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_unsigned_int: Option<u64>,
    /// `valueDecimal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_decimal: Option<Decimal>,
    /// `valueDate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_date: Option<FhirDateTime>,
    /// `valueDateTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_date_time: Option<FhirDateTime>,
    /// `valueInstant`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_instant: Option<FhirDateTime>,
    /// `valueReference`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_reference: Option<Box<Reference>>,
    /// `valueCodeableConcept`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_codeable_concept: Option<Box<CodeableConcept>>,
    /// `valueCoding`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_coding: Option<Box<Coding>>,
    /// `valuePeriod`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_period: Option<Box<Period>>,
    /// `valueQuantity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_quantity: Option<Box<Quantity>>,
    /// `valueIdentifier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_identifier: Option<Box<Identifier>>,
}

impl Extension {
    /// Whether this extension's URL matches `url` (http/https and ASCII case insensitive).
    pub fn is(&self, url: &str) -> bool {
        self.url.as_deref().is_some_and(|u| same_url(u, url))
    }

    /// The first nested extension with `url`.
    pub fn sub(&self, url: &str) -> Option<&Extension> {
        self.extension.extension(url)
    }

    /// Any date-typed value: `valueDateTime`, then `valueDate`, then `valueInstant`.
    pub fn value_any_date(&self) -> Option<&FhirDateTime> {
        self.value_date_time.as_ref().or(self.value_date.as_ref()).or(self.value_instant.as_ref())
    }

    /// Any string-like value: `valueString`, `valueCode`, `valueUri` or `valueId`.
    pub fn value_text(&self) -> Option<&str> {
        self.value_string
            .as_deref()
            .or(self.value_code.as_deref())
            .or(self.value_uri.as_deref())
            .or(self.value_id.as_deref())
    }
}

/// Lookups on a list of extensions.
pub trait Extensions {
    /// The first extension with `url` (http/https and ASCII case insensitive).
    fn extension(&self, url: &str) -> Option<&Extension>;
    /// Every extension with `url`.
    fn extensions<'a>(&'a self, url: &'a str) -> impl Iterator<Item = &'a Extension> + 'a;
}

impl Extensions for [Extension] {
    fn extension(&self, url: &str) -> Option<&Extension> {
        self.iter().find(|e| e.is(url))
    }

    fn extensions<'a>(&'a self, url: &'a str) -> impl Iterator<Item = &'a Extension> + 'a {
        self.iter().filter(move |e| e.is(url))
    }
}

/// Timing of a dose (the commonly used parts of STU3 `Timing`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Timing {
    /// Specific event times.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub event: Vec<FhirDateTime>,
    /// Repetition rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<TimingRepeat>,
    /// Coded timing (e.g. `BID`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
}

/// `Timing.repeat` (subset).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct TimingRepeat {
    /// Bounds as a period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounds_period: Option<Period>,
    /// Number of repetitions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Event occurs this many times per period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<u32>,
    /// Period length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Decimal>,
    /// Period unit (`s | min | h | d | wk | mo | a`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_unit: Option<String>,
}

/// How a medication is to be taken.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Dosage {
    /// Order of the dosage instructions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<i64>,
    /// Free text dosage instructions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Supplemental instructions.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub additional_instruction: Vec<CodeableConcept>,
    /// Patient-oriented instructions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_instruction: Option<String>,
    /// When to take it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// Take as needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_needed_boolean: Option<bool>,
    /// Body site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<CodeableConcept>,
    /// Route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<CodeableConcept>,
    /// Method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<CodeableConcept>,
    /// Dose amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dose_quantity: Option<Quantity>,
    /// Dose range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dose_range: Option<Range>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_parse_forms() {
        let r = |s: &str| Reference { reference: Some(s.into()), ..Default::default() };
        assert_eq!(r("Patient/123").parse(), Some(("Patient", "123")));
        assert_eq!(r("https://provider.nhs.uk/fhir/Organization/7").parse(), Some(("Organization", "7")));
        assert_eq!(r("http://x/fhir/Patient/9/_history/2").parse(), Some(("Patient", "9")));
        assert_eq!(r("#med1").parse(), Some(("", "med1")));
        assert!(r("#med1").is_contained());
        assert_eq!(r("#med1").resource_type(), None);
        assert_eq!(r("urn:uuid:1234").parse(), None);
        assert_eq!(r("123").parse(), None);
        assert_eq!(r("patient/123").parse(), None);
        assert_eq!(Reference::default().parse(), None);
        assert_eq!(Reference::to("Location", "1").id(), Some("1"));
    }

    #[test]
    fn unknown_elements_ignored_and_lenient_arrays() {
        let cc: CodeableConcept = serde_json::from_str(
            r#"{"coding":{"system":"http://snomed.info/sct","code":"123","display":"Thing","madeUp":[1,{}]},
                "text":"","_text":{"id":"x"},"other":true}"#,
        )
        .unwrap();
        assert_eq!(cc.code_in("https://snomed.info/sct"), Some("123"));
        assert_eq!(cc.display_text(), Some("Thing"));
        let n: HumanName = serde_json::from_str(r#"{"family":"Smith","given":"Jane","prefix":["Mrs"]}"#).unwrap();
        assert_eq!(n.display(), "Mrs Jane Smith");
    }

    #[test]
    fn extension_lookup() {
        let exts: Vec<Extension> = serde_json::from_str(
            r#"[{"url":"http://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-coding-sctdescid",
                 "extension":[{"url":"DescriptionID","valueId":"42"}]},
                {"url":"https://example.org/x","valueQuantity":{"value":10864,"unit":"mg"}}]"#,
        )
        .unwrap();
        let e = exts.extension("https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-coding-sctdescid").unwrap();
        assert_eq!(e.sub("descriptionId").and_then(|s| s.value_text()), Some("42"));
        let q = exts.extension("http://example.org/x").unwrap();
        let out = serde_json::to_string(q).unwrap();
        assert!(out.contains(r#""value":10864,"#), "{out}");
        assert_eq!(exts.extensions("https://example.org/x").count(), 1);
    }

    #[test]
    fn identifiers_value_for() {
        let ids =
            [Identifier::new("https://fhir.nhs.uk/Id/nhs-number", "9690937278"), Identifier::new("urn:local", "x")];
        assert_eq!(ids.value_for("http://fhir.nhs.uk/Id/nhs-number"), Some("9690937278"));
        assert_eq!(ids.value_for("urn:other"), None);
    }
}

// Identifier values (NHS numbers), names, contact details and addresses are personal
// data: their `Debug` output leaves them out.
crate::redacted_debug!(Identifier, system);
crate::redacted_debug!(HumanName);
crate::redacted_debug!(ContactPoint, system);
crate::redacted_debug!(Address);
