//! The MESH mailbox the MESH examples use, from environment variables:
//!
//! * `MESH_URL`: the MESH base URL (`https://msg.intspineservices.nhs.uk` for
//!   integration). Plain `http://` only to a loopback address. Unset: the examples start
//!   NHS England's `mesh-sandbox` locally (python3 and PyPI needed on first use);
//! * `MESH_MAILBOX`, `MESH_PASSWORD`, `MESH_SHARED_KEY`: the mailbox and its secrets;
//! * `MESH_CERT`, `MESH_KEY` (PEM files): the client certificate for mutual TLS;
//!   `MESH_CA` (PEM file): a CA to trust besides the environment's NHS bundle;
//! * `MESH_TO`: the recipient mailbox; `MESH_WAIT_SECS`: how long to wait for answers
//!   (default 60).

use std::time::Duration;

use gpconnect::mesh::{MailboxId, MeshClient, MeshConfig, MeshEnvironment};
use gpconnect_testkit::mesh::MeshSandbox;

/// A connected mailbox, and the sandbox it lives in when no `MESH_URL` was given.
pub struct Mailbox {
    /// The client.
    pub client: MeshClient,
    /// The local sandbox, when one was started (kept alive with the mailbox).
    pub sandbox: Option<MeshSandbox>,
    /// `MESH_TO`, when set.
    pub to: Option<MailboxId>,
    /// `MESH_WAIT_SECS`, default 60.
    pub wait: Duration,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn required(name: &str) -> Result<String, Box<dyn std::error::Error>> {
    var(name).ok_or_else(|| format!("{name} is not set").into())
}

/// The mailbox named by the environment, or `sandbox_mailbox` on a freshly started
/// mesh-sandbox when `MESH_URL` is unset. `adjust` changes the configuration (ODS code,
/// chunk size, limits) before the client is made.
pub async fn mailbox(
    sandbox_mailbox: &str,
    adjust: impl FnOnce(MeshConfig) -> MeshConfig,
) -> Result<Mailbox, Box<dyn std::error::Error>> {
    let wait = Duration::from_secs(var("MESH_WAIT_SECS").map(|s| s.parse()).transpose()?.unwrap_or(60));
    let to = var("MESH_TO").map(|t| t.parse()).transpose()?;
    let Some(url) = var("MESH_URL") else {
        eprintln!("MESH_URL not set: starting mesh-sandbox ...");
        let sandbox = MeshSandbox::start().await?;
        let client = MeshClient::new(adjust(sandbox.config(sandbox_mailbox)))?;
        return Ok(Mailbox { client, sandbox: Some(sandbox), to, wait });
    };
    let environment = match url.trim_end_matches('/') {
        u if u == MeshEnvironment::Integration.base_url() => MeshEnvironment::Integration,
        u if u == MeshEnvironment::Production.base_url() => MeshEnvironment::Production,
        u if u == MeshEnvironment::Deployment.base_url() => MeshEnvironment::Deployment,
        // Another server (a local MESH, a test double): plain http is refused by the
        // client unless the address is a loopback one.
        _ => MeshEnvironment::LocalSandbox(url.clone()),
    };
    let mut config = MeshConfig::new(
        environment,
        required("MESH_MAILBOX")?.parse()?,
        required("MESH_PASSWORD")?.into(),
        required("MESH_SHARED_KEY")?.into(),
    );
    match (var("MESH_CERT"), var("MESH_KEY")) {
        (Some(cert), Some(key)) => {
            config = config.identity(gpconnect::Identity::from_pem(&std::fs::read(cert)?, &std::fs::read(key)?)?);
        }
        (None, None) => {}
        _ => return Err("MESH_CERT and MESH_KEY go together".into()),
    }
    if let Some(ca) = var("MESH_CA") {
        let pem = std::fs::read(ca)?;
        config = config.try_http(|h| h.add_ca_pem(&pem))?;
    }
    let client = MeshClient::new(adjust(config))?;
    Ok(Mailbox { client, sandbox: None, to, wait })
}
