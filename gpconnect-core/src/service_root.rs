//! A provider's service root and ASID: a leaf, named by the resolver, SDS, the SSP
//! transport and the provider handle alike.

use std::fmt;

use crate::error::{ConfigError, Result};
use crate::Asid;

/// A provider's service root URL for one capability and the ASID it answers as (`Ssp-To`).
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceRoot {
    /// The service root URL as registered in SDS (no SSP prefix, no trailing slash);
    /// also the JWT `aud`.
    pub url: String,
    /// The provider system's ASID.
    pub asid: Asid,
}

impl ServiceRoot {
    /// A root configured by hand.
    pub fn new(url: impl Into<String>, asid: Asid) -> Result<Self, ConfigError> {
        let url = url.into();
        let parsed = url::Url::parse(&url).map_err(|_| ConfigError::Url { what: "provider endpoint" })?;
        if !parsed.has_host() {
            return Err(ConfigError::Url { what: "provider endpoint" });
        }
        Ok(Self { url: url.trim_end_matches('/').to_owned(), asid })
    }
}

impl fmt::Debug for ServiceRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceRoot({} as {})", self.url, self.asid)
    }
}
