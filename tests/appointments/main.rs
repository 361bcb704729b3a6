//! The tests of `gpconnect-appointments` against the testkit: one test binary, each file of
//! this folder a module. A new test file is a new `mod` line here.

mod exact;
mod lenient;
mod wire;
