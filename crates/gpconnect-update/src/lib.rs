//! **Not built yet.** This crate reserves the name and the facade feature for the
//! GP Connect update API. It exposes nothing and performs no requests; see the
//! project README for what is available today.
#![deny(missing_docs)]
