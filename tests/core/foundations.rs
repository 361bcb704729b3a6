//! Foundations operations end to end through the testkit's mock SSP, provider and SDS:
//! method, path, every header, the decoded JWT claims and the answer.

use gpconnect_core::error::InvalidInput;
use gpconnect_core::{Capability, Error, ErrorKind, GpcCode, InteractionId, NhsNumber, User};
use gpconnect_testkit::{MockSpine, ReceivedRequest, Target};
use serde_json::json;

const NHS: &str = "9690937286";

fn nhs() -> NhsNumber {
    NhsNumber::parse(NHS).unwrap()
}

fn ssp_requests(all: &[ReceivedRequest]) -> Vec<&ReceivedRequest> {
    all.iter().filter(|r| r.target == Target::Ssp).collect()
}

/// Checks the headers and claims every GP Connect request must carry.
fn assert_gp_connect_request(spine: &MockSpine, r: &ReceivedRequest, interaction: InteractionId, scope: &str) {
    assert!(r.verdict.is_accepted(), "testkit rejected the request: {:?}", r.verdict);
    assert_eq!(r.interaction, Some(interaction));
    assert_eq!(r.header("ssp-interactionid"), Some(interaction.urn()));
    assert_eq!(r.header("ssp-from"), Some(spine.consumer_asid()));
    assert_eq!(r.header("ssp-to"), Some(spine.provider_asid()));
    let trace = r.header("ssp-traceid").expect("Ssp-TraceID");
    assert!(uuid::Uuid::parse_str(trace).is_ok(), "trace id is a UUID");
    assert_eq!(r.header("accept"), Some("application/fhir+json;charset=utf-8"));
    let auth = r.header("authorization").expect("Authorization");
    assert!(auth.starts_with("Bearer ") && auth.ends_with('.'), "unsigned JWT with trailing dot");
    let claims = r.claims.as_ref().expect("decoded claims");
    let root = spine.service_root(interaction.capability());
    assert_eq!(r.service_root.as_deref(), Some(root.as_str()));
    assert_eq!(claims["aud"], json!(root));
    assert_eq!(claims["iss"], json!("https://consumersupplier.thirdparty.nhs.uk/"));
    assert_eq!(claims["requested_scope"], json!(scope));
    assert_eq!(claims["reason_for_request"], json!("directcare"));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 300);
    assert_eq!(claims["sub"], json!("10019"));
    assert_eq!(claims["requesting_practitioner"]["id"], json!("10019"));
    assert_eq!(
        claims["requesting_practitioner"]["identifier"][0],
        json!({"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "111222333444"})
    );
    assert_eq!(
        claims["requesting_organization"]["identifier"][0],
        json!({"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A1001"})
    );
    assert_eq!(claims["requesting_device"]["resourceType"], json!("Device"));
}

#[tokio::test]
async fn find_patient_looks_up_sds_then_searches_by_nhs_number_with_every_header() {
    let spine = MockSpine::start().await;

    let found =
        spine.provider().foundations().find_patient(&nhs()).send().await.unwrap().transpose().expect("a patient");

    assert_eq!(found.patient.nhs_number(), Some(NHS));
    assert_eq!(found.registered_practice_id().as_ref().map(|id| id.as_str()), Some("14"));
    let all = spine.received().await;
    let sds: Vec<_> = all.iter().filter(|r| r.target == Target::Sds).collect();
    assert_eq!(sds.len(), 2, "Endpoint + Device for the one interaction");
    assert_eq!(sds[0].fhir_path, "Endpoint");
    assert_eq!(sds[0].header("apikey"), Some(spine.sds_api_key()));
    assert_eq!(
        sds[0].query_values("identifier"),
        vec![format!("https://fhir.nhs.uk/Id/nhsServiceInteractionId|{}", InteractionId::SearchPatient.urn())]
    );
    assert_eq!(sds[0].query_values("organization"), vec!["https://fhir.nhs.uk/Id/ods-organization-code|A20047"]);
    assert_eq!(sds[1].fhir_path, "Device");
    assert!(sds[1].query_values("identifier").contains(&"https://fhir.nhs.uk/Id/nhsMhsPartyKey|A20047-821870"));

    let ssp = ssp_requests(&all);
    assert_eq!(ssp.len(), 1, "exactly one request: reading the practice is the caller's choice");
    let search = ssp[0];
    assert_eq!(search.method, "GET");
    assert_eq!(search.fhir_path, "Patient");
    assert_eq!(search.query, vec![("identifier".to_string(), format!("https://fhir.nhs.uk/Id/nhs-number|{NHS}"))]);
    assert!(search.body.is_none());
    assert_gp_connect_request(&spine, search, InteractionId::SearchPatient, "patient/*.read");
    assert_eq!(search.header("ssp-traceid"), Some(found.trace_id.to_string().as_str()));

    // The registered practice is a separate, explicit read interaction.
    spine.clear_received().await;
    let practice = spine.provider().foundations().read_registered_practice(&found).send().await.unwrap();
    assert_eq!(practice.name.as_deref(), Some("The Trevelyan Practice"));
    let all = spine.received().await;
    let ssp = ssp_requests(&all);
    let [read] = ssp.as_slice() else { panic!("one read: {ssp:?}") };
    assert_eq!((read.method.as_str(), read.fhir_path.as_str()), ("GET", "Organization/14"));
    assert_gp_connect_request(&spine, read, InteractionId::ReadOrganization, "organization/*.read");

    let mut unregistered = found.value.clone();
    unregistered.patient.managing_organization = None;
    let err = spine.provider().foundations().read_registered_practice(&unregistered).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn an_unknown_patient_is_none_not_an_error() {
    let spine = MockSpine::start().await;
    let unknown = NhsNumber::parse("9000000009").unwrap();
    assert!(spine.provider().foundations().find_patient(&unknown).send().await.unwrap().is_none());
}

#[tokio::test]
async fn reads_organisation_practitioner_location_and_capability_statement() {
    let spine = MockSpine::start().await;
    let f = spine.provider().foundations();

    let org = f.read_organization(&"23".parse().unwrap()).send().await.unwrap();
    assert_eq!(org.ods_code(), Some("A00001"));
    let practitioner = f.read_practitioner(&"15".parse().unwrap()).send().await.unwrap();
    assert_eq!(practitioner.id.as_deref(), Some("15"));
    let location = f.read_location(&"17".parse().unwrap()).send().await.unwrap();
    assert_eq!(location.id.as_deref(), Some("17"));
    let found = f.find_organization(&"A00001".parse().unwrap()).send().await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].ods_code(), Some("A00001"));
    let metadata = f.capability_statement().send().await.unwrap();
    assert_eq!(metadata.version.as_deref(), Some("1.6.2"), "{:?}", metadata.value);

    let all = spine.received().await;
    let ssp = ssp_requests(&all);
    let expected = [
        (InteractionId::ReadOrganization, "Organization/23"),
        (InteractionId::ReadPractitioner, "Practitioner/15"),
        (InteractionId::ReadLocation, "Location/17"),
        (InteractionId::SearchOrganization, "Organization"),
        (InteractionId::ReadMetadata, "metadata"),
    ];
    assert_eq!(ssp.len(), expected.len());
    for (r, (interaction, path)) in ssp.iter().zip(expected) {
        assert_eq!((r.method.as_str(), r.fhir_path.as_str()), ("GET", path));
        assert_gp_connect_request(&spine, r, interaction, "organization/*.read");
    }
    assert_eq!(ssp[3].query_values("identifier"), vec!["https://fhir.nhs.uk/Id/ods-organization-code|A00001"]);
    let sds_lookups = all.iter().filter(|r| r.target == Target::Sds).count();
    assert_eq!(sds_lookups, 2 * 5, "each interaction is looked up once with its own ID");
}

#[tokio::test]
async fn unknown_ids_are_typed_not_found_errors_with_outcome_and_trace() {
    let spine = MockSpine::start().await;
    let f = spine.provider().foundations();

    let err = f.read_organization(&"999".parse().unwrap()).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some(GpcCode::OrganisationNotFound));
    assert_eq!(err.status(), Some(404));
    assert!(err.operation_outcome().is_some());
    assert!(err.trace_id().is_some());
    let Error::Provider(p) = &err else { panic!("provider error") };
    assert!(p.body.text().contains("ORGANISATION_NOT_FOUND"));
    assert!(!err.is_retryable() && !err.may_have_been_sent());

    let err = f.read_practitioner(&"999".parse().unwrap()).send().await.unwrap_err();
    assert_eq!(err.code(), Some(GpcCode::PractitionerNotFound));
    let err = f.read_location(&"999".parse().unwrap()).send().await.unwrap_err();
    assert_eq!(err.code(), Some(GpcCode::NoRecordFound));
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let spine = MockSpine::start().await;
    let provider = spine.client().provider(&"A20047".parse().unwrap());

    let no_user = provider.foundations().find_patient(&nhs()).send().await.unwrap_err();
    assert!(matches!(no_user, Error::InvalidInput(InvalidInput::MissingUser)));
    assert_eq!(no_user.kind(), ErrorKind::InvalidInput);

    let no_sds_id = User::new("1", "Jones");
    let err = provider.foundations().find_patient(&nhs()).user(&no_sds_id).send().await.unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput(InvalidInput::Requester { field: "requesting_practitioner.sds-user-id", .. })
    ));

    // An id that is not a FHIR logical id cannot be given to a read: it is a typed id.
    let err = "../Patient/1".parse::<gpconnect_core::OrganizationId>().unwrap_err();
    assert_eq!(err, gpconnect_core::IdError::LogicalId("Organization"));

    assert!(ssp_requests(&spine.received().await).is_empty(), "nothing reached the SSP");
}

#[tokio::test]
async fn sds_answers_are_cached_per_interaction() {
    let spine = MockSpine::start().await;
    let provider = spine.provider();
    for _ in 0..3 {
        provider.foundations().read_location(&"17".parse().unwrap()).send().await.unwrap();
    }
    let all = spine.received().await;
    assert_eq!(all.iter().filter(|r| r.target == Target::Sds).count(), 2);
    assert_eq!(ssp_requests(&all).len(), 3);
}

#[tokio::test]
async fn directory_failures_are_typed() {
    let spine = MockSpine::start().await;
    let client = spine.client();
    let unknown = client.provider(&"Y99999".parse().unwrap()).with_user(gpconnect_testkit::test_user());
    let err = unknown.foundations().read_location(&"17".parse().unwrap()).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(matches!(err, Error::Directory(_)));

    let wrong_key = gpconnect_core::Client::builder()
        .ssp(spine.ssp_config())
        .sds(gpconnect_core::sds::SdsConfig::new(spine.sds_url(), "wrong"))
        .consumer(gpconnect_testkit::test_consumer())
        .build()
        .unwrap();
    let err = wrong_key
        .provider(&"A20047".parse().unwrap())
        .with_user(gpconnect_testkit::test_user())
        .foundations()
        .read_location(&"17".parse().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
}

#[tokio::test]
async fn preflight_reports_each_step() {
    let spine = MockSpine::start().await;
    let all = [Capability::Foundations, Capability::Structured, Capability::Documents];
    let report = spine.provider().preflight(&all).await;
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.checks.len(), 9);

    let unknown = spine.client().provider(&"Y99999".parse().unwrap()).with_user(gpconnect_testkit::test_user());
    let report = unknown.preflight(&[Capability::Foundations]).await;
    assert!(!report.is_ok());
    assert_eq!(report.failures().next().unwrap().step, gpconnect_core::preflight::Step::Directory);
}

#[tokio::test]
async fn sds_answers_expire() {
    let spine = MockSpine::start().await;
    let client = gpconnect_core::Client::builder()
        .ssp(spine.ssp_config())
        .sds(spine.sds_config().cache_ttl(std::time::Duration::ZERO))
        .consumer(gpconnect_testkit::test_consumer())
        .build()
        .unwrap();
    let provider = client.provider(&"A20047".parse().unwrap()).with_user(gpconnect_testkit::test_user());
    for _ in 0..2 {
        provider.foundations().read_location(&"17".parse().unwrap()).send().await.unwrap();
    }
    let sds = spine.received().await.into_iter().filter(|r| r.target == Target::Sds).count();
    assert_eq!(sds, 4, "an expired answer is looked up again");
}

fn patient_to_register(nhs: &str) -> gpconnect_core::fhir::Patient {
    let json = format!(
        r#"{{"resourceType": "Patient",
            "identifier": [{{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "{nhs}"}}],
            "name": [{{"use": "official", "family": "Jackson", "given": ["Jane"]}}],
            "gender": "female", "birthDate": "1952-05-31"}}"#
    );
    serde_json::from_str(&json).unwrap()
}

#[tokio::test]
async fn register_patient_posts_the_patient_in_parameters_with_write_scope() {
    let spine = MockSpine::start().await;
    let nhs = "9000000009";

    let registered = spine.provider().foundations().register_patient(&patient_to_register(nhs)).send().await.unwrap();

    assert_eq!(registered.patient.nhs_number(), Some(nhs));
    assert!(!registered.id.as_str().is_empty());
    let all = spine.received().await;
    let ssp = ssp_requests(&all);
    assert_eq!(ssp.len(), 1);
    let r = ssp[0];
    assert_eq!((r.method.as_str(), r.fhir_path.as_str()), ("POST", "Patient/$gpc.registerpatient"));
    assert_gp_connect_request(&spine, r, InteractionId::RegisterPatient, "patient/*.write");
    assert_eq!(r.header("content-type"), Some("application/fhir+json;charset=utf-8"));
    let body = r.body.as_ref().unwrap();
    assert_eq!(body["resourceType"], json!("Parameters"));
    assert_eq!(body["parameter"][0]["name"], json!("registerPatient"));
    let sent = &body["parameter"][0]["resource"];
    assert_eq!(sent["resourceType"], json!("Patient"));
    assert_eq!(
        sent["meta"]["profile"],
        json!(["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"])
    );
    assert_eq!(sent["identifier"][0], json!({"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}));
    assert_eq!((sent["gender"].as_str(), sent["birthDate"].as_str()), (Some("female"), Some("1952-05-31")));

    // Now known: searching finds them, and a second registration is a conflict.
    let unknown = NhsNumber::parse(nhs).unwrap();
    assert!(spine.provider().foundations().find_patient(&unknown).send().await.unwrap().is_some());
    let again = spine.provider().foundations().register_patient(&patient_to_register(nhs)).send().await.unwrap_err();
    assert_eq!(again.code(), Some(GpcCode::DuplicateRejected));
    assert_eq!(again.kind(), ErrorKind::Conflict);
    assert!(!again.may_have_been_sent());
}

#[tokio::test]
async fn register_patient_refuses_incomplete_demographics_before_sending() {
    let spine = MockSpine::start().await;
    let f = spine.provider().foundations();
    let mut no_birth_date = patient_to_register("9000000009");
    no_birth_date.birth_date = None;
    let mut bad_nhs = patient_to_register("9000000009");
    bad_nhs.identifier[0].value = Some("9000000008".into());
    let mut no_nhs = patient_to_register("9000000009");
    no_nhs.identifier.clear();
    let mut year_only = patient_to_register("9000000009");
    year_only.birth_date = Some(gpconnect_core::fhir::FhirDateTime::new("1952"));
    let mut date_time = patient_to_register("9000000009");
    date_time.birth_date = Some(gpconnect_core::fhir::FhirDateTime::new("1952-05-31T10:00:00+01:00"));

    for (patient, parameter) in [
        (no_birth_date, "registerPatient.birthDate"),
        (bad_nhs, "nhs"),
        (no_nhs, "registerPatient"),
        (year_only, "registerPatient.birthDate"),
        (date_time, "registerPatient.birthDate"),
    ] {
        let err = f.register_patient(&patient).send().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        if let Error::InvalidInput(InvalidInput::Parameter { parameter: p, .. }) = &err {
            assert_eq!(*p, parameter);
        }
    }
    assert!(ssp_requests(&spine.received().await).is_empty());
}

#[tokio::test]
async fn register_patient_sends_only_what_the_spec_allows_whatever_patient_is_passed() {
    let spine = MockSpine::start().await;
    // A Patient as read from another practice: registration details, an old address and
    // telecom, the other practice, a logical id; and no name or gender (only the NHS
    // number and a full birth date are mandatory).
    let from_elsewhere: gpconnect_core::fhir::Patient = serde_json::from_value(json!({
        "resourceType": "Patient",
        "id": "2",
        "meta": {"versionId": "1", "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"]},
        "extension": [{"url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1",
                       "extension": [{"url": "registrationType", "valueCodeableConcept": {"coding": [{"code": "R"}]}}]}],
        "identifier": [
            {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"},
            {"system": "https://other.example/Id/local", "value": "L1"}
        ],
        "active": true,
        "telecom": [
            {"system": "phone", "value": "01454587554", "use": "home"},
            {"system": "phone", "value": "01111111111", "use": "old"}
        ],
        "birthDate": "1952-05-31",
        "deceasedBoolean": false,
        "address": [
            {"use": "home", "line": ["1 Withings Lane"], "postalCode": "LS18 1AE"},
            {"use": "old", "line": ["2 Old Road"]}
        ],
        "maritalStatus": {"coding": [{"code": "M"}]},
        "multipleBirthBoolean": false,
        "generalPractitioner": [{"reference": "Practitioner/1"}],
        "managingOrganization": {"reference": "Organization/7"}
    }))
    .unwrap();
    spine.provider().foundations().register_patient(&from_elsewhere).send().await.unwrap();

    let all = spine.received().await;
    let r = ssp_requests(&all)[0];
    assert_gp_connect_request(&spine, r, InteractionId::RegisterPatient, "patient/*.write");
    let sent = &r.body.as_ref().unwrap()["parameter"][0]["resource"];
    assert_eq!(
        sent,
        &json!({
            "resourceType": "Patient",
            "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"]},
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}],
            "telecom": [{"system": "phone", "value": "01454587554", "use": "home"}],
            "birthDate": "1952-05-31",
            "address": [{"use": "home", "line": ["1 Withings Lane"], "postalCode": "LS18 1AE"}]
        })
    );
}

#[tokio::test]
async fn practitioners_are_found_by_sds_user_id_every_match_checked() {
    let spine = MockSpine::start().await;
    let f = spine.provider().foundations();
    let found = f.find_practitioner("111122223333").send().await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id.as_deref(), Some("15"));
    assert!(f.find_practitioner("999999999999").send().await.unwrap().is_empty());
    assert!(matches!(
        f.find_practitioner("1111|2222").send().await.unwrap_err(),
        Error::InvalidInput(InvalidInput::Parameter { parameter: "identifier", .. })
    ));
    let all = spine.received().await;
    let ssp = ssp_requests(&all);
    assert_eq!(ssp.len(), 2);
    assert_eq!((ssp[0].method.as_str(), ssp[0].fhir_path.as_str()), ("GET", "Practitioner"));
    assert_eq!(
        ssp[0].query,
        vec![("identifier".to_string(), "https://fhir.nhs.uk/Id/sds-user-id|111122223333".to_string())]
    );
    assert!(ssp[0].raw_query.starts_with("identifier=https%3A//fhir.nhs.uk/Id/sds-user-id%7C"), "{}", ssp[0].raw_query);
    assert!(ssp[0].body.is_none());
    assert_gp_connect_request(&spine, ssp[0], InteractionId::SearchPractitioner, "organization/*.read");
}

#[tokio::test]
async fn identifier_searches_return_every_match_and_refuse_one_without_the_identifier() {
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, ResponseTemplate};
    let spine = MockSpine::start().await;
    let org = |ods: &str| {
        json!({"resource": {"resourceType": "Organization", "id": ods,
        "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": ods}]}})
    };
    let answer = |entries: Vec<serde_json::Value>| {
        ResponseTemplate::new(200).set_body_raw(
            json!({"resourceType": "Bundle", "type": "searchset", "entry": entries}).to_string(),
            "application/fhir+json;charset=utf-8",
        )
    };
    Mock::given(method("GET"))
        .and(path_regex("/gpconnect/Organization$"))
        .respond_with(answer(vec![org("B82617"), org("B82617")]))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(spine.server())
        .await;
    let f = spine.provider().foundations();
    let both = f.find_organization(&"B82617".parse().unwrap()).send().await.unwrap();
    assert_eq!(both.len(), 2, "every match, not the first");

    Mock::given(method("GET"))
        .and(path_regex("/gpconnect/Organization$"))
        .respond_with(answer(vec![org("B82617"), org("Y12345")]))
        .with_priority(1)
        .mount(spine.server())
        .await;
    let err = f.find_organization(&"B82617".parse().unwrap()).send().await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert!(!err.to_string().contains("Y12345"), "provider text stays out of Display");
}

#[tokio::test]
async fn capability_statements_are_read_per_capability_with_their_own_interaction() {
    let spine = MockSpine::start().await;
    let statement = spine.provider().capability_statement(Capability::Foundations).send().await.unwrap();
    assert!(statement.version.is_some());
    let all = spine.received().await;
    let r = ssp_requests(&all)[0];
    assert_eq!(r.fhir_path, "metadata");
    assert_gp_connect_request(&spine, r, InteractionId::ReadMetadata, "organization/*.read");
}

#[tokio::test]
async fn healthcare_services_are_found_by_dos_id_and_read_by_id() {
    let spine = MockSpine::start().await;
    let f = spine.provider().foundations();

    let found = f.find_healthcare_service("1000000123").send().await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name.as_deref(), Some("West Road GP Hub"));
    assert!(f.find_healthcare_service("999").send().await.unwrap().is_empty());
    let read = f.read_healthcare_service(&"15".parse().unwrap()).send().await.unwrap();
    assert_eq!(read.id.as_deref(), Some("15"));
    assert_eq!(read.version_id.as_deref(), Some("636064088100870233"), "version from the ETag");
    let missing = f.read_healthcare_service(&"16".parse().unwrap()).send().await.unwrap_err();
    assert_eq!(missing.code(), Some(GpcCode::NoRecordFound));
    assert!(matches!(
        f.find_healthcare_service("10|00").send().await.unwrap_err(),
        Error::InvalidInput(InvalidInput::Parameter { parameter: "identifier", .. })
    ));

    let all = spine.received().await;
    let ssp = ssp_requests(&all);
    assert_eq!(ssp.len(), 4, "the invalid DOS id was not sent");
    assert_eq!(ssp[0].fhir_path, "HealthcareService");
    assert_eq!(ssp[0].query_values("identifier"), vec!["https://fhir.nhs.uk/Id/uec-dos-service-id|1000000123"]);
    assert_gp_connect_request(&spine, ssp[0], InteractionId::SearchHealthcareService, "organization/*.read");
    assert_eq!(ssp[2].fhir_path, "HealthcareService/15");
    assert_gp_connect_request(&spine, ssp[2], InteractionId::ReadHealthcareService, "organization/*.read");
}

/// A search answering with someone else (or a Patient without NHS number) is a
/// patient-safety error, not "not found".
#[tokio::test]
async fn find_patient_answering_with_someone_else_is_a_patient_safety_error() {
    use gpconnect_core::PatientMismatch;
    for (identifier, expected) in [
        (
            json!([{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9690937278"}]),
            PatientMismatch::OtherPatient,
        ),
        (json!([]), PatientMismatch::NoNhsNumber),
    ] {
        let spine = MockSpine::start().await;
        let body = json!({"resourceType": "Bundle", "type": "searchset", "entry": [
            {"resource": {"resourceType": "Patient", "id": "2", "identifier": identifier}}
        ]});
        wiremock::Mock::given(wiremock::matchers::method("GET"))
            .and(wiremock::matchers::path_regex(r"/Patient$"))
            .respond_with(
                wiremock::ResponseTemplate::new(200)
                    .set_body_raw(body.to_string(), "application/fhir+json;charset=utf-8"),
            )
            .with_priority(1)
            .expect(1)
            .mount(spine.server())
            .await;
        let err = spine.provider().foundations().find_patient(&nhs()).send().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongPatient);
        assert!(matches!(err, Error::WrongPatient { problem, .. } if problem == expected));
        assert!(!format!("{err} {err:?}").contains("9690937278"));
    }
}

#[tokio::test]
async fn every_healthcare_service_is_listed_with_no_identifier_as_the_1_2_8_example_sends_it() {
    let spine = MockSpine::start().await;
    let all_services = spine.provider().foundations().healthcare_services().send().await.unwrap();
    assert!(!all_services.is_empty());
    let all = spine.received().await;
    let ssp = ssp_requests(&all);
    assert_eq!((ssp[0].method.as_str(), ssp[0].fhir_path.as_str()), ("GET", "HealthcareService"));
    assert!(ssp[0].query.is_empty() && ssp[0].raw_query.is_empty());
    assert_gp_connect_request(&spine, ssp[0], InteractionId::SearchHealthcareService, "organization/*.read");
}

#[tokio::test]
async fn answers_labelled_json_plus_fhir_or_with_parameters_are_read_as_fhir() {
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, ResponseTemplate};
    for content_type in
        ["application/json+fhir", "application/json+fhir; charset=UTF-8", "application/fhir+json; fhirVersion=3.0"]
    {
        let spine = MockSpine::start().await;
        Mock::given(method("GET"))
            .and(path_regex("/gpconnect/Location/17$"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(gpconnect_testkit::fixture("foundations__read-location-response.json"), content_type),
            )
            .with_priority(1)
            .mount(spine.server())
            .await;
        let location = spine.provider().foundations().read_location(&"17".parse().unwrap()).send().await.unwrap();
        assert_eq!(location.id.as_deref(), Some("17"), "{content_type}");
    }
}
