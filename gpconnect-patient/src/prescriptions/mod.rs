//! Prescriptions Management (FHIR R4, UK Core).

mod view;

pub use view::{
    MedicationDetails, MedicationStatus, Medications, PrescriptionIssue, PrescriptionRequest, PrescriptionRequests,
    RepeatMedication, RequestStatus, ORDERING_PARAMETER_SYSTEM, ORDER_ITEM_NUMBER_SYSTEM, ORDER_NUMBER_SYSTEM,
    REPEAT_INFORMATION_URL, UUID_SYSTEM,
};
