//! [`Tracked`]: a result with the MESH message ID of the message that carried it, as
//! [`Traced`](crate::Traced) carries the SSP trace ID.

use std::ops::{Deref, DerefMut};

use super::MessageId;

/// A value with the MESH message ID of the message sent for it. Dereferences to the value.
///
/// Send Document and Update Record return `Tracked<Acknowledgements>`: quote `message_id`
/// to MESH (tracking, non-delivery reports) and the recipient about this message, and
/// wait for the acknowledgements on the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked<T> {
    /// The value.
    pub value: T,
    /// The ID MESH gave the message.
    pub message_id: MessageId,
}

impl<T> Tracked<T> {
    /// The value, without the message ID.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The same message ID around another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Tracked<U> {
        Tracked { value: f(self.value), message_id: self.message_id }
    }
}

impl<T> Deref for Tracked<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Tracked<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}
