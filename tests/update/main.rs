//! The tests of `gpconnect-update` (Update Record over MESH): one test binary, each file of
//! this folder a module. A new test file is a new `mod` line here.

mod examples;
mod fuzz;
mod mesh;
