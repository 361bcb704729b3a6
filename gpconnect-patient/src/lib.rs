//! # GP Connect patient-facing APIs
//!
//! (work in progress)
#![deny(missing_docs)]

mod bounded;
pub mod prescriptions;

pub use bounded::MAX_DEPTH;

/// Implements a `Debug` that shows only the named fields (no names, free texts or NHS numbers).
macro_rules! redacted_debug {
    ($ty:ident $(, $field:ident)* $(,)?) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))$(.field(stringify!($field), &self.$field))*.finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use redacted_debug;
