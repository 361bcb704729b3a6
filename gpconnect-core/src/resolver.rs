//! Where a provider's requests go: its service root and ASID per capability, from roots
//! set by hand on the client builder or from the Spine Directory Service (cached).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::error::{ConfigError, DirectoryError, DirectoryProblem};
use crate::sds::SdsClient;
use crate::{Asid, Capability, Error, InteractionId, OdsCode, Result};

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

/// Roots by hand, then SDS. Owned by the client; knows nothing of providers or operations.
#[derive(Default)]
pub(crate) struct Resolver {
    pub(crate) roots: HashMap<OdsCode, HashMap<Capability, Arc<ServiceRoot>>>,
    pub(crate) sds: Option<SdsClient>,
}

impl Resolver {
    /// The root for `interaction` at the provider `ods`: set by hand for its capability,
    /// or an SDS look-up with this very interaction ID (cached).
    pub(crate) async fn resolve(&self, ods: &OdsCode, interaction: InteractionId) -> Result<Arc<ServiceRoot>> {
        if let Some(root) = self.roots.get(ods).and_then(|roots| roots.get(&interaction.capability())) {
            return Ok(root.clone());
        }
        match &self.sds {
            Some(sds) => sds.resolve(ods, interaction).await,
            None => Err(Error::Directory(Box::new(DirectoryError {
                ods: ods.clone(),
                interaction,
                problem: DirectoryProblem::NotConfigured,
            }))),
        }
    }
}
