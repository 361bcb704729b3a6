//! Every example payload of the three specs parses into the typed views.

use gpconnect_core::NhsNumber;
use gpconnect_patient::prescriptions::{Medications, PrescriptionRequest, PrescriptionRequests, RequestStatus};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/patient/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
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

const RECORD: &str = "access-record/access-record__POST_Patient-gpc-getstructuredrecord__response-200__";

#[test]
fn structured_record_examples_parse_into_the_structured_view() {
    use gpconnect_structured::StructuredRecord;
    let view = |name: &str| StructuredRecord::from_slice(&fixture(&format!("{RECORD}{name}.json"))).unwrap();
    let allergies = view("allergies");
    assert_eq!(allergies.allergies().len(), 3);
    let immunisations = view("immunizations");
    assert_eq!(immunisations.immunisations().len(), 1);
    let repeats = view("repeatOnlyResponse");
    assert_eq!(repeats.medications().len(), 2);
    let full = view("fullRecordResponse");
    assert_eq!(full.medications().len(), 3);
    assert!(!full.consultations().is_empty());
    for record in [&allergies, &immunisations, &repeats, &full] {
        assert!(record.patient().is_some());
    }
}

#[test]
fn document_examples_parse_into_the_documents_view() {
    use gpconnect_core::fhir::Bundle;
    use gpconnect_documents::DocumentList;
    let bundle = Bundle::from_slice(&fixture(
        "access-record/access-record__GET_Patient-id-DocumentReference__response-200__example.json",
    ))
    .unwrap();
    let list = DocumentList::from_bundle(&bundle).unwrap();
    assert_eq!(list.documents.len(), 1);
    assert!(list.documents[0].author_organization.is_some() || list.documents[0].custodian.is_some());
    let patients = Bundle::from_slice(&fixture(
        "access-record/access-record__GET_documents-Patient-id__response-200__example.json",
    ))
    .unwrap();
    assert_eq!(patients.resources_of("Patient").count(), 1);
}

#[test]
fn appointment_examples_parse_into_the_appointment_models() {
    use gpconnect_appointments::{Appointment, AppointmentStatus, FreeSlots};
    use gpconnect_core::fhir::Bundle;
    let slots =
        Bundle::from_slice(&fixture("appointments/appointments__GET_Slot__response-200__example.json")).unwrap();
    let free = FreeSlots::from_bundle(&slots).unwrap();
    assert_eq!(free.slots.len(), 2);
    assert_eq!(free.slots[0].location.as_ref().map(|l| l.id.as_str()), Some("17"));
    assert_eq!(free.slots[0].practitioner.as_ref().map(|p| p.id.as_str()), Some("2"));
    for (name, status) in [
        ("GET_Appointment-id__response-200", AppointmentStatus::Booked),
        ("POST_Appointment__response-201", AppointmentStatus::Booked),
        ("PUT_Appointment-id__response-200", AppointmentStatus::Cancelled),
        ("PUT_Appointment-id__request", AppointmentStatus::Cancelled),
    ] {
        let text = String::from_utf8(fixture(&format!("appointments/appointments__{name}__example.json"))).unwrap();
        let appointment = Appointment::from_json(&text).unwrap();
        assert_eq!(appointment.status, Some(status), "{name}");
        assert_eq!(appointment.patient_id.as_deref(), Some("9000000009"), "{name}");
        assert!(!format!("{appointment:?}").contains("9000000009"), "{name}: no NHS number in Debug");
    }
    // The request example is malformed upstream (spec README §5): still an Appointment.
    let broken =
        String::from_utf8(fixture("appointments/appointments__POST_Appointment__request__example.json")).unwrap();
    assert!(Appointment::from_json(&broken).is_ok());
    let list = Bundle::from_slice(&fixture(
        "appointments/appointments__GET_Patient-id-Appointment__response-200__example.json",
    ))
    .unwrap();
    let appointments: Vec<_> =
        list.resources_of("Appointment").map(|r| Appointment::from_json(r.raw()).unwrap()).collect();
    assert_eq!(appointments.len(), 2);
}

#[test]
fn error_examples_parse_into_operation_outcomes() {
    use gpconnect_core::fhir::OperationOutcome;
    let dirs = ["access-record", "appointments", "prescriptions"];
    let mut seen = 0;
    for dir in dirs {
        for entry in std::fs::read_dir(format!("{}/tests/patient/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"))).unwrap()
        {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.contains("response-4XX") {
                let outcome: OperationOutcome = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                assert!(outcome.code().is_some(), "{name}");
                seen += 1;
            }
        }
    }
    assert_eq!(seen, 12);
}

#[test]
fn views_leave_nhs_numbers_and_free_text_out_of_debug() {
    let meds = Medications::from_slice(
        &fixture("prescriptions/prescriptions__GET_Patient-id-MedicationRequest__response-200__GetResponseMultiplePrescriptions.json"),
        &nhs(),
    )
    .unwrap();
    let requests = PrescriptionRequests::from_slice(
        &fixture("prescriptions/prescriptions__GET_Task__response-200__include-Medication-Requests.json"),
        &nhs(),
    )
    .unwrap();
    for text in [format!("{meds:?}"), format!("{requests:?}")] {
        for secret in ["9000000009", "Jane Smith", "Pulmicort", "Ran out", "No longer suitable"] {
            assert!(!text.contains(secret), "{secret} in Debug");
        }
    }
}

#[test]
fn a_repeat_with_no_issues_left_or_an_expired_authorisation_cannot_be_requested() {
    let nhs = gpconnect_core::NhsNumber::parse("9000000009").unwrap();
    let body = fixture(
        "prescriptions/prescriptions__GET_Patient-id-MedicationRequest__response-200__GetResponseMultiplePrescriptions.json",
    );
    let meds = gpconnect_patient::prescriptions::Medications::from_slice(&body, &nhs).unwrap();
    let mut repeat =
        meds.repeats.iter().find(|r| r.authorisation_expires.is_some() && r.can_request()).unwrap().clone();
    let expiry = repeat.authorisation_expires.as_ref().and_then(|d| d.to_datetime()).unwrap().date_naive();
    assert!(repeat.can_request_on(expiry));
    assert!(!repeat.can_request_on(expiry.succ_opt().unwrap()));
    repeat.issued = repeat.repeats_allowed;
    assert!(!repeat.can_request());
}
