//! Wire tests for what providers are strict about: slot search and booking agree on the
//! booking organisation, hosted consumers, UK local time, no empty strings.

use chrono::{Duration, FixedOffset, TimeZone, Utc};
use gpconnect_appointments::{AppointmentsExt, BookingOrganisation, FreeSlot, Includes, OrganisationType};
use gpconnect_core::{Client, ErrorKind, Provider, User};
use gpconnect_testkit::{test_consumer, test_consumer_builder, test_user, MockSpine, ReceivedRequest, Target};
use serde_json::json;

const PATIENT_NHS: &str = "9690937286";
const ODS_FILTER: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const TYPE_FILTER: &str = "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1";

async fn ssp_requests(spine: &MockSpine) -> Vec<ReceivedRequest> {
    spine.received().await.into_iter().filter(|r| r.target == Target::Ssp).collect()
}

fn provider_with(spine: &MockSpine, consumer: gpconnect_core::Consumer, user: User) -> Provider {
    let client = Client::builder().ssp(spine.ssp_config()).sds(spine.sds_config()).consumer(consumer).build().unwrap();
    client.provider(&spine.provider_ods().parse().unwrap()).with_user(user)
}

fn tomorrow() -> chrono::NaiveDate {
    gpconnect_core::uk::today() + Duration::days(1)
}

async fn slots(p: &Provider) -> Vec<FreeSlot> {
    p.appointments().search_free_slots(tomorrow(), tomorrow() + Duration::days(6)).send().await.unwrap().value.slots
}

#[tokio::test]
async fn the_consumers_organisation_type_is_sent_and_kept_for_the_booking() {
    let spine = MockSpine::start().await;
    let p =
        provider_with(&spine, test_consumer_builder().organisation_type("urgent-care").build().unwrap(), test_user());
    let found = slots(&p).await;
    assert_eq!(found[0].searched_organisation_type, Some(OrganisationType::UrgentCare));
    assert_eq!(found[0].searched_ods.as_ref().map(|o| o.as_str()), Some("A1001"));
    let patient = spine.patient_id(PATIENT_NHS).unwrap();
    p.appointments()
        .book(&found[..1], &patient)
        .description("Follow-up")
        .booking_organisation(BookingOrganisation::new("North Ambulance Service", "01111222333"))
        .send()
        .await
        .unwrap();

    let received = ssp_requests(&spine).await;
    let (search, book) = (&received[0], &received[1]);
    assert!(search.verdict.is_accepted() && book.verdict.is_accepted());
    assert_eq!(
        search.query_values("searchFilter"),
        [format!("{ODS_FILTER}|A1001"), format!("{TYPE_FILTER}|urgent-care")]
    );
    let org = &book.body.as_ref().unwrap()["contained"][0];
    assert_eq!(org["identifier"], json!([{"system": ODS_FILTER, "value": "A1001"}]));
    assert_eq!(org["type"], json!([{"coding": [{"system": TYPE_FILTER, "code": "urgent-care"}]}]));
}

#[tokio::test]
async fn a_hosted_consumer_names_the_users_organisation_in_the_token_the_search_and_the_booking() {
    let spine = MockSpine::start().await;
    let host = provider_with(&spine, test_consumer(), test_user());
    let clinician = test_user().organisation("B82617".parse().unwrap(), "Hosted Surgery");
    let found = host
        .appointments()
        .search_free_slots(tomorrow(), tomorrow() + Duration::days(6))
        .user(&clinician)
        .send()
        .await
        .unwrap()
        .value
        .slots;
    let patient = spine.patient_id(PATIENT_NHS).unwrap();
    host.appointments()
        .book(&found[..1], &patient)
        .description("Follow-up")
        .booking_organisation(BookingOrganisation::new("Hosted Surgery", "01111222333"))
        .user(&clinician)
        .send()
        .await
        .unwrap();
    // Another user of the same host, on the same handle: the host's own organisation.
    host.appointments().search_free_slots(tomorrow(), tomorrow()).send().await.unwrap();

    let received = ssp_requests(&spine).await;
    let hosted_org = json!({"resourceType": "Organization",
        "identifier": [{"system": ODS_FILTER, "value": "B82617"}], "name": "Hosted Surgery"});
    for r in &received[..2] {
        assert!(r.verdict.is_accepted(), "{:?}", r.verdict);
        assert_eq!(r.claims.as_ref().unwrap()["requesting_organization"], hosted_org);
    }
    assert_eq!(received[0].query_values("searchFilter"), [format!("{ODS_FILTER}|B82617")]);
    assert_eq!(received[1].body.as_ref().unwrap()["contained"][0]["identifier"][0]["value"], "B82617");
    assert_eq!(received[2].claims.as_ref().unwrap()["requesting_organization"]["identifier"][0]["value"], "A1001");
    assert_eq!(received[2].query_values("searchFilter"), [format!("{ODS_FILTER}|A1001")]);
}

#[tokio::test]
async fn a_booking_organisation_other_than_the_searched_one_is_refused_before_sending() {
    let spine = MockSpine::start().await;
    let p = spine.provider();
    let found = slots(&p).await;
    spine.clear_received().await;
    let patient = spine.patient_id(PATIENT_NHS).unwrap();
    let other = BookingOrganisation::new("Elsewhere", "01111222333").ods(&"Y12345".parse().unwrap());
    let err = p.appointments().book(&found[..1], &patient).description("x").booking_organisation(other).send().await;
    assert_eq!(err.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert!(ssp_requests(&spine).await.is_empty());
}

#[tokio::test]
async fn created_and_date_time_windows_are_written_in_uk_local_time() {
    let spine = MockSpine::start().await;
    let p = spine.provider();
    // A window given in another offset is sent in UK local time with the UK offset.
    let day = tomorrow();
    let summer = FixedOffset::east_opt(5 * 3600).unwrap().from_utc_datetime(&day.and_hms_opt(8, 0, 0).unwrap());
    let summer_end = summer + Duration::hours(10);
    let _ = p.appointments().search_free_slots(summer, summer_end).send().await;
    let found = slots(&p).await;
    let patient = spine.patient_id(PATIENT_NHS).unwrap();
    let before = Utc::now();
    p.appointments()
        .book(&found[..1], &patient)
        .description("Follow-up")
        .comment("   ")
        .booking_organisation(BookingOrganisation::new("North Ambulance Service", "01111222333"))
        .send()
        .await
        .unwrap();

    let received = ssp_requests(&spine).await;
    let uk = |t: chrono::DateTime<Utc>| gpconnect_core::uk::fhir_date_time(gpconnect_core::uk::at(t));
    assert_eq!(received[0].query_values("start"), [format!("ge{}", uk(summer.to_utc()))]);
    assert_eq!(received[0].query_values("end"), [format!("le{}", uk(summer_end.to_utc()))]);
    let body = received[2].body.as_ref().unwrap();
    let created = body["created"].as_str().unwrap();
    let parsed = chrono::DateTime::parse_from_rfc3339(created).unwrap();
    assert_eq!(created, uk(parsed.to_utc()), "the UK offset of that instant");
    assert!((parsed.to_utc() - before).num_seconds().abs() < 60);
    assert!(body.get("comment").is_none(), "a blank comment is left out, never sent as \"\"");
}

#[tokio::test]
async fn amending_with_a_blank_comment_removes_it_and_a_blank_description_is_refused() {
    let spine = MockSpine::start().await;
    let p = spine.provider();
    let found = slots(&p).await;
    let patient = spine.patient_id(PATIENT_NHS).unwrap();
    let booked = p
        .appointments()
        .book(&found[..1], &patient)
        .description("Follow-up")
        .comment("Call first")
        .booking_organisation(BookingOrganisation::new("North Ambulance Service", "01111222333"))
        .send()
        .await
        .unwrap();
    let blank_description = p.appointments().amend(&booked).description(" ").send().await.unwrap_err();
    assert_eq!(blank_description.kind(), ErrorKind::InvalidInput);
    spine.clear_received().await;
    p.appointments().amend(&booked).comment("").send().await.unwrap();
    let received = ssp_requests(&spine).await;
    let body = received[0].body.as_ref().unwrap();
    assert!(body.get("comment").is_none(), "{body}");
    assert_eq!(body["description"], "Follow-up");
}

#[tokio::test]
async fn the_1_2_8_healthcare_service_include_is_sent_as_the_1_2_8_examples_send_it() {
    let spine = MockSpine::start().await;
    spine
        .provider()
        .appointments()
        .search_free_slots(tomorrow(), tomorrow() + Duration::days(1))
        .includes(Includes::RecommendedWithHealthcareService)
        .send()
        .await
        .unwrap();
    let r = &ssp_requests(&spine).await[0];
    assert!(r.verdict.is_accepted(), "{:?}", r.verdict);
    assert_eq!(
        r.query_values("_include:recurse"),
        [
            "Schedule:actor:Practitioner",
            "Schedule:actor:Location",
            "Schedule:actor:HealthcareService",
            "Location:managingOrganization"
        ]
    );
    assert!(r.query_values("service.identifier").is_empty());
    assert!(r.raw_query.contains("&_include:recurse=Schedule%3Aactor%3AHealthcareService&"), "{}", r.raw_query);
}
