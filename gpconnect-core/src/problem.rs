//! What was wrong with a success answer ([`DecodeProblem`]): a leaf, so that the FHIR
//! model's parsers and the error type can both name it. Re-exported as
//! [`crate::error::DecodeProblem`].

use std::fmt;

/// What was wrong with a success answer.
///
/// `Display` and `Debug` quote nothing the remote party wrote: a JSON path shows indexes
/// and field-name-shaped keys only (`shown_path`), bounded; a resource
/// type and a content type only from a closed list.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeProblem {
    /// The body was empty.
    #[error("empty body")]
    Empty,
    /// The content type is not FHIR JSON.
    #[error("its content type ({}) is not the one expected", known_content_type(.0))]
    ContentType(String),
    /// The body is larger than the configured limit.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not valid JSON or not the expected resource.
    #[error("at `{}`: {message}", shown_path(path))]
    Json {
        /// The JSON path of the offending element.
        path: String,
        /// The parser's message (line and column, never the value).
        message: String,
    },
    /// The body is JSON but not the expected resource type.
    #[error("expected a {expected}, got {}", known_resource_type(found).unwrap_or("another resource type"))]
    ResourceType {
        /// The expected resourceType.
        expected: &'static str,
        /// What came instead.
        found: String,
    },
    /// The response broke off or its content was corrupt.
    #[error("transfer incomplete: {0}")]
    Incomplete(String),
}

impl fmt::Debug for DecodeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeProblem::Empty => f.write_str("Empty"),
            DecodeProblem::ContentType(t) => write!(f, "ContentType({:?})", known_content_type(t)),
            DecodeProblem::TooLarge { limit } => f.debug_struct("TooLarge").field("limit", limit).finish(),
            DecodeProblem::Json { path, message } => {
                f.debug_struct("Json").field("path", &shown_path(path)).field("message", message).finish()
            }
            DecodeProblem::ResourceType { expected, found } => f
                .debug_struct("ResourceType")
                .field("expected", expected)
                .field("found", &known_resource_type(found))
                .finish(),
            DecodeProblem::Incomplete(why) => f.debug_tuple("Incomplete").field(why).finish(),
        }
    }
}

/// The longest JSON path error text shows; a longer one is cut, ending `…`.
const MAX_PATH: usize = 120;

/// A JSON path as error text shows it: segments that are indexes (`[3]`) or shaped like a
/// field name (a lower-case ASCII letter, then up to 39 letters, digits or `_`: every FHIR
/// element and every JSON member the SDK reads) as they are; any other segment, such as a
/// map key a provider wrote (`"Mr J Smith 9690937286"`), as `?`; at most 120 characters.
pub fn shown_path(path: &str) -> String {
    let field = |s: &str| {
        s.is_empty()
            || s == "$"
            || s == "?"
            || (s.len() <= 40
                && s.as_bytes()[0].is_ascii_lowercase()
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    };
    let index = |s: &str| {
        s.len() >= 3 && s.starts_with('[') && s.ends_with(']') && s[1..s.len() - 1].bytes().all(|b| b.is_ascii_digit())
    };
    let segment = |s: &str| -> String {
        // `name[0][1]`: the name, then indexes.
        let (name, rest) = s.find('[').map_or((s, ""), |at| s.split_at(at));
        let indexes_ok = rest.is_empty() || rest.split_inclusive(']').all(index);
        if field(name) && indexes_ok {
            s.to_owned()
        } else {
            "?".to_owned()
        }
    };
    let mut out = path.split('.').map(segment).collect::<Vec<_>>().join(".");
    if out.len() > MAX_PATH {
        out.truncate(MAX_PATH);
        out.push('…');
    }
    out
}

/// A resource type from the closed list error text may name: the FHIR resource types the
/// SDK reads or writes; `None` for anything else.
pub fn known_resource_type(found: &str) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        "AllergyIntolerance",
        "Appointment",
        "Binary",
        "Bundle",
        "CapabilityStatement",
        "Condition",
        "Device",
        "DiagnosticReport",
        "DocumentReference",
        "Encounter",
        "Endpoint",
        "HealthcareService",
        "Immunization",
        "List",
        "Location",
        "Medication",
        "MedicationRequest",
        "MedicationStatement",
        "MessageHeader",
        "Observation",
        "OperationOutcome",
        "Organization",
        "Parameters",
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "ProcedureRequest",
        "ReferralRequest",
        "Schedule",
        "Slot",
        "Specimen",
    ];
    KNOWN.iter().find(|k| **k == found).copied()
}

/// A content type as error text shows it: its media type when on the closed list (JSON,
/// FHIR JSON or XML, HTML, plain text, PDF, octet stream), else `another type`.
pub fn known_content_type(found: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "application/fhir+json",
        "application/json",
        "application/fhir+xml",
        "application/xml",
        "text/xml",
        "text/html",
        "text/plain",
        "application/pdf",
        "application/octet-stream",
    ];
    let media = found.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    KNOWN.iter().find(|k| **k == media).copied().unwrap_or("another type")
}

impl DecodeProblem {
    /// A JSON problem at `path`, described by the parser's category, line and column
    /// only: serde's own message can quote the offending value (an NHS number, a name).
    pub fn json(path: impl Into<String>, error: &serde_json::Error) -> Self {
        let category = match error.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Data => "unexpected value",
            serde_json::error::Category::Eof => "unexpected end",
        };
        DecodeProblem::Json {
            path: path.into(),
            message: format!("{category} at line {} column {}", error.line(), error.column()),
        }
    }
}
