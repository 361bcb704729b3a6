//! GP Connect Update Record: a community pharmacy consultation (Pharmacy First minor
//! illness or urgent supply, Blood Pressure Check, Contraception Service) sent as
//! structured FHIR to the patient's GP practice, an ITK3 message over MESH.
//!
//! * [`UpdateRecord`] builds and validates the message (spec section 4) and sends it on
//!   `GPCONNECT_UPDATE_RECORD`;
//! * the clinical content is typed: [`Service`], [`blood_pressure`] from a valid
//!   [`BpTriplet`], [`vital_sign`], [`finding`], [`dispensed`] (dm+d), [`diagnosis`],
//!   [`note`] under a [`PrsbHeading`];
//! * the acknowledgements come back on [`ack_workflow`]: [`receive_answers`] matches them
//!   to the message; `20010` (the practice switched Update Record off) reads as
//!   [`DeliveryOutcome::SendAnotherWay`]: deliver the consultation another way;
//! * [`UpdateRecordMessage`] reads a message back into its typed parts.
#![deny(missing_docs)]

mod clinical;
mod received;
mod update_record;

pub use clinical::{
    blood_pressure, check_dispense, check_observation, diagnosis, dispensed, finding, note, vital_sign, BpTriplet,
    PrsbHeading, Service, SupplyType, DMD, OBSERVATION_CATEGORY, PRSB_HEADINGS, SNOMED, SUPPLY_TYPE,
};
pub use gpconnect_core::itk3::{
    receive_answers, Acknowledgement, Acknowledgements, Addressing, DeliveryOutcome, PatientDemographics, ResponseCode,
};
pub use received::UpdateRecordMessage;
pub use update_record::{
    ack_workflow, workflow, Item, Pharmacist, Pharmacy, UpdateIds, UpdateRecord, MESSAGE_DEFINITION,
};
