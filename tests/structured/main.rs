//! The tests of `gpconnect-structured` against the testkit: one test binary, each file of
//! this folder a module. A new test file is a new `mod` line here.

mod get_record;
mod migrate_record;
mod predefined;
mod right_patient;
mod view;
