//! The tests of `gpconnect-core` against the testkit: one test binary, each file of this
//! folder a module. A new test file is a new `mod` line here (behind the facade feature it
//! needs, as the MESH and API platform ones are, so `cargo test` with the default features
//! still runs the rest).
//!
//! `redaction.rs` and `platform_redaction.rs` are test binaries of their own (see the root
//! `Cargo.toml`): each captures every tracing event of its thread at TRACE level, and no
//! other test's callsites may share that subscriber.

#[cfg(feature = "structured")]
mod checked_reader;
mod error_texts;
mod fhir_examples;
mod foundations;
mod jwt;
mod no_panic;
mod right_patient;
mod side_doors;
mod stalled;
mod tls;
mod transport;

#[cfg(feature = "mesh")]
mod itk3_fuzz;
#[cfg(feature = "mesh")]
mod mesh_faults;
#[cfg(feature = "mesh")]
mod mesh_fuzz;
#[cfg(feature = "mesh")]
mod mesh_mock;
#[cfg(feature = "mesh")]
mod mesh_sandbox;

#[cfg(feature = "api-platform")]
mod platform;
#[cfg(feature = "api-platform")]
mod platform_login;
