//! FHIR STU3 complex datatypes shared by every GP Connect API.

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

crate::fhir_type! {
    /// A code from a code system.
    #[derive(PartialEq)]
    pub struct Coding {
        /// Extensions (e.g. the SNOMED description id extension).
        extension: many Extension = "extension",
        /// Code system URI.
        system: one String = "system",
        /// Code system version.
        version: one String = "version",
        /// The code.
        code: one String = "code",
        /// Human display for the code.
        display: one String = "display",
        /// Whether the user selected this coding directly.
        user_selected: one bool = "userSelected",
    }
}

impl Coding {
    /// A coding with system, code and display.
    pub fn new(system: &str, code: &str, display: &str) -> Self {
        Coding {
            system: Some(system.into()),
            code: Some(code.into()),
            display: Some(display.into()),
            ..Self::default()
        }
    }

    /// A coding with system and code only.
    pub fn code(system: &str, code: &str) -> Self {
        Coding { system: Some(system.into()), code: Some(code.into()), ..Self::default() }
    }

    /// Whether this coding is `code` in `system` (the system compared exactly).
    pub fn is(&self, system: &str, code: &str) -> bool {
        self.system.as_deref() == Some(system) && self.code.as_deref() == Some(code)
    }

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

crate::fhir_type! {
    /// A concept: codings plus free text.
    ///
    /// Read from a JSON object only, like every declared type: serde's derive would also
    /// read an array by position, taking `[{"text": "x"}]` as a concept with one empty
    /// coding and losing its text silently; an array where one concept belongs is an
    /// error, which the lenient readers ([`lenient`](super::lenient)) repair by reading its
    /// single element and report.
    #[derive(PartialEq)]
    pub struct CodeableConcept {
        /// Codings.
        coding: many Coding = "coding",
        /// Plain text representation.
        text: one String = "text",
    }
}

impl CodeableConcept {
    /// One coding, and the same display as text (the shape of every ITK3 example).
    pub fn with_text(coding: Coding) -> Self {
        let text = coding.display.clone();
        CodeableConcept { coding: vec![coding], text }
    }

    /// One coding without text.
    pub fn of(coding: Coding) -> Self {
        CodeableConcept { coding: vec![coding], text: None }
    }

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

crate::fhir_type! {
    /// A business identifier.
    #[derive(PartialEq)]
    pub struct Identifier {
        /// Extensions (e.g. NHS number verification status).
        extension: many Extension = "extension",
        /// `usual | official | temp | secondary`.
        use_: one String = "use",
        /// Identifier type.
        type_: one CodeableConcept = "type",
        /// Namespace URI.
        system: one String = "system",
        /// The value.
        value: one String = "value",
        /// Validity period.
        period: one Period = "period",
        /// Issuing organisation.
        assigner: one Box<Reference> = "assigner",
    }
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

crate::fhir_type! {
    /// A reference to another resource.
    #[derive(PartialEq)]
    pub struct Reference {
        /// `Type/id`, an absolute URL, `urn:uuid:..` or `#contained-id`.
        reference: one String = "reference",
        /// Logical reference by identifier (boxed: rarely sent, and every reference would
        /// otherwise carry its room).
        identifier: one Box<Identifier> = "identifier",
        /// Text alternative.
        display: one String = "display",
    }
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
///
/// Byte by byte (a `/` is never part of a UTF-8 sequence): the view resolves every
/// reference of a record through it.
pub fn parse_reference(r: &str) -> Option<(&str, &str)> {
    let r = r.trim();
    if let Some(id) = r.strip_prefix('#') {
        return (!id.is_empty()).then_some(("", id));
    }
    if r.starts_with("urn:") {
        return None;
    }
    let mut segments = Segments(Some(r.trim_end_matches('/')));
    let mut id = segments.next()?;
    let mut ty = segments.next()?;
    if ty == "_history" {
        id = segments.next()?;
        ty = segments.next()?;
    }
    let type_ok =
        ty.as_bytes().first().is_some_and(u8::is_ascii_uppercase) && ty.bytes().all(|c| c.is_ascii_alphanumeric());
    (type_ok && !id.is_empty()).then_some((ty, id))
}

/// The `/`-separated segments of a string from the last (`str::rsplit('/')`).
struct Segments<'a>(Option<&'a str>);

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.0?;
        match memchr::memrchr(b'/', rest.as_bytes()) {
            Some(slash) => {
                self.0 = Some(&rest[..slash]);
                Some(&rest[slash + 1..])
            }
            None => self.0.take(),
        }
    }
}

crate::fhir_type! {
    /// A time period.
    #[derive(PartialEq)]
    pub struct Period {
        /// Start, inclusive.
        start: one FhirDateTime = "start",
        /// End, inclusive; absent means ongoing.
        end: one FhirDateTime = "end",
    }
}

crate::fhir_type! {
    /// A measured amount.
    #[derive(PartialEq)]
    pub struct Quantity {
        /// Extensions.
        extension: many Extension = "extension",
        /// Numeric value, exactly as written.
        value: one Decimal = "value",
        /// `< | <= | >= | >`.
        comparator: one String = "comparator",
        /// Unit representation.
        unit: one String = "unit",
        /// Unit system (e.g. UCUM).
        system: one String = "system",
        /// Coded unit.
        code: one String = "code",
    }
}

/// The UCUM unit system.
pub const UCUM_SYSTEM: &str = "http://unitsofmeasure.org";

impl Quantity {
    /// A UCUM quantity. `value` is written as its `Display` text; text that is not a
    /// number leaves `value` unset.
    pub fn ucum(value: impl std::fmt::Display, unit: &str, code: &str) -> Self {
        Quantity {
            value: Decimal::new(&value.to_string()),
            unit: Some(unit.into()),
            system: Some(UCUM_SYSTEM.into()),
            code: Some(code.into()),
            ..Default::default()
        }
    }
}

/// A quantity without a comparator (same shape in JSON).
pub type SimpleQuantity = Quantity;

crate::fhir_type! {
    /// A low/high range.
    #[derive(PartialEq)]
    pub struct Range {
        /// Low bound.
        low: one Quantity = "low",
        /// High bound.
        high: one Quantity = "high",
    }
}

crate::fhir_type! {
    /// A ratio of two quantities.
    #[derive(PartialEq)]
    pub struct Ratio {
        /// Numerator.
        numerator: one Quantity = "numerator",
        /// Denominator.
        denominator: one Quantity = "denominator",
    }
}

crate::fhir_type! {
    /// A person's name.
    #[derive(PartialEq)]
    pub struct HumanName {
        /// `usual | official | temp | nickname | anonymous | old | maiden`.
        use_: one String = "use",
        /// Full text.
        text: one String = "text",
        /// Family name (a single string in STU3; a DSTU2-style array keeps its first element).
        family: first String = "family",
        /// Given names.
        given: many String = "given",
        /// Prefixes (titles).
        prefix: many String = "prefix",
        /// Suffixes.
        suffix: many String = "suffix",
        /// Validity period.
        period: one Period = "period",
    }
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

crate::fhir_type! {
    /// A phone number, email etc.
    #[derive(PartialEq)]
    pub struct ContactPoint {
        /// `phone | fax | email | pager | url | sms | other`.
        system: one String = "system",
        /// The address or number.
        value: one String = "value",
        /// `home | work | temp | old | mobile`.
        use_: one String = "use",
        /// Preference order.
        rank: one u32 = "rank",
        /// Validity period.
        period: one Period = "period",
    }
}

crate::fhir_type! {
    /// A postal address.
    #[derive(PartialEq)]
    pub struct Address {
        /// `home | work | temp | old`.
        use_: one String = "use",
        /// `postal | physical | both`.
        type_: one String = "type",
        /// Full text.
        text: one String = "text",
        /// Street lines.
        line: many String = "line",
        /// Town or city.
        city: one String = "city",
        /// District.
        district: one String = "district",
        /// County / state.
        state: one String = "state",
        /// Postcode.
        postal_code: one String = "postalCode",
        /// Country.
        country: one String = "country",
        /// Validity period.
        period: one Period = "period",
    }
}

crate::fhir_type! {
    /// A note.
    #[derive(PartialEq)]
    pub struct Annotation {
        /// Who wrote it.
        author_reference: one Reference = "authorReference",
        /// Who wrote it, as text.
        author_string: one String = "authorString",
        /// When written.
        time: one FhirDateTime = "time",
        /// The note text.
        text: one String = "text",
    }
}

crate::fhir_type! {
    /// Content by value or by URL.
    #[derive(PartialEq)]
    pub struct Attachment {
        /// MIME type.
        content_type: one String = "contentType",
        /// Language.
        language: one String = "language",
        /// Base64 content.
        data: one String = "data",
        /// Where the content can be fetched.
        url: one String = "url",
        /// Size in bytes.
        size: one u64 = "size",
        /// Base64 SHA-1 hash.
        hash: one String = "hash",
        /// Label.
        title: one String = "title",
        /// When first created.
        creation: one FhirDateTime = "creation",
    }
}

crate::fhir_type! {
    /// Resource metadata.
    #[derive(PartialEq)]
    pub struct Meta {
        /// Version id.
        version_id: one String = "versionId",
        /// Last update instant.
        last_updated: one FhirDateTime = "lastUpdated",
        /// Profiles claimed.
        profile: many String = "profile",
        /// Security labels.
        security: many Coding = "security",
        /// Tags.
        tag: many Coding = "tag",
    }
}

impl Meta {
    /// Meta with one profile.
    pub fn profile(profile: &str) -> Self {
        Meta { profile: vec![profile.into()], ..Default::default() }
    }

    /// Whether `profile` is claimed (ignoring surrounding white space: some spec examples
    /// have it).
    pub fn has_profile(&self, profile: &str) -> bool {
        self.profile.iter().any(|p| p.trim() == profile)
    }
}

crate::fhir_type! {
    /// An extension, with `value[x]` split into one optional field per type.
    ///
    /// Look extensions up with [`Extensions::extension`] (on any `[Extension]`/`Vec<Extension>`)
    /// and nested ones with [`Extension::sub`].
    #[derive(PartialEq)]
    pub struct Extension [custom_xml] {
        /// Extension URL (absolute for top-level, often a short name for nested ones).
        url: one String = "url",
        /// Nested extensions.
        extension: many Extension = "extension",
        /// `valueCode`.
        value_code: one String = "valueCode",
        /// `valueString`.
        value_string: one String = "valueString",
        /// `valueUri`.
        value_uri: one String = "valueUri",
        /// `valueId`.
        value_id: one String = "valueId",
        /// `valueBoolean`.
        value_boolean: one bool = "valueBoolean",
        /// `valueInteger`.
        value_integer: one i64 = "valueInteger",
        /// `valuePositiveInt`.
        value_positive_int: one u64 = "valuePositiveInt",
        /// `valueUnsignedInt`.
        value_unsigned_int: one u64 = "valueUnsignedInt",
        /// `valueDecimal`.
        value_decimal: one Decimal = "valueDecimal",
        /// `valueDate`.
        value_date: one FhirDateTime = "valueDate",
        /// `valueDateTime`.
        value_date_time: one FhirDateTime = "valueDateTime",
        /// `valueInstant`.
        value_instant: one FhirDateTime = "valueInstant",
        /// `valueReference`.
        value_reference: one Box<Reference> = "valueReference",
        /// `valueCodeableConcept`.
        value_codeable_concept: one Box<CodeableConcept> = "valueCodeableConcept",
        /// `valueCoding`.
        value_coding: one Box<Coding> = "valueCoding",
        /// `valuePeriod`.
        value_period: one Box<Period> = "valuePeriod",
        /// `valueQuantity`.
        value_quantity: one Box<Quantity> = "valueQuantity",
        /// `valueIdentifier`.
        value_identifier: one Box<Identifier> = "valueIdentifier",
    }
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

crate::fhir_type! {
    /// Timing of a dose (the commonly used parts of STU3 `Timing`).
    #[derive(PartialEq)]
    pub struct Timing {
        /// Specific event times.
        event: many FhirDateTime = "event",
        /// Repetition rules.
        repeat: one TimingRepeat = "repeat",
        /// Coded timing (e.g. `BID`).
        code: one CodeableConcept = "code",
    }
}

crate::fhir_type! {
    /// `Timing.repeat` (subset).
    #[derive(PartialEq)]
    pub struct TimingRepeat {
        /// Bounds as a period.
        bounds_period: one Period = "boundsPeriod",
        /// Number of repetitions.
        count: one u32 = "count",
        /// Event occurs this many times per period.
        frequency: one u32 = "frequency",
        /// Period length.
        period: one Decimal = "period",
        /// Period unit (`s | min | h | d | wk | mo | a`).
        period_unit: one String = "periodUnit",
    }
}

crate::fhir_type! {
    /// How a medication is to be taken.
    #[derive(PartialEq)]
    pub struct Dosage {
        /// Order of the dosage instructions.
        sequence: one i64 = "sequence",
        /// Free text dosage instructions.
        text: one String = "text",
        /// Supplemental instructions.
        additional_instruction: many CodeableConcept = "additionalInstruction",
        /// Patient-oriented instructions.
        patient_instruction: one String = "patientInstruction",
        /// When to take it.
        timing: one Timing = "timing",
        /// Take as needed.
        as_needed_boolean: one bool = "asNeededBoolean",
        /// Body site.
        site: one CodeableConcept = "site",
        /// Route.
        route: one CodeableConcept = "route",
        /// Method.
        method: one CodeableConcept = "method",
        /// Dose amount.
        dose_quantity: one Quantity = "doseQuantity",
        /// Dose range.
        dose_range: one Range = "doseRange",
        /// The most per period.
        max_dose_per_period: one Ratio = "maxDosePerPeriod",
    }
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

    /// The reading `parse_reference` had before it went byte by byte (`rsplit` over chars).
    fn parse_reference_by_chars(r: &str) -> Option<(&str, &str)> {
        let r = r.trim();
        if let Some(id) = r.strip_prefix('#') {
            return (!id.is_empty()).then_some(("", id));
        }
        if r.starts_with("urn:") {
            return None;
        }
        let mut segs = r.trim_end_matches('/').rsplit('/');
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

    #[test]
    fn reference_parse_by_bytes_reads_as_by_chars() {
        let parts = [
            "", "/", "//", "Patient", "patient", "P\u{e9}", "É", "1", "é1", "_history", "#", "urn:", " ", "\u{a0}",
            "a b",
        ];
        let mut cases = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in ["", "/", "2", "/_history/3/"] {
                        let text = format!("{a}{b}/{c}{d}");
                        for s in [text.clone(), format!("{a}/{b}/{c}{d}"), format!("{a}{b}{c}{d}")] {
                            assert_eq!(parse_reference(&s), parse_reference_by_chars(&s), "{s:?}");
                            cases += 1;
                        }
                    }
                }
            }
        }
        assert!(cases > 10_000);
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

/// An extension in XML: `url` is an attribute, the nested extensions and the value are
/// elements.
#[cfg(feature = "mesh")]
mod extension_xml {
    use super::Extension;
    use crate::fhir::declare::XmlField;
    use crate::xml::{FromXml, Itk3Error, ReadContext, ToXml, XmlNode};

    macro_rules! extension_xml {
        ($($f:ident = $w:literal),* $(,)?) => {
            impl FromXml for Extension {
                fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error> {
                    let url = node
                        .get_attr("url")
                        .ok_or(Itk3Error::Invalid { path: "extension".into(), problem: "no url attribute" })?;
                    let mut out = Extension { url: Some(url.to_owned()), ..Default::default() };
                    for c in node.children() {
                        match c.name() {
                            "extension" => out.extension.read(c, cx)?,
                            // A malformed value is named by its extension's url.
                            $($w => out.$f.read(c, cx).map_err(|e| match e {
                                Itk3Error::Invalid { problem, .. } => Itk3Error::Invalid { path: url.to_owned(), problem },
                                other => other,
                            })?,)*
                            other => cx.note_unknown("extension", other),
                        }
                    }
                    Ok(out)
                }
            }

            impl ToXml for Extension {
                fn to_xml(&self, name: &str) -> XmlNode {
                    let mut n = XmlNode::new(name);
                    if let Some(url) = &self.url {
                        n = n.attr("url", url.as_str());
                    }
                    self.extension.write(&mut n, "extension");
                    $(self.$f.write(&mut n, $w);)*
                    n
                }
            }
        };
    }

    extension_xml!(
        value_code = "valueCode",
        value_string = "valueString",
        value_uri = "valueUri",
        value_id = "valueId",
        value_boolean = "valueBoolean",
        value_integer = "valueInteger",
        value_positive_int = "valuePositiveInt",
        value_unsigned_int = "valueUnsignedInt",
        value_decimal = "valueDecimal",
        value_date = "valueDate",
        value_date_time = "valueDateTime",
        value_instant = "valueInstant",
        value_reference = "valueReference",
        value_codeable_concept = "valueCodeableConcept",
        value_coding = "valueCoding",
        value_period = "valuePeriod",
        value_quantity = "valueQuantity",
        value_identifier = "valueIdentifier",
    );
}
