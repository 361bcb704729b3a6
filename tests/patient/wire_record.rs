//! Access Record wire tests: method, path, query, every header, body, and the answers
//! read from the spec's examples.

use crate::common;

use chrono::NaiveDate;
use common::*;
use gpconnect_core::platform::PlatformApi;
use gpconnect_core::ErrorKind;
use gpconnect_patient::{MedicationQuery, PatientExt};
use gpconnect_structured::{
    Consultations, ImmunisationOptions, ImmunisationStatus, NotGiven, ProblemOptions, ProblemSignificance,
    ProblemStatus, Resolved, SearchPeriod,
};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const RECORD: &str = "access-record/access-record__POST_Patient-gpc-getstructuredrecord__response-200__";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[tokio::test]
async fn get_record_sends_the_full_record_request_of_the_spec() {
    // The fullRecordResponse example is about patient 9465701947.
    let token = gpconnect_testkit::platform::id_token().nhs_number(Some("9465701947")).build();
    let h = Harness::with_id_token(PlatformApi::AccessRecord, token).await;
    h.answer_once(
        "POST",
        "/Patient/$gpc.getstructuredrecord",
        answer(200, &format!("{RECORD}fullRecordResponse.json")),
    )
    .await;

    let record = h
        .session
        .access_record()
        .get_record()
        .include_allergies(Resolved::Include)
        .include_consultations(Consultations::Period(SearchPeriod::new(d(2019, 12, 21), d(2020, 2, 21))))
        .include_problems(ProblemOptions::all().status(ProblemStatus::Active).significance(ProblemSignificance::Major))
        .include_immunisations(
            ImmunisationOptions::all().not_given(NotGiven::Include).status(ImmunisationStatus::Include),
        )
        .include_investigations(None)
        .include_medication(MedicationQuery::all())
        .correlation_id("corr-1")
        .send()
        .await
        .unwrap();

    let ids = h.checked(Some("corr-1")).await;
    assert_eq!(record.trace_id, ids[0], "the result carries the X-Request-ID");
    let mut expected = fixture_json(
        "access-record/access-record__POST_Patient-gpc-getstructuredrecord__request__fullRecordRequest.json",
    );
    expected["parameter"][0]["valueIdentifier"]["value"] = "9465701947".into();
    assert_eq!(body(&h.received().await[0]), expected, "the body is the spec's fullRecordRequest");
    assert_eq!(record.medications().len(), 3);
    assert!(!record.consultations().is_empty());
}

#[tokio::test]
async fn repeat_only_medication_sends_prescription_type_as_a_code() {
    let h = Harness::start(PlatformApi::AccessRecord).await;
    h.answer_once(
        "POST",
        "/Patient/$gpc.getstructuredrecord",
        answer(200, &format!("{RECORD}repeatOnlyResponse.json")),
    )
    .await;
    let result = h
        .session
        .access_record()
        .get_record()
        .include_medication(MedicationQuery::all().since(d(2019, 2, 21)).repeats_only())
        .send()
        .await;
    h.checked(None).await;
    let sent = body(&h.received().await[0]);
    assert_eq!(sent["parameter"][0]["valueIdentifier"]["value"], NHS);
    assert_eq!(
        sent["parameter"][1],
        serde_json::json!({ "name": "includeMedication", "part": [
            { "name": "medicationSearchFromDate", "valueDate": "2019-02-21" },
            { "name": "prescriptionType", "valueCode": "repeat" },
        ] })
    );
    // The spec's example answer is about patient 9999999999: not the logged-in one
    // (issue 21: `WrongPatient`, not a decode error).
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongPatient);
    assert!(!err.to_string().contains("9999999999") && !err.to_string().contains(NHS));
}

#[tokio::test]
async fn bad_record_parameters_are_refused_before_sending() {
    let h = Harness::start(PlatformApi::AccessRecord).await;
    let record = h.session.access_record();
    let nothing = record.get_record().send().await.unwrap_err();
    assert_eq!(nothing.kind(), ErrorKind::InvalidInput);
    let future = record.get_record().include_medication(MedicationQuery::all().since(d(2999, 1, 1))).send().await;
    assert_eq!(future.unwrap_err().kind(), ErrorKind::InvalidInput);
    let reversed = record
        .get_record()
        .include_consultations(Consultations::Period(SearchPeriod::new(d(2020, 2, 1), d(2020, 1, 1))))
        .send()
        .await;
    assert_eq!(reversed.unwrap_err().kind(), ErrorKind::InvalidInput);
    let zero = record.get_record().include_consultations(Consultations::MostRecent(0)).send().await;
    assert_eq!(zero.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert!(h.received().await.is_empty());
}

#[tokio::test]
async fn record_errors_keep_status_code_and_outcome() {
    let h = Harness::start(PlatformApi::AccessRecord).await;
    h.answer_once(
        "POST",
        "/Patient/$gpc.getstructuredrecord",
        answer(400, "access-record/access-record__POST_Patient-gpc-getstructuredrecord__response-4XX__example.json"),
    )
    .await;
    let err = h.session.access_record().get_record().include_allergies(Resolved::Exclude).send().await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code().map(|c| c.as_str().to_owned()).as_deref(), Some("INVALID_NHS_NUMBER"));
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.operation_outcome().is_some());
    h.checked(None).await;
}

#[tokio::test]
async fn a_failed_read_is_re_sent_with_the_same_request_id_and_calls_get_fresh_ones() {
    let h = Harness::start(PlatformApi::AccessRecord).await;
    Mock::given(method("GET"))
        .and(path(format!("/documents/Patient/{NHS}")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&h.api)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/documents/Patient/{NHS}")))
        .respond_with(answer(200, "access-record/access-record__GET_documents-Patient-id__response-200__example.json"))
        .expect(2)
        .mount(&h.api)
        .await;
    let record = h.session.access_record();
    // The example's Patient is 9476719931: the view refuses it for this patient.
    let first = record.find_patient().send().await;
    assert_eq!(first.unwrap_err().kind(), ErrorKind::WrongPatient);
    let _ = record.find_patient().send().await;
    let ids = h.checked(None).await;
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], ids[1], "the re-sent read keeps its X-Request-ID");
    assert_ne!(ids[1], ids[2], "a new call has a fresh X-Request-ID");
}

#[tokio::test]
async fn find_patient_reads_the_documents_patient() {
    let token = gpconnect_testkit::platform::id_token().nhs_number(Some("9476719931")).build();
    let h = Harness::with_id_token(PlatformApi::AccessRecord, token).await;
    h.answer_once(
        "GET",
        "/documents/Patient/9476719931",
        answer(200, "access-record/access-record__GET_documents-Patient-id__response-200__example.json"),
    )
    .await;
    let found = h.session.access_record().find_patient().send().await.unwrap().transpose().unwrap();
    assert_eq!(found.id, "2");
    let ids = h.checked(None).await;
    assert_eq!(found.trace_id, ids[0], "the result carries the X-Request-ID");
    assert!(h.received().await[0].url.query().is_none());
}

#[tokio::test]
async fn search_documents_sends_the_includes_and_filters() {
    let token = gpconnect_testkit::platform::id_token().nhs_number(Some("9999999999")).build();
    let h = Harness::with_id_token(PlatformApi::AccessRecord, token).await;
    Mock::given(method("GET"))
        .and(path("/Patient/9d43831b-b2c7-4f8f-b5b5-1d9429acf5fb/DocumentReference"))
        .and(query_param("patientNHSNumber", "9999999999"))
        .respond_with(answer(
            200,
            "access-record/access-record__GET_Patient-id-DocumentReference__response-200__example.json",
        ))
        .expect(1)
        .mount(&h.api)
        .await;
    let list = h
        .session
        .access_record()
        .search_documents(&"9d43831b-b2c7-4f8f-b5b5-1d9429acf5fb".parse().unwrap())
        .created_from(d(2019, 6, 24))
        .created_to(d(2020, 6, 24))
        .author(&"A20047".parse().unwrap())
        .description("Discharge Summary")
        .send()
        .await
        .unwrap();
    h.checked(None).await;
    let q = query(&h.received().await[0]);
    let expected: Vec<(String, String)> = [
        ("patientNHSNumber", "9999999999"),
        ("_include", "DocumentReference:subject:Patient"),
        ("_include", "DocumentReference:custodian:Organization"),
        ("_include", "DocumentReference:author:Organization"),
        ("_include", "DocumentReference:author:Practitioner"),
        ("_revinclude:recurse", "PractitionerRole:practitioner"),
        ("created", "ge2019-06-24"),
        ("created", "le2020-06-24"),
        ("author", "https://fhir.nhs.uk/Id/ods-organization-code|A20047"),
        ("description", "Discharge Summary"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(q, expected);
    assert_eq!(list.documents.len(), 1);
    let doc = &list.documents[0];
    assert!(doc.is_retrievable());
    assert!(doc.url.as_deref().unwrap().ends_with("/Binary/07a6483f-732b-461e-86b6-edb665c45510"));
}

#[tokio::test]
async fn retrieve_streams_the_binary_into_a_writer() {
    let h = Harness::start(PlatformApi::AccessRecord).await;
    let binary = fixture_json("access-record/access-record__GET_documents-Binary-id__response-200__example.json");
    Mock::given(method("GET"))
        .and(path("/documents/Binary/07a6483f-732b-461e-86b6-edb665c45510"))
        .and(query_param("patientNHSNumber", NHS))
        .respond_with(answer(200, "access-record/access-record__GET_documents-Binary-id__response-200__example.json"))
        .expect(1)
        .mount(&h.api)
        .await;
    let mut out = Vec::new();
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = progress.clone();
    let retrieved = h
        .session
        .access_record()
        .retrieve_url("http://exampleGPSystem.co.uk/GP0001/STU3/1/gpconnect-documents/Binary/07a6483f-732b-461e-86b6-edb665c45510")
        .on_progress(move |n| seen.store(n, std::sync::atomic::Ordering::SeqCst))
        .write_to(&mut out)
        .await
        .unwrap();
    let ids = h.checked(None).await;
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.decode(binary["content"].as_str().unwrap()).unwrap();
    assert_eq!(out, expected);
    assert_eq!(retrieved.bytes, expected.len() as u64);
    assert_eq!(retrieved.content_type.as_deref(), Some("application/msword"));
    assert_eq!(ids.len(), 1);
    assert_eq!(retrieved.trace_id, ids[0], "the streamed result keeps its X-Request-ID");
    assert_eq!(progress.load(std::sync::atomic::Ordering::SeqCst), expected.len() as u64);
    assert_eq!(query(&h.received().await[0]), [("patientNHSNumber".to_string(), NHS.to_string())]);
}

#[tokio::test]
async fn retrieve_maps_not_found() {
    let h = Harness::start(PlatformApi::AccessRecord).await;
    h.answer_once(
        "GET",
        "/documents/Binary/x1",
        answer(404, "access-record/access-record__GET_documents-Binary-id__response-4XX__example.json"),
    )
    .await;
    let mut out = Vec::new();
    let err = h.session.access_record().retrieve_id(&"x1".parse().unwrap()).write_to(&mut out).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code().map(|c| c.as_str().to_owned()).as_deref(), Some("NO_RECORD_FOUND"));
    assert!(out.is_empty());
    let bad = h.session.access_record().retrieve_url("../etc/passwd").write_to(&mut out).await.unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidInput);
    assert_eq!(h.received().await.len(), 1);
}

#[tokio::test]
async fn the_one_call_options_apply_on_the_platform() {
    // A per-call retry policy overrides the configured one (three attempts): one attempt.
    let h = Harness::start(PlatformApi::AccessRecord).await;
    Mock::given(method("GET"))
        .and(path(format!("/documents/Patient/{NHS}")))
        .respond_with(ResponseTemplate::new(503))
        .mount(&h.api)
        .await;
    let once = gpconnect_core::RetryPolicy { max_attempts: 1, ..gpconnect_core::RetryPolicy::default() };
    let err = h.session.access_record().find_patient().retry(once.clone()).send().await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(h.received().await.len(), 1, "no retry with max_attempts 1");

    // A requesting user is the SSP's: refused before anything is sent.
    let user = gpconnect_core::User::new("10019", "Jones");
    let err = h.session.access_record().find_patient().user(&user).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    // A correlation id that is not a header value is refused before anything is sent.
    let err = h.session.access_record().find_patient().correlation_id("a\nb").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(h.received().await.len(), 1);

    // The request id to re-send with is the one sent.
    let again = uuid::Uuid::new_v4();
    let _ = h.session.access_record().find_patient().retry(once).request_id(again).send().await;
    let received = h.received().await;
    assert_eq!(received[1].headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some(again.to_string().as_str()));
}

#[tokio::test]
async fn diary_entries_send_their_search_date_and_a_past_date_is_refused() {
    let h = Harness::start(PlatformApi::AccessRecord).await;
    h.answer_once("POST", "/Patient/$gpc.getstructuredrecord", answer(200, &format!("{RECORD}allergies.json"))).await;
    let today = chrono::Local::now().date_naive();
    let up_to = today + chrono::Days::new(30);
    let record = h.session.access_record();
    let past = record.get_record().include_diary_entries(Some(today - chrono::Days::new(1))).send().await;
    assert_eq!(past.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert!(h.received().await.is_empty(), "nothing sent");
    // The allergies example is about another patient: what matters here is the body sent.
    let _ = record.get_record().include_diary_entries(Some(up_to)).send().await;
    h.checked(None).await;
    let sent = body(&h.received().await[0]);
    assert_eq!(sent["parameter"][0]["valueIdentifier"]["value"], NHS);
    assert_eq!(
        sent["parameter"][1],
        serde_json::json!({ "name": "includeDiaryEntries", "part": [
            { "name": "diaryEntriesSearchDate", "valueDate": up_to.format("%Y-%m-%d").to_string() },
        ] })
    );
    assert_eq!(sent["parameter"].as_array().unwrap().len(), 2, "diary entries alone are a clinical area");
    let without_date = record.get_record().include_diary_entries(None).parameters(&NHS.parse().unwrap());
    assert_eq!(without_date["parameter"][1], serde_json::json!({ "name": "includeDiaryEntries" }));
}

#[tokio::test]
async fn search_documents_by_one_date_and_by_sds_user_id() {
    let token = gpconnect_testkit::platform::id_token().nhs_number(Some("9999999999")).build();
    let h = Harness::with_id_token(PlatformApi::AccessRecord, token).await;
    h.answer_once(
        "GET",
        "/Patient/9d43831b-b2c7-4f8f-b5b5-1d9429acf5fb/DocumentReference",
        answer(200, "access-record/access-record__GET_Patient-id-DocumentReference__response-200__example.json"),
    )
    .await;
    let patient = "9d43831b-b2c7-4f8f-b5b5-1d9429acf5fb".parse().unwrap();
    let records = h.session.access_record();
    let list = records.search_documents(&patient).created_on(d(2019, 6, 24)).author_user("G13579135").send().await;
    assert_eq!(list.unwrap().documents.len(), 1);
    h.checked(None).await;
    let q = query(&h.received().await[0]);
    let tail: Vec<(String, String)> = q.into_iter().skip(6).collect();
    assert_eq!(
        tail,
        [("created", "eq2019-06-24"), ("author", "https://fhir.nhs.uk/Id/sds-user-id|G13579135")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );

    let refused = [
        records.search_documents(&patient).created_on(d(2019, 6, 24)).created_from(d(2019, 1, 1)),
        records.search_documents(&patient).author(&"A20047".parse().unwrap()).author_user("G13579135"),
        records.search_documents(&patient).author_user("G1357|x"),
        records.search_documents(&patient).author_user(" "),
    ];
    for search in refused {
        assert_eq!(search.send().await.unwrap_err().kind(), ErrorKind::InvalidInput);
    }
    assert_eq!(h.received().await.len(), 1, "nothing more sent");
}
