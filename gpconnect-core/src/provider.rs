//! A handle on one provider (a GP practice): its ODS code, the user who asks, and any
//! service roots it overrides. Every operation is sent through it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::call_options::CallOptions;
use crate::client::Dispatch;
use crate::error::InvalidInput;
use crate::request::{Answer, StreamingResponse};
use crate::service_root::ServiceRoot;
use crate::{Capability, Client, InteractionId, OdsCode, Request, Response, Result, User};

/// A handle on one provider, from [`Client::provider`]. Cheap to clone.
///
/// Each API crate adds its operations to it (`provider.structured()`,
/// `provider.appointments()`, ...). A handle can carry the logged-on user
/// ([`Provider::with_user`]) for every operation made through it, and override a
/// capability's service root ([`Provider::with_root`]).
#[derive(Clone)]
pub struct Provider {
    client: Client,
    ods: Arc<OdsCode>,
    roots: Arc<HashMap<Capability, Arc<ServiceRoot>>>,
    user: Option<Arc<User>>,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider").field("ods", &self.ods).field("roots", &self.roots).finish_non_exhaustive()
    }
}

impl Client {
    /// A handle on the GP practice (or other provider) with this ODS code. Service
    /// roots and ASIDs come from SDS on first use (cached), unless set by hand with
    /// [`ClientBuilder::service_root`](crate::ClientBuilder::service_root) or
    /// [`Provider::with_root`].
    pub fn provider(&self, ods: &OdsCode) -> Provider {
        Provider { client: self.clone(), ods: Arc::new(ods.clone()), roots: Arc::default(), user: None }
    }
}

impl Provider {
    /// Configures a capability's service root by hand for this handle, instead of the
    /// client's roots or SDS.
    #[must_use]
    pub fn with_root(mut self, capability: Capability, root: ServiceRoot) -> Self {
        Arc::make_mut(&mut self.roots).insert(capability, Arc::new(root));
        self
    }

    /// Makes every operation through this handle name `user` as the requester, unless
    /// the operation names another.
    #[must_use]
    pub fn with_user(mut self, user: User) -> Self {
        self.user = Some(Arc::new(user));
        self
    }

    /// The user set on this handle ([`with_user`](Self::with_user)), if any.
    pub fn user(&self) -> Option<&User> {
        self.user.as_deref()
    }

    /// The provider's ODS code.
    pub fn ods(&self) -> &OdsCode {
        &self.ods
    }

    /// The client this handle sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Where requests for `interaction` go: the root set on this handle for its
    /// capability, else the client's roots set by hand, else an SDS look-up with this
    /// very interaction ID (cached).
    pub async fn service_root(&self, interaction: InteractionId) -> Result<ServiceRoot> {
        Ok((*self.root(interaction).await?).clone())
    }

    async fn root(&self, interaction: InteractionId) -> Result<Arc<ServiceRoot>> {
        match self.roots.get(&interaction.capability()) {
            Some(root) => Ok(root.clone()),
            None => self.client.resolve(&self.ods, interaction).await,
        }
    }

    /// Sends a prepared request and reads the whole answer: the raw form of what every
    /// operation's `send()` does.
    ///
    /// Reads are retried per the client's policy; writes never once they may have been sent.
    pub async fn send(&self, request: Request) -> Result<Response> {
        self.dispatch(&request, &CallOptions::default()).await
    }

    /// Sends a request and returns as soon as the answer's headers are in, for bodies
    /// too large to hold in memory (documents). Errors are mapped as by [`Provider::send`].
    pub async fn send_streaming(&self, request: Request) -> Result<StreamingResponse> {
        self.dispatch(&request, &CallOptions::default()).await
    }

    /// The send path every operation takes: the user (per call, else the handle's), the
    /// service root, then the client's dispatcher.
    pub(crate) async fn dispatch<A: Answer>(&self, request: &Request, options: &CallOptions) -> Result<A> {
        let user = options
            .user
            .as_deref()
            .or(request.user.as_ref())
            .or(self.user.as_deref())
            .ok_or(InvalidInput::MissingUser)?;
        let root = self.root(request.interaction).await?;
        self.client.dispatch(Dispatch { ods: &self.ods, root: &root, user, request, options }).await
    }
}
