//! The testkit's own tests (the mock SSP, provider and SDS, the token endpoint, Prism):
//! one test binary, each file of this folder a module (`common` builds requests by hand,
//! independent of the SDK). A new test file is a new `mod` line here.

mod common;

mod foundations;
mod headers_and_jwt;
mod prism;
mod sds;
mod structured;
mod token_endpoint;
