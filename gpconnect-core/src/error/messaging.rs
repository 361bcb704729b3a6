//! MESH and ITK3 failures inside the one [`Error`](super::Error), whichever cargo
//! features are on.
//!
//! [`MessagingError`] keeps the failure as an opaque source together with what
//! [`Error`](super::Error)'s questions need (kind, status, retryable, sent). Core's
//! `mesh` and `itk3` modules implement [`MessagingFailure`] for their own error types and
//! read them back with [`MessagingError::get`]; this module names neither.

use std::fmt;
use std::time::Duration;

use super::kind::ErrorKind;

/// What the one [`Error`](super::Error) asks of a messaging failure (implemented by
/// `mesh::MeshError` and `itk3::Itk3Error`).
// Without the `mesh` feature nothing makes a messaging failure: the variant stays, unused.
#[cfg_attr(not(feature = "mesh"), allow(dead_code))]
pub(crate) trait MessagingFailure: std::error::Error + Send + Sync + 'static {
    /// The category to match on.
    fn kind(&self) -> ErrorKind;
    /// The HTTP status of the answer, if there was one.
    fn status(&self) -> Option<u16> {
        None
    }
    /// Whether trying again cannot duplicate a message and may succeed.
    fn is_retryable(&self) -> bool {
        false
    }
    /// The answer's `Retry-After`, when it gave one.
    fn retry_after(&self) -> Option<Duration> {
        None
    }
    /// Whether the failed request could have reached MESH.
    fn may_have_been_sent(&self) -> bool {
        false
    }
    /// The text `Display` shows.
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
    /// For [`MessagingError::get`].
    fn as_any(&self) -> &(dyn std::any::Any + Send + Sync);
    /// For [`MessagingError::take`].
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send + Sync>;
}

/// A MESH transfer that failed or an ITK3 message that could not be read or matched
/// ([`Error::Messaging`](super::Error::Messaging)). With the `mesh` feature, the MESH
/// details are `Error::mesh()` (or `get::<mesh::MeshError>()`) and the ITK3 ones
/// `get::<itk3::Itk3Error>()`. `Debug` and `Display` are the inner error's.
pub struct MessagingError(Box<dyn MessagingFailure>);

#[cfg_attr(not(feature = "mesh"), allow(dead_code))]
impl MessagingError {
    /// Wraps a MESH or ITK3 failure.
    pub(crate) fn new(failure: impl MessagingFailure) -> Self {
        Self(Box::new(failure))
    }

    /// The failure as `T` (`mesh::MeshError`, `itk3::Itk3Error`), when it is one.
    pub fn get<T: std::error::Error + 'static>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref::<T>()
    }

    /// The failure as `T`, or `self` back when it is not one.
    pub(crate) fn take<T: std::error::Error + 'static>(self) -> Result<T, Self> {
        if self.get::<T>().is_none() {
            return Err(self);
        }
        Ok(*self.0.into_any().downcast::<T>().expect("checked above"))
    }

    pub(crate) fn kind(&self) -> ErrorKind {
        self.0.kind()
    }

    pub(crate) fn status(&self) -> Option<u16> {
        self.0.status()
    }

    pub(crate) fn is_retryable(&self) -> bool {
        self.0.is_retryable()
    }

    pub(crate) fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after()
    }

    pub(crate) fn may_have_been_sent(&self) -> bool {
        self.0.may_have_been_sent()
    }
}

impl fmt::Debug for MessagingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for MessagingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe(f)
    }
}

impl std::error::Error for MessagingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ConfigError, Error};

    /// Compiled with and without the `mesh` feature: a `match` naming the variant never
    /// changes when a dependency turns the feature on.
    #[test]
    fn the_messaging_variant_exists_whatever_the_features() {
        fn messaging(e: &Error) -> bool {
            matches!(e, Error::Messaging(_))
        }
        let e = Error::Config(ConfigError::Missing("ssp"));
        assert!(!messaging(&e));
        assert!(e.messaging().is_none());
    }

    #[cfg(feature = "mesh")]
    #[test]
    fn itk3_and_mesh_failures_keep_their_kind_text_and_details() {
        use super::super::ErrorKind;
        use crate::itk3::Itk3Error;
        let e = Error::from(Itk3Error::Unmatched);
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert_eq!(e.to_string(), "ITK3 message: the answer is about another message");
        assert_eq!(e.messaging().and_then(|m| m.get::<Itk3Error>()), Some(&Itk3Error::Unmatched));
        assert!(e.mesh().is_none());
        assert!(!e.is_retryable() && !e.may_have_been_sent());
        assert!(format!("{e:?}").contains("Unmatched"), "{e:?}");
    }
}
