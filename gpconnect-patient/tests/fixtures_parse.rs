//! Every example payload of the three specs parses into the typed views.

use gpconnect_core::NhsNumber;
use gpconnect_patient::prescriptions::{Medications, PrescriptionRequest, PrescriptionRequests, RequestStatus};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn nhs() -> NhsNumber {
    NhsNumber::parse("9000000009").unwrap()
}

#[test]
fn medication_request_examples_parse() {
    let detailed = Medications::from_slice(
        &fixture("prescriptions/prescriptions__GET_Patient-id-MedicationRequest__response-200__GetResponsePreviousPrescriptionDetailed.json"),
        &nhs(),
    )
    .unwrap();
    assert_eq!(detailed.repeats.len(), 1);
    assert_eq!(detailed.issues.len(), 2);
    let repeat = &detailed.repeats[0];
    assert_eq!(repeat.id, "4de39acf-73b1-4dc6-bb87-c98b57ee5413");
    assert!(repeat.can_request());
    assert_eq!(repeat.details.name.as_deref(), Some("Pulmicort 100 Turbohaler (AstraZeneca UK Ltd)"));
    assert_eq!(repeat.details.dosage.as_deref(), Some("One to two puffs to be inhaled as needed"));
    assert_eq!(repeat.details.quantity.as_deref(), Some("1 inhaler"));
    assert_eq!(repeat.details.supply_duration.as_deref(), Some("28 days"));
    assert_eq!(repeat.repeats_allowed, Some(6));
    assert_eq!(repeat.issued, Some(2));
    assert_eq!(repeat.authorisation_expires.as_ref().map(|d| d.as_str()), Some("2022-10-11T19:00:00.000Z"));
    assert_eq!(repeat.course.as_deref(), Some("Continuous long term therapy"));
    assert_eq!(repeat.last_issued.as_ref().map(|d| d.as_str()), Some("2022-11-13T07:20:27.000Z"));
    assert_eq!(detailed.issues_of(repeat).count(), 2);
    assert_eq!(detailed.issues[0].order_number.as_deref(), Some("CDT38E-Y765968-4FG3BQ"));
    assert_eq!(detailed.issues[0].pharmacy_ods.as_deref(), Some("Y12345"));

    let multiple = Medications::from_slice(
        &fixture("prescriptions/prescriptions__GET_Patient-id-MedicationRequest__response-200__GetResponseMultiplePrescriptions.json"),
        &nhs(),
    )
    .unwrap();
    assert_eq!((multiple.repeats.len(), multiple.issues.len()), (2, 3));
    let methotrexate = Medications::from_slice(
        &fixture(
            "prescriptions/prescriptions__GET_Patient-id-MedicationRequest__response-200__GetResponseMethotrexate.json",
        ),
        &nhs(),
    )
    .unwrap();
    assert_eq!((methotrexate.repeats.len(), methotrexate.issues.len()), (1, 3));
}

#[test]
fn task_examples_parse() {
    let bundle = PrescriptionRequests::from_slice(
        &fixture("prescriptions/prescriptions__GET_Task__response-200__bundle.json"),
        &nhs(),
    )
    .unwrap();
    let statuses: Vec<_> = bundle.requests.iter().map(|r| r.status.clone()).collect();
    assert_eq!(statuses, [RequestStatus::Requested, RequestStatus::Rejected, RequestStatus::InProgress]);
    assert_eq!(
        bundle.requests[1].reason.as_deref(),
        Some("No longer suitable, please contact GP to organise an appointment")
    );
    assert_eq!(bundle.pending().count(), 2);
    assert_eq!(
        bundle.requests[0].medication_name.as_deref(),
        Some("Repeat prescription for Pulmicort 100 Turbohaler (AstraZeneca UK Ltd)")
    );

    let eps = PrescriptionRequests::from_slice(
        &fixture("prescriptions/prescriptions__GET_Task__response-200__completed-and-sent-to-EPS.json"),
        &nhs(),
    )
    .unwrap();
    assert_eq!(eps.requests[0].status, RequestStatus::Completed);
    assert_eq!(eps.requests[0].sent_to_eps, ["4857b9d3-b714-44b9-9e67-3df67275b785"]);

    let included = PrescriptionRequests::from_slice(
        &fixture("prescriptions/prescriptions__GET_Task__response-200__include-Medication-Requests.json"),
        &nhs(),
    )
    .unwrap();
    assert_eq!((included.requests.len(), included.repeats.len()), (3, 1));

    let created = PrescriptionRequest::from_slice(
        &fixture("prescriptions/prescriptions__POST_Task__response-201__operation-outcome-success.json"),
        &nhs(),
    )
    .unwrap();
    assert!(created.id.is_some());
    let sent = PrescriptionRequest::from_slice(
        &fixture("prescriptions/prescriptions__POST_Task__request__example.json"),
        &nhs(),
    )
    .unwrap();
    assert_eq!(sent.pharmacy_ods.as_deref(), Some("FLM49"));
    assert_eq!(sent.note.as_deref(), Some("ran out of previous prescription"));
}

#[test]
fn another_patients_answer_is_an_error() {
    let other = NhsNumber::parse("9690937286").unwrap();
    assert!(Medications::from_slice(
        &fixture(
            "prescriptions/prescriptions__GET_Patient-id-MedicationRequest__response-200__GetResponseMethotrexate.json"
        ),
        &other
    )
    .is_err());
    assert!(PrescriptionRequests::from_slice(
        &fixture("prescriptions/prescriptions__GET_Task__response-200__bundle.json"),
        &other
    )
    .is_err());
}
