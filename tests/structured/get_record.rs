//! Wire tests for `POST Patient/$gpc.getstructuredrecord` through the testkit mock.

use chrono::{Days, NaiveDate};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::{Error, ErrorKind, GpcCode, InteractionId, NhsNumber};
use gpconnect_structured::{
    Consultations, ImmunisationOptions, ImmunisationStatus, MedicationOptions, NotGiven, PrescriptionIssues,
    ProblemOptions, ProblemSignificance, ProblemStatus, Resolved, SearchPeriod, StructuredExt,
};
use gpconnect_testkit::fixtures::fixture_json;
use gpconnect_testkit::MockSpine;
use serde_json::{json, Value};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

fn nhs() -> NhsNumber {
    NhsNumber::parse("9690937286").unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn today() -> NaiveDate {
    gpconnect_core::uk::today()
}

/// Checks the one request the mock received: method, path, headers, JWT and body.
async fn single_request(spine: &MockSpine) -> Value {
    let received: Vec<_> =
        spine.received().await.into_iter().filter(|r| r.target == gpconnect_testkit::Target::Ssp).collect();
    assert_eq!(received.len(), 1, "{received:?}");
    let r = &received[0];
    assert!(r.verdict.is_accepted() || r.verdict.code().is_some(), "{r:?}");
    assert_eq!(r.method, "POST");
    assert_eq!(r.fhir_path, "Patient/$gpc.getstructuredrecord");
    assert_eq!(r.interaction, Some(InteractionId::GetStructuredRecord));
    assert_eq!(r.header("ssp-interactionid"), Some(InteractionId::GetStructuredRecord.to_string().as_str()));
    assert_eq!(r.header("content-type"), Some("application/fhir+json;charset=utf-8"));
    assert_eq!(r.header("accept"), Some("application/fhir+json;charset=utf-8"));
    assert!(r.header("ssp-traceid").is_some() && r.header("ssp-from").is_some() && r.header("ssp-to").is_some());
    let claims = r.claims.as_ref().expect("a decoded JWT");
    assert_eq!(claims["requested_scope"], "patient/*.read", "no conf/N: a missing conf scope means conf/N");
    assert_eq!(claims["reason_for_request"], "directcare");
    r.body.clone().expect("a JSON body")
}

#[tokio::test]
async fn get_record_sends_every_part_field_by_field_and_reads_the_full_record() {
    let spine = MockSpine::start().await;
    let record = spine
        .provider()
        .structured()
        .get_record(&nhs())
        .include_allergies(Resolved::Include)
        .include_medication(MedicationOptions::all().prescription_issues(PrescriptionIssues::Include))
        .include_consultations(Consultations::Period(SearchPeriod::new(d(2017, 12, 25), d(2018, 12, 25))))
        .include_problems(ProblemOptions::all())
        .include_immunisations(ImmunisationOptions::all())
        .include_uncategorised_data(None)
        .include_investigations(Some(SearchPeriod::new(d(2017, 1, 2), d(2017, 7, 2))))
        .include_referrals(None)
        .include_diary_entries(None)
        .send()
        .await
        .unwrap();
    let body = single_request(&spine).await;
    let p = &body["parameter"];
    assert_eq!(body["resourceType"], "Parameters");
    assert_eq!(
        p[0],
        json!({"name": "patientNHSNumber", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9690937286"}})
    );
    assert_eq!(
        p[1],
        json!({"name": "includeAllergies", "part": [{"name": "includeResolvedAllergies", "valueBoolean": true}]})
    );
    assert_eq!(
        p[2],
        json!({"name": "includeMedication", "part": [{"name": "includePrescriptionIssues", "valueBoolean": true}]})
    );
    assert_eq!(
        p[3],
        json!({"name": "includeConsultations", "part": [{"name": "consultationSearchPeriod", "valuePeriod": {"start": "2017-12-25", "end": "2018-12-25"}}]})
    );
    assert_eq!(p[4], json!({"name": "includeProblems"}));
    assert_eq!(p[5], json!({"name": "includeImmunisations"}));
    assert_eq!(p[6], json!({"name": "includeUncategorisedData"}));
    assert_eq!(
        p[7],
        json!({"name": "includeInvestigations", "part": [{"name": "investigationSearchPeriod", "valuePeriod": {"start": "2017-01-02", "end": "2017-07-02"}}]})
    );
    assert_eq!(p[8], json!({"name": "includeReferrals"}));
    assert_eq!(p[9], json!({"name": "includeDiaryEntries"}));
    assert_eq!(p.as_array().unwrap().len(), 10);
    // The mock answered with the patient-facing full record, our NHS number substituted.
    assert_eq!(record.medications().len(), 3);
    assert_eq!(record.consultations().len(), 49);
    assert_eq!(record.patient().and_then(|p| p.nhs_number()), Some("9690937286"));
    assert!(!record.trace_id.is_nil());
}

#[test]
fn parameters_match_the_spec_all_parameters_example_field_by_field() {
    // The spec's example sends consultationSearchPeriod and includeNumberOfMostRecent
    // together (which its own rules forbid, and `Consultations` cannot express), so the
    // count part is compared separately.
    let mut spec = fixture_json("structured__request__all-parameters.json");
    let consultations = spec["parameter"][3]["part"].as_array_mut().unwrap();
    let most_recent = consultations.pop().unwrap();
    assert_eq!(most_recent, json!({"name": "includeNumberOfMostRecent", "valuePositiveInt": 3}));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let spine = rt.block_on(MockSpine::start());
    let nhs = NhsNumber::parse("9999999999").unwrap();
    let builder = spine
        .provider()
        .structured()
        .get_record(&nhs)
        .include_allergies(Resolved::Include)
        .include_medication(
            MedicationOptions::all().since(d(2017, 6, 4)).prescription_issues(PrescriptionIssues::Include),
        )
        .include_consultations(Consultations::Period(SearchPeriod::new(d(2017, 12, 25), d(2018, 12, 25))))
        .include_problems(ProblemOptions::all().status(ProblemStatus::Active))
        .include_immunisations(
            ImmunisationOptions::all().not_given(NotGiven::Exclude).status(ImmunisationStatus::Exclude),
        )
        .include_uncategorised_data(Some(SearchPeriod::new(d(2016, 12, 25), d(2018, 12, 25))))
        .include_investigations(Some(SearchPeriod::new(d(2017, 1, 2), d(2017, 7, 2))))
        .include_referrals(Some(SearchPeriod::new(d(2016, 12, 25), d(2018, 12, 25))))
        .include_diary_entries(Some(d(2017, 6, 4)));
    let ours = builder.parameters();
    let (ours_p, spec_p) = (ours["parameter"].as_array().unwrap(), spec["parameter"].as_array().unwrap());
    assert_eq!(ours_p.len(), spec_p.len());
    for (o, s) in ours_p.iter().zip(spec_p) {
        assert_eq!(o["name"], s["name"]);
        let key = |v: &Value| v["name"].as_str().unwrap().to_owned();
        let mut op: Vec<Value> = o["part"].as_array().cloned().unwrap_or_default();
        let mut sp: Vec<Value> = s["part"].as_array().cloned().unwrap_or_default();
        op.sort_by_key(key);
        sp.sort_by_key(key);
        assert_eq!(op, sp, "parts of {}", s["name"]);
        assert_eq!(o.get("valueIdentifier"), s.get("valueIdentifier"));
    }
    assert_eq!(ours["resourceType"], spec["resourceType"]);
    // The same request breaks the spec's forbidden-combination rule: send() refuses it.
    let err = builder.clone().include_diary_entries(None).validate_on(d(2019, 1, 1)).unwrap_err();
    assert!(matches!(err, InvalidInput::Parameter { parameter: "medicationSearchFromDate", .. }), "{err:?}");
    assert!(builder.validate_on(d(2019, 1, 1)).is_err());
    // The 1.6.0 significance filter and the count part have the spec's shape too.
    let b = spine
        .provider()
        .structured()
        .get_record(&nhs)
        .include_problems(ProblemOptions::all().status(ProblemStatus::Active).significance(ProblemSignificance::Major))
        .include_consultations(Consultations::MostRecent(3));
    let p = b.parameters();
    assert_eq!(p["parameter"][1]["part"][0], most_recent);
    let spec160 = fixture_json("structured__request__all-parameters__1.6.0.json");
    assert_eq!(p["parameter"][2], spec160["parameter"][4]);
}

async fn rejected(
    build: impl FnOnce(gpconnect_structured::GetRecord) -> gpconnect_structured::GetRecord,
) -> &'static str {
    let spine = MockSpine::start().await;
    let err = build(spine.provider().structured().get_record(&nhs())).send().await.unwrap_err();
    assert!(spine.received().await.is_empty(), "nothing is sent on bad input");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    match err {
        Error::InvalidInput(InvalidInput::Parameter { parameter, .. }) => parameter,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn bad_parameters_are_typed_errors_naming_the_parameter_and_nothing_is_sent() {
    let tomorrow = today().checked_add_days(Days::new(1)).unwrap();
    let yesterday = today().checked_sub_days(Days::new(1)).unwrap();
    assert_eq!(rejected(|b| b.include_medication(tomorrow)).await, "medicationSearchFromDate");
    assert_eq!(
        rejected(|b| b.include_consultations(Consultations::Period(SearchPeriod::new(d(2020, 2, 1), d(2020, 1, 1)))))
            .await,
        "consultationSearchPeriod"
    );
    assert_eq!(rejected(|b| b.include_consultations(Consultations::MostRecent(0))).await, "includeNumberOfMostRecent");
    assert_eq!(
        rejected(|b| b.include_investigations(Some(SearchPeriod::since(tomorrow)))).await,
        "investigationSearchPeriod"
    );
    assert_eq!(rejected(|b| b.include_diary_entries(Some(yesterday))).await, "diaryEntriesSearchDate");
    assert_eq!(
        rejected(|b| b.include_uncategorised_data(Some(SearchPeriod::default()))).await,
        "uncategorisedDataSearchPeriod",
        "an empty period would be a part without a value"
    );
    assert_eq!(
        rejected(|b| b
            .include_consultations(Consultations::All)
            .include_problems(ProblemOptions::all().status(ProblemStatus::Inactive)))
        .await,
        "filterStatus"
    );
    assert_eq!(
        rejected(|b| b
            .include_problems(ProblemOptions::all())
            .include_referrals(Some(SearchPeriod::until(d(2020, 1, 1)))))
        .await,
        "referralSearchPeriod"
    );
    assert_eq!(
        rejected(|b| b
            .include_problems(ProblemOptions::all())
            .include_immunisations(ImmunisationOptions::all().status(ImmunisationStatus::Include)))
        .await,
        "includeStatus"
    );
}

#[tokio::test]
async fn problems_with_status_filter_is_allowed_and_answered() {
    let spine = MockSpine::start().await;
    let record = spine
        .provider()
        .structured()
        .get_record(&nhs())
        .include_problems(ProblemOptions::all().status(ProblemStatus::Active))
        .include_medication(None)
        .send()
        .await
        .unwrap();
    let body = single_request(&spine).await;
    assert_eq!(
        body["parameter"][1],
        json!({"name": "includeMedication", "part": [{"name": "includePrescriptionIssues", "valueBoolean": true}]})
    );
    assert_eq!(
        body["parameter"][2],
        json!({"name": "includeProblems", "part": [{"name": "filterStatus", "valueCode": "active"}]})
    );
    assert!(record.problems().is_present());
}

#[tokio::test]
async fn medication_only_gets_the_meds_example() {
    let spine = MockSpine::start().await;
    let record =
        spine.provider().structured().get_record(&nhs()).include_medication(d(2015, 1, 1)).send().await.unwrap();
    let body = single_request(&spine).await;
    assert_eq!(
        body["parameter"][1],
        json!({"name": "includeMedication", "part": [
            {"name": "medicationSearchFromDate", "valueDate": "2015-01-01"},
            {"name": "includePrescriptionIssues", "valueBoolean": true}
        ]})
    );
    assert_eq!(record.medications().len(), 3);
    assert!(record.view_problems().is_empty(), "{:?}", record.view_problems());
}

#[tokio::test]
async fn diary_only_gets_the_diary_example_with_entries_resolved() {
    let spine = MockSpine::start().await;
    let record =
        spine.provider().structured().get_record(&nhs()).include_diary_entries(Some(today())).send().await.unwrap();
    single_request(&spine).await;
    assert_eq!(record.diary_entries().len(), 2);
}

#[tokio::test]
async fn unknown_patient_is_not_found() {
    let spine = MockSpine::start().await;
    let err = spine
        .provider()
        .structured()
        .get_record(&NhsNumber::parse("9999999999").unwrap())
        .include_allergies(Resolved::Exclude)
        .send()
        .await
        .unwrap_err();
    single_request(&spine).await;
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some(GpcCode::PatientNotFound));
    assert_eq!(err.status(), Some(404));
}

async fn provider_error(status: u16, fixture: &str) -> Error {
    let spine = MockSpine::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"/Patient/\$gpc\.getstructuredrecord$"))
        .respond_with(
            ResponseTemplate::new(status)
                .set_body_raw(gpconnect_testkit::fixture(fixture), "application/fhir+json;charset=utf-8"),
        )
        .with_priority(1)
        .expect(1)
        .mount(spine.server())
        .await;
    spine.provider().structured().get_record(&nhs()).include_medication(None).send().await.unwrap_err()
}

#[tokio::test]
async fn no_patient_consent_is_access_denied() {
    let err = provider_error(403, "error__no-patient-consent__403.json").await;
    assert_eq!(err.kind(), ErrorKind::AccessDenied);
    assert_eq!(err.code(), Some(GpcCode::NoPatientConsent));
}

#[tokio::test]
async fn invalid_parameter_keeps_status_outcome_and_raw_body() {
    let body = json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid",
            "details": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1", "code": "INVALID_PARAMETER", "display": "Invalid parameter"}]},
            "diagnostics": "consultationSearchPeriod"}]
    });
    let spine = MockSpine::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"/Patient/\$gpc\.getstructuredrecord$"))
        .respond_with(ResponseTemplate::new(422).set_body_raw(body.to_string(), "application/fhir+json;charset=utf-8"))
        .with_priority(1)
        .expect(1)
        .mount(spine.server())
        .await;
    let err = spine.provider().structured().get_record(&nhs()).include_medication(None).send().await.unwrap_err();
    assert_eq!(err.code(), Some(GpcCode::InvalidParameter));
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.operation_outcome().map(|o| o.diagnostics()), Some(vec!["consultationSearchPeriod"]));
    let Error::Provider(p) = &err else { panic!("{err:?}") };
    assert_eq!(serde_json::from_slice::<Value>(p.body.bytes()).unwrap(), body);
}

/// The answer names another patient (or none): a patient-safety error, never a record.
#[tokio::test]
async fn a_record_about_another_patient_or_none_is_a_patient_safety_error() {
    use gpconnect_core::PatientMismatch;
    for (patient, expected) in [
        (json!({"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9690937278"}), PatientMismatch::OtherPatient),
        (json!({"system": "https://fhir.nhs.uk/Id/other", "value": "9690937286"}), PatientMismatch::NoNhsNumber),
    ] {
        let spine = MockSpine::start().await;
        let body = json!({"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "Patient", "id": "p", "identifier": [patient]}},
            {"resource": {"resourceType": "List", "code": {"coding": [{"code": "933361000000108"}]}, "entry": []}}
        ]});
        Mock::given(method("POST"))
            .and(path_regex(r"/Patient/\$gpc\.getstructuredrecord$"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/fhir+json;charset=utf-8"),
            )
            .with_priority(1)
            .expect(1)
            .mount(spine.server())
            .await;
        let err = spine.provider().structured().get_record(&nhs()).include_medication(None).send().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongPatient);
        assert!(matches!(err, Error::WrongPatient { problem, .. } if problem == expected));
        assert!(err.trace_id().is_some());
        let text = format!("{err} {err:?}");
        assert!(!text.contains("9690937278") && !text.contains("9690937286"), "{text}");
    }
}
