//! Who wrote an item ([`Author`]) and the items it links to ([`LinkedItem`]), resolved
//! from references.

use std::fmt;

/// A practitioner, organisation or service, resolved from a reference.
///
/// Its `Debug` shows whether it resolved, never the names.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Author {
    /// The reference as written.
    pub reference: Option<String>,
    /// The person's name (or the organisation / service name).
    pub name: Option<String>,
    /// The role (`PractitionerRole.code`).
    pub role: Option<String>,
    /// The organisation (`PractitionerRole.organization`, or the Organization itself).
    pub organisation: Option<String>,
    /// Whether the reference resolved in the bundle.
    pub resolved: bool,
}

/// A reference to another clinical item (consultation contents, problem links), with a
/// display name when the target is in the bundle.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkedItem {
    /// The reference as written.
    pub reference: String,
    /// The target's resource type (when resolved).
    pub resource_type: Option<String>,
    /// The target's code display, text or title.
    pub name: Option<String>,
    /// Whether the reference resolved in the bundle.
    pub resolved: bool,
}

impl fmt::Debug for Author {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Author").field("resolved", &self.resolved).finish_non_exhaustive()
    }
}

impl fmt::Debug for LinkedItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkedItem").field("resolved", &self.resolved).finish_non_exhaustive()
    }
}
