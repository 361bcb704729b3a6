//! **Not built yet.** This crate reserves the name and the `update` feature of the
//! `gpconnect` facade for Update Record (ITK3 pharmacy updates sent over MESH).
//! It exposes nothing and performs no requests; see the project README for what is
//! available today.
#![deny(missing_docs)]
