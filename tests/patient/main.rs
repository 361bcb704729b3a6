//! The tests of `gpconnect-patient` (the patient-facing APIs on the NHS API platform): one
//! test binary, each file of this folder a module (`common` holds their shared set-up).
//! The Prism tests share one Prism per API for the whole binary (`Prism::shared`). A new
//! test file is a new `mod` line here.

mod common;

mod fixtures_parse;
mod nhs_login;
mod prism;
mod right_patient;
mod tolerant_prescriptions;
mod wire_appointments;
mod wire_prescriptions;
mod wire_record;
