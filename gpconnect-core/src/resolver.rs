//! Where a provider's requests go: its service root and ASID per capability, from roots
//! set by hand on the client builder or from the Spine Directory Service (cached).

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{DirectoryError, DirectoryProblem};
use crate::sds::SdsClient;
use crate::service_root::ServiceRoot;
use crate::{Capability, Error, InteractionId, OdsCode, Result};

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
