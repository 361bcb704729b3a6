//! GP Connect Update Record: a community pharmacy consultation (Pharmacy First minor
//! illness or urgent supply, Blood Pressure Check, Contraception Service) sent as
//! structured FHIR to the patient's GP practice, an ITK3 message over MESH.
//!
//! * [`UpdateRecordExt::update_record`] on the MESH client gives the [`UpdateRecord`]
//!   builder, which validates the message (spec section 4) and ends in `.send().await`
//!   on `GPCONNECT_UPDATE_RECORD`; the sender is the client's mailbox and its configured
//!   ODS code ([`MeshConfig::ods_code`](gpconnect_core::mesh::MeshConfig::ods_code));
//! * the clinical content is typed: [`Service`], [`blood_pressure`] from a valid
//!   [`BpTriplet`], [`vital_sign`], [`finding`], [`dispensed`] (dm+d), [`diagnosis`],
//!   [`note`] under a [`PrsbHeading`];
//! * the send returns the [`Acknowledgements`] tracker with the MESH message ID
//!   ([`Tracked`]); the acknowledgements come back on [`ack_workflow`], and
//!   [`Acknowledgements::wait`] matches them to the message; `20010` (the practice
//!   switched Update Record off) reads as [`DeliveryOutcome::SendAnotherWay`]: deliver
//!   the consultation another way;
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
    take_answer, Acknowledgement, Acknowledgements, Addressing, Author, DeliveryOutcome, PatientDemographics, Prepared,
    ResponseCode,
};
pub use gpconnect_core::mesh::Tracked;
pub use received::UpdateRecordMessage;
pub use update_record::{
    ack_workflow, workflow, Item, Pharmacist, Pharmacy, UpdateIds, UpdateRecord, UpdateRecordExt, MESSAGE_DEFINITION,
};

/// The README's example, compiled and run as a doctest (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
