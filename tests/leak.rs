//! The leak test over the whole public surface (issue 22): canary values (a valid NHS
//! number, a name, a date of birth, a free-text phrase, a token-shaped string) placed in
//! every field of hostile answers for every parser of provider bytes, then the `Debug` of
//! every result and the `Display` and `Debug` of every error checked for any canary; the
//! same answers served on the wire with the SDK's logs captured at TRACE, and those logs
//! checked too.
//!
//! **Completeness.** [`every_public_type_with_a_derived_debug_is_reviewed`] scans the
//! sources for `pub struct` / `pub enum` items whose `Debug` is derived (the only `Debug`
//! that prints every field as written). Each must be in [`REVIEWED`]: reviewed as holding
//! no remote text, or only through types whose `Debug` follows the one redaction rule
//! (`gpconnect_core::redact`). A new type with a derived `Debug` fails the test until it
//! is reviewed and listed, or given the rule (`redacted_debug!`, `fhir_type!` or
//! `RedactedStruct`), which the scan recognises as not derived.
#![cfg(all(feature = "structured", feature = "documents", feature = "appointments"))]

use std::path::Path;

use gpconnect::documents::DocumentsExt;
use gpconnect::structured::StructuredExt;
use gpconnect::NhsNumber;
use gpconnect_testkit::fixtures::{fixture, NAMES};
use gpconnect_testkit::MockSpine;
use serde_json::Value;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

#[path = "support/logs.rs"]
mod logs;
use logs::Logs;

#[path = "support/parsers.rs"]
#[allow(dead_code)]
mod parsers;

/// A valid NHS number (check digit right).
const NHS: &str = "9434765919";
const NAME: &str = "Zebedee Canaryname";
const DOB: &str = "1911-11-11";
const TEXT: &str = "purple elephant canary phrase";
const TOKEN: &str = "eyJhbGciOiJSUzUxMiJ9.eyJjYW5hcnkiOiJ0b2tlbi1jYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeS1zaWduYXR1cmU";

/// What must never appear: each canary, and telling pieces of them.
const NEVER: &[&str] =
    &[NHS, "434765919", NAME, "Canaryname", DOB, TEXT, "elephant", TOKEN, "eyJjYW5hcnki", "c2lnbmF0dXJl"];

fn assert_clean(what: &str, text: &str) {
    for canary in NEVER {
        assert!(!text.contains(canary), "{what}: `{canary}` in {text}");
    }
}

/// Every string of `value` set to `canary` (the date of birth only in `birthDate`), the
/// `resourceType`s kept (or not, with `types`) so the parsers get past the first check.
fn poison(value: &mut Value, canary: &str, types: bool, key: Option<&str>) {
    match value {
        Value::String(s) => {
            let dob = canary == DOB;
            if (!dob || key == Some("birthDate")) && (types || key != Some("resourceType")) {
                *s = canary.to_owned();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| poison(v, canary, types, key)),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                poison(v, canary, types, Some(k.as_str()));
            }
            if canary == NAME {
                map.insert(format!("{NAME} {NHS}"), Value::String(TEXT.into()));
            }
        }
        _ => {}
    }
}

/// Hostile variants of a JSON body: each canary in every string, the types poisoned too,
/// and a malformed body whose key is a name and an NHS number.
fn hostile(body: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        for canary in [NHS, NAME, DOB, TEXT, TOKEN] {
            for types in [false, true] {
                let mut v = json.clone();
                poison(&mut v, canary, types, None);
                out.push(serde_json::to_vec(&v).unwrap());
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    out.push(text.replacen('{', &format!("{{\"{NAME} {NHS}\": tru, "), 1).into_bytes());
    out.push(text.replacen('{', &format!("{{\"{TEXT}\": {{\"{NAME}\": [\"{TOKEN}\""), 1).into_bytes());
    out
}

fn fixtures(filter: &str) -> Vec<Vec<u8>> {
    NAMES.iter().filter(|n| n.contains(filter)).map(|n| fixture(n).as_bytes().to_vec()).collect()
}

/// Every parser of provider bytes reachable from the public API (as the fuzz targets), with
/// the spec examples it reads.
fn targets() -> Vec<(&'static str, Vec<Vec<u8>>, parsers::Parser)> {
    let sds = br#"{"resourceType": "Bundle", "entry": [{"fullUrl": "https://sds.example/Device/2", "resource": {"resourceType": "Device", "id": "2", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhsSpineASID", "value": "918999198738"}]}}]}"#;
    vec![
        ("structured_view", fixtures("getstructuredrecord__response-200"), parsers::structured_view),
        ("bundle", fixtures("response"), parsers::bundle),
        ("document_list", fixtures("DocumentReference"), parsers::document_list),
        ("binary", fixtures("Binary"), parsers::binary),
        ("appointment", fixtures("appt-response"), parsers::appointment),
        (
            "slot_search",
            [fixtures("free-slots-response"), fixtures("GET_Slot__response-200")].concat(),
            parsers::slot_search,
        ),
        ("operation_outcome", fixtures("4XX"), parsers::operation_outcome),
        ("sds_answer", vec![sds.to_vec()], parsers::sds_answer),
    ]
}

#[test]
fn no_canary_in_the_debug_or_display_of_any_parser_result_or_error() {
    let mut checked = 0;
    for (name, seeds, parser) in targets() {
        assert!(!seeds.is_empty(), "{name}: no seed bodies");
        for seed in &seeds {
            for body in hostile(seed) {
                let outcome = parser(&body);
                assert_clean(name, &parsers::text(&outcome));
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked} hostile bodies");
}

/// Serves `body` (status 200, FHIR JSON) to every SSP request, before the mock's own
/// answers (SDS look-ups keep the mock's).
async fn serve(spine: &MockSpine, body: Vec<u8>) {
    for verb in ["GET", "POST"] {
        Mock::given(method(verb))
            .and(path_regex("/gpconnect/"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/fhir+json;charset=utf-8"))
            .with_priority(1)
            .mount(spine.server())
            .await;
    }
}

#[tokio::test]
async fn no_canary_in_trace_logs_results_or_errors_of_calls_answered_with_hostile_bodies() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "gpconnect=trace,gpconnect_core=trace,gpconnect_structured=trace,gpconnect_documents=trace,\
             gpconnect_appointments=trace",
        ))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let nhs = NhsNumber::parse(NHS).unwrap();
    let bodies = [
        fixtures("getstructuredrecord__response-200").into_iter().take(2).flat_map(|b| hostile(&b)).collect::<Vec<_>>(),
        fixtures("GET_Patient").into_iter().take(2).flat_map(|b| hostile(&b)).collect(),
        fixtures("DocumentReference").into_iter().take(1).flat_map(|b| hostile(&b)).collect(),
    ]
    .concat();
    assert!(bodies.len() > 20);
    for body in bodies {
        let spine = MockSpine::start().await;
        serve(&spine, body).await;
        let p = spine.provider();
        let record = p.structured().get_record(&nhs).include_medication(None).send().await;
        assert_clean("get_record", &format!("{record:?}"));
        if let Err(e) = &record {
            assert_clean("get_record", &e.to_string());
        }
        let found = p.foundations().find_patient(&nhs).send().await;
        assert_clean("find_patient", &format!("{found:?}"));
        if let Err(e) = &found {
            assert_clean("find_patient", &e.to_string());
        }
        let documents = p.documents().search_documents(&"2".parse().unwrap()).nhs_number(&nhs).send().await;
        assert_clean("search_documents", &format!("{documents:?}"));
        if let Err(e) = &documents {
            assert_clean("search_documents", &e.to_string());
        }
    }
    let logs = logs.text();
    assert!(logs.contains("gpconnect.request"), "the SDK's spans are captured: {logs}");
    assert_clean("logs", &logs);
}

/// Public types whose `Debug` is derived, reviewed: none holds what a patient, provider or
/// sender wrote except through types whose `Debug` follows the one rule (a derived `Debug`
/// of a field of such a type calls that type's redacted `Debug`). `IncomingMessage` and
/// `AuthError` are the MESH and PATIENT parts of issue 22.
const REVIEWED: &[&str] = &[
    "AccessRecord",
    "AckDeadlines",
    "AckKind",
    "Acknowledgements",
    "Addressing",
    "Appointment",
    "AppointmentList",
    "AppointmentStatus",
    "Appointments",
    "Asid",
    "AuthProblem",
    "AuthRejection",
    "BodyFormat",
    "BookingOrganisation",
    "BpTriplet",
    "Call",
    "CallOptions",
    "CancelError",
    "Capability",
    "Check",
    "ChunkRange",
    "ClaimIdentifier",
    "Claims",
    "ClientBuilder",
    "ClientInfo",
    "Confidentiality",
    "ConfigError",
    "Consultations",
    "Consumer",
    "ConsumerBuilder",
    "DecodeError",
    "DeliveryChannel",
    "DeliveryOutcome",
    "Device",
    "DeviceBuilder",
    "DirectoryError",
    "DirectoryProblem",
    "DocumentList",
    "Documents",
    "DocumentsVersion",
    "DownloadLimit",
    "DownloadLimits",
    "Downloaded",
    "Effect",
    "EnvelopeIds",
    "Environment",
    "Error",
    "ErrorKind",
    "FhirVersion",
    "Find",
    "FindBooking",
    "FindPatient",
    "FoundPatient",
    "Foundations",
    "FreeSlots",
    "Gender",
    "Generation",
    "GetRecord",
    "Held",
    "Holding",
    "IdError",
    "IdTokenCheck",
    "ImmunisationKind",
    "ImmunisationOptions",
    "ImmunisationStatus",
    "Inbox",
    "InboxPage",
    "Includes",
    "Intent",
    "Interaction",
    "InvalidInput",
    "Itk3Error",
    // Places in a body (numbers only) and a table of them.
    "Jump",
    "Jumps",
    "Limits",
    "ListAppointments",
    "MailboxEntry",
    "MediaType",
    "MedicationOptions",
    "MedicationQuery",
    "MedicationStatus",
    "Medications",
    "MeshError",
    "MeshErrorCode",
    "MeshOperation",
    "MeshProblem",
    "MessageEvent",
    "MessageIdSet",
    "MessageType",
    "MexHeader",
    "MigrateRecord",
    "NonDeliveryReason",
    "NotGiven",
    "OdsCode",
    "OrganisationType",
    "OutcomeCode",
    "Overdue",
    "PartialDownload",
    "PartialSend",
    "PatientAppointments",
    "PatientMismatch",
    "PatientRecord",
    "PlatformApi",
    "Precision",
    "PredefinedSearch",
    "PreflightReport",
    "PrescriptionIssues",
    "PrescriptionRequests",
    "PrescriptionType",
    "Prescriptions",
    "Problem",
    "ProblemKind",
    "ProblemOptions",
    "ProblemSignificance",
    "ProblemStatus",
    "PrsbHeading",
    "Read",
    "ReadAppointment",
    "ReadContext",
    "Reason",
    "RebookOrder",
    "RebookReport",
    "ReceiveSummary",
    "Receiver",
    "RecipientType",
    "RecordWarningKind",
    "RegisterPatient",
    "Report",
    "RequestStatus",
    "RequestStatusSearch",
    "RequestingDevice",
    "RequestingOrganization",
    "RequestingPractitioner",
    "Resolved",
    "ResourceIndex",
    "Responder",
    "ResponseCode",
    "RetryPolicy",
    "Scope",
    "SearchDocuments",
    "SearchFreeSlots",
    "SearchMedications",
    "SearchPeriod",
    "SectionKind",
    "SectionSummary",
    "SendProgress",
    "Sensitive",
    "Sent",
    "SentMessage",
    "Service",
    "ServiceFilteringStatus",
    "SkipReason",
    "Skipped",
    "Slot",
    "SlotTime",
    "SspConfig",
    "Step",
    "Structured",
    "SupplyType",
    "Taken",
    "TokenRefusal",
    "Traced",
    "Tracked",
    "TrackingStatus",
    "TransportCategory",
    "Trust",
    "Typed",
    "UnknownInteraction",
    "Unreadable",
    "UpdateIds",
    "ViewError",
    "Warning",
    "WorkflowFilter",
];

/// `pub struct` / `pub enum` items of the SDK's crates (not the testkit) whose `Debug` is
/// derived: the attribute lines above the item name `Debug` in a `derive`.
fn derived_debug_types(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            derived_debug_types(&path, found);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            let Some(rest) = t.strip_prefix("pub struct ").or_else(|| t.strip_prefix("pub enum ")) else { continue };
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            let derived = lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.trim_start().starts_with('#') || l.trim_start().starts_with("//"))
                .any(|l| l.contains("derive(") && l.contains("Debug"));
            if derived && name.starts_with(|c: char| c.is_ascii_uppercase()) {
                found.push((name, path.display().to_string()));
            }
        }
    }
}

#[test]
fn every_public_type_with_a_derived_debug_is_reviewed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    derived_debug_types(&root.join("src"), &mut found);
    // The member crates sit beside `src/` in the repository; in the packaged workspace of
    // `tools/package-check` they are siblings of this package (`gpconnect-core-0.1.0`, ...).
    let members = if root.join("gpconnect-core").exists() { root } else { root.parent().unwrap() };
    for entry in std::fs::read_dir(members).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("gpconnect-") && !name.starts_with("gpconnect-testkit") && path != root {
            derived_debug_types(&path.join("src"), &mut found);
        }
    }
    assert!(found.len() > 50, "the scan finds the SDK's types: {}", found.len());
    let missing: Vec<_> = found.iter().filter(|(name, _)| !REVIEWED.contains(&name.as_str())).collect();
    assert!(
        missing.is_empty(),
        "public types with a derived Debug not reviewed for personal data: give them the one redaction rule \
         (redacted_debug!) or review and add them to REVIEWED: {missing:?}"
    );
}
