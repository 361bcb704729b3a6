//! The tests of `gpconnect-documents` against the testkit: one test binary, each file of
//! this folder a module (`common` holds their shared helpers). A new test file is a new
//! `mod` line here.

mod common;

mod fixtures;
mod lenient;
mod migrate;
mod retrieve;
mod search;
