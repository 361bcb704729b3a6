//! The examples, run as a user runs them (the binaries `cargo test` builds into
//! `target/<profile>/examples/`): one test binary, each file of this folder a module.

mod broken_config;
// Runs quickstart, which needs the `foundations` feature.
#[cfg(feature = "foundations")]
mod logging;
