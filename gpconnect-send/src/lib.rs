//! **Not built yet.** This crate reserves the name and the `send` feature of the
//! `gpconnect` facade for Send Document (an ITK3 message carrying a PDF, sent over MESH).
//! It exposes nothing and performs no requests; see the project README for what is
//! available today.
#![deny(missing_docs)]
