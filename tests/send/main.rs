//! The tests of `gpconnect-send` (Send Document over MESH): one test binary, each file of
//! this folder a module. A new test file is a new `mod` line here.

mod fuzz;
mod mesh;
mod send_document;
