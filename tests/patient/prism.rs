//! Every operation of the three APIs against Stoplight Prism serving the NHS OpenAPI
//! files in mock mode with request validation on (as NHS England's sandboxes are): a
//! request Prism finds invalid is answered 422, so every success here is a request the
//! spec accepts, and every answer is one of the spec's examples read into the typed views.
//!
//! Prism is installed (pinned, `npm ci` under `target/`) and started by the testkit.

use crate::common;

use chrono::NaiveDate;
use common::fast;
use gpconnect_appointments::BookingOrganisation;
use gpconnect_core::platform::{PatientSession, PlatformApi, PlatformClient, PlatformRequest};
use gpconnect_core::{Call, ErrorKind, InteractionId, Operation, Request, Response};
use gpconnect_patient::prescriptions::{Intent, RequestStatus};
use gpconnect_patient::{MedicationQuery, PatientExt};
use gpconnect_structured::{Consultations, ImmunisationOptions, ProblemOptions, Resolved, SearchPeriod};
use gpconnect_testkit::platform::{id_token, MockTokenEndpoint};
use gpconnect_testkit::prism::Prism;
use http::{HeaderName, HeaderValue};

struct Sandbox {
    _tokens: MockTokenEndpoint,
    session: PatientSession,
}

/// A patient session whose API calls go to Prism; `nhs` is the patient the example
/// answers are about (the spec's examples name different test patients).
async fn sandbox(api: PlatformApi, nhs: &str) -> Sandbox {
    let prism = Prism::shared(api).await;
    let tokens = MockTokenEndpoint::start().await;
    let client = PlatformClient::new(prism.configure(fast(tokens.config()))).unwrap();
    let token = id_token().nhs_number(Some(nhs)).subject(&format!("subject-{nhs}")).build();
    let session = client.log_in(token, None).await.unwrap();
    Sandbox { _tokens: tokens, session }
}

/// An operation sent with `Prefer: {preference}`, which asks Prism for a named example
/// (`example=<name>`) or an error status (`code=<status>`) of the spec.
struct Prefer<'a, O>(&'a O, &'a str);

impl<O: Operation<Answer = Response>> Operation for Prefer<'_, O> {
    type Answer = Response;
    type Output = O::Output;

    fn interaction(&self) -> InteractionId {
        self.0.interaction()
    }

    fn request(&self) -> gpconnect_core::Result<Request> {
        Ok(self.0.request()?.header(HeaderName::from_static("prefer"), HeaderValue::from_str(self.1).unwrap()))
    }

    fn parse(&self, answer: Response) -> gpconnect_core::Result<O::Output> {
        self.0.parse(answer)
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[tokio::test]
async fn access_record_structured_record_against_prism() {
    let s = sandbox(PlatformApi::AccessRecord, "9999999999").await;
    // The default example (immunizations).
    let record = s
        .session
        .access_record()
        .get_record()
        .include_allergies(Resolved::Include)
        .include_consultations(Consultations::Period(SearchPeriod::new(d(2019, 12, 21), d(2020, 2, 21))))
        .include_problems(ProblemOptions::all())
        .include_immunisations(ImmunisationOptions::all())
        .include_investigations(None)
        .include_medication(MedicationQuery::all())
        .send()
        .await
        .unwrap();
    assert_eq!(record.immunisations().len(), 1);
    // The other named examples, through the same request and parse.
    let op = s.session.access_record().get_record().include_allergies(Resolved::Include);
    let allergies = Call::new(&s.session).send(&Prefer(&op, "example=allergies")).await.unwrap();
    assert_eq!(allergies.allergies().len(), 3);
    let op = s.session.access_record().get_record().include_medication(MedicationQuery::all().repeats_only());
    let repeats = Call::new(&s.session).send(&Prefer(&op, "example=repeatOnlyResponse")).await.unwrap();
    assert_eq!(repeats.medications().len(), 2);
    let other = Call::new(&s.session).send(&Prefer(&op, "example=fullRecordResponse")).await.unwrap_err();
    // Issue 21: an answer about another patient is `WrongPatient`, not a decode error.
    assert_eq!(other.kind(), ErrorKind::WrongPatient, "the full record example is about 9465701947");
}

#[tokio::test]
async fn access_record_documents_against_prism() {
    let s = sandbox(PlatformApi::AccessRecord, "9476719931").await;
    let patient = s.session.access_record().find_patient().send().await.unwrap().transpose().expect("a patient");
    assert_eq!(patient.id, "2");

    let s = sandbox(PlatformApi::AccessRecord, "9999999999").await;
    let list = s
        .session
        .access_record()
        .search_documents(&"9d43831b-b2c7-4f8f-b5b5-1d9429acf5fb".parse().unwrap())
        .created_from(d(2019, 6, 24))
        .description("Discharge Summary")
        .send()
        .await
        .unwrap();
    let document = list.retrievable().next().expect("a retrievable document");
    let mut out = Vec::new();
    let retrieved = s.session.access_record().retrieve(document).write_to(&mut out).await.unwrap();
    assert_eq!(retrieved.content_type.as_deref(), Some("application/msword"));
    assert_eq!(out.len() as u64, retrieved.bytes);
    assert!(out.starts_with(b"PK"), "a Word document (zip)");
}

#[tokio::test]
async fn appointments_against_prism() {
    let s = sandbox(PlatformApi::Appointments, "9000000009").await;
    let appointments = s.session.appointments();
    let free = appointments.search_free_slots(d(2020, 5, 9), d(2020, 5, 10)).send().await.unwrap();
    assert_eq!(free.slots.len(), 2);
    let organisation = BookingOrganisation::new("Patient App Ltd", "0300 123 4567").ods(&"X26".parse().unwrap());
    let booked = appointments
        .book(&free.slots[..1])
        .description("Cough for three weeks")
        .booking_organisation(organisation.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(booked.id.as_deref(), Some("9"));
    let list = appointments.list(d(2020, 5, 9), d(2020, 5, 19)).past_limit(5).send().await.unwrap();
    assert_eq!(list.appointments.len(), 2);
    let current = appointments.read(&"1".parse().unwrap()).send().await.unwrap();
    let cancelled = appointments.cancel(&current, "Feeling better").send().await.unwrap();
    assert!(cancelled.is_cancelled());
    let report = appointments
        .rebook(&current, "Moving to a later slot", &free.slots[1..])
        .description("Health check")
        .booking_organisation(organisation)
        .send()
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
}

#[tokio::test]
async fn prescriptions_against_prism() {
    let s = sandbox(PlatformApi::Prescriptions, "9000000009").await;
    let prescriptions = s.session.prescriptions();
    let meds = prescriptions.medications().send().await.unwrap();
    assert_eq!((meds.repeats.len(), meds.issues.len()), (1, 2));
    let filtered = prescriptions.medications().intent(Intent::Plan);
    for (name, repeats) in [("GetResponseMethotrexate", 1), ("GetResponseMultiplePrescriptions", 2)] {
        let answer = Call::new(&s.session).send(&Prefer(&filtered, &format!("example={name}"))).await.unwrap();
        assert_eq!(answer.repeats.len(), repeats, "{name}");
    }

    let repeat = meds.requestable().next().unwrap();
    let created = prescriptions
        .request_issue(repeat)
        .note("Running low")
        .pharmacy(&"FLM49".parse().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status, RequestStatus::Requested);

    let status = prescriptions.request_status().send().await.unwrap();
    assert_eq!(status.requests.len(), 3);
    let search = prescriptions.request_status().include_medications();
    let included = Call::new(&s.session).send(&Prefer(&search, "example=include Medication Requests")).await.unwrap();
    assert_eq!(included.repeats.len(), 1);
    let done = Call::new(&s.session).send(&Prefer(&search, "example=completed and sent to EPS")).await.unwrap();
    assert_eq!(done.requests[0].sent_to_eps.len(), 1);
}

#[tokio::test]
async fn prism_validates_requests_and_errors_map_to_the_one_error_type() {
    let s = sandbox(PlatformApi::Prescriptions, "9000000009").await;
    // GET /Task without the required `patient` parameter: Prism refuses it (422).
    let invalid = PlatformRequest::get(InteractionId::SearchPrescriptionRequests, PlatformApi::Prescriptions, "Task");
    let err = s.session.send(invalid).await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert!(err.operation_outcome().is_some());
    // A 4xx of the spec, asked for with `Prefer: code=404`.
    let search = s.session.prescriptions().medications();
    let err = Call::new(&s.session).send(&Prefer(&search, "code=404")).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code().map(|c| c.as_str().to_owned()).as_deref(), Some("INVALID_NHS_NUMBER"));
}
