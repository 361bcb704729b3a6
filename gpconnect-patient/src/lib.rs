//! **Not built yet.** This crate reserves the name and the `patient` feature of the
//! `gpconnect` facade for the three patient-facing APIs (access record, appointments, prescriptions).
//! It exposes nothing and performs no requests; see the project README for what is
//! available today.
#![deny(missing_docs)]
