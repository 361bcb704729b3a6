//! Pre-flight: check a provider set-up end to end before the first clinical request.
//!
//! For each capability asked about, [`Provider::preflight`] resolves the service root
//! (SDS or by hand) and reads the capability statement through the SSP, which also
//! proves the TLS handshake with the client certificate. The report says, per step,
//! what works and what is wrong.

use std::fmt;

use crate::error::Error;
use crate::{Capability, InteractionId, Provider};

/// One step of a pre-flight check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Finding the service root and ASID (SDS look-up or hand configuration).
    Directory,
    /// Connecting to the SSP with TLS (and the client certificate).
    TlsHandshake,
    /// Reading the capability statement through the SSP.
    CapabilityStatement,
}

impl Step {
    /// The step in plain words.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Directory => "service root and ASID (SDS or set by hand)",
            Step::TlsHandshake => "TLS handshake with the SSP",
            Step::CapabilityStatement => "capability statement",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one step for one capability.
#[derive(Debug)]
pub struct Check {
    /// The capability checked.
    pub capability: Capability,
    /// The step.
    pub step: Step,
    /// `Ok` with a short description, or the error.
    pub outcome: Result<String, Error>,
}

/// What a pre-flight found, step by step.
#[derive(Debug, Default)]
pub struct PreflightReport {
    /// Every check made, in order. A step is skipped when an earlier one failed.
    pub checks: Vec<Check>,
}

impl PreflightReport {
    /// Whether every check passed.
    pub fn is_ok(&self) -> bool {
        self.checks.iter().all(|c| c.outcome.is_ok())
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome.is_err())
    }
}

impl fmt::Display for PreflightReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            match &c.outcome {
                Ok(detail) => writeln!(f, "ok    {}, {}: {detail}", c.capability, c.step)?,
                Err(e) => writeln!(f, "FAIL  {}, {}: {e}", c.capability, c.step)?,
            }
        }
        Ok(())
    }
}

/// Whether the connection itself failed: not made, or refused by the TLS layer
/// (handshake, certificate).
fn is_connection_failure(e: &Error) -> bool {
    let Error::Transport { source, sent, .. } = e else { return false };
    if *sent == crate::error::Sent::No {
        return true;
    }
    let mut cause: Option<&dyn std::error::Error> = Some(source);
    while let Some(c) = cause {
        let text = c.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            return true;
        }
        cause = c.source();
    }
    false
}

impl Provider {
    /// Checks the set-up for each capability: directory, TLS handshake, capability
    /// statement. Needs a user on the handle ([`Provider::with_user`]) for the token.
    pub async fn preflight(&self, capabilities: &[Capability]) -> PreflightReport {
        let mut report = PreflightReport::default();
        for &capability in capabilities {
            let interaction = InteractionId::metadata(capability);
            let directory =
                self.service_root(interaction).await.map(|root| format!("{} as ASID {}", root.url, root.asid));
            let found = directory.is_ok();
            report.checks.push(Check { capability, step: Step::Directory, outcome: directory });
            if !found {
                continue;
            }
            let read = self.capability_statement(capability).send().await;
            match read {
                Err(e) if is_connection_failure(&e) => {
                    report.checks.push(Check { capability, step: Step::TlsHandshake, outcome: Err(e) });
                }
                read => {
                    report.checks.push(Check { capability, step: Step::TlsHandshake, outcome: Ok("connected".into()) });
                    let outcome = read.map(|cs| {
                        let software = cs.software.as_ref();
                        format!(
                            "GP Connect API version {} (FHIR {}), software {} {}",
                            cs.version.as_deref().unwrap_or("not stated"),
                            cs.fhir_version.as_deref().unwrap_or("not stated"),
                            software.and_then(|s| s.name.as_deref()).unwrap_or("not named"),
                            software.and_then(|s| s.version.as_deref()).unwrap_or(""),
                        )
                        .trim_end()
                        .to_owned()
                    });
                    report.checks.push(Check { capability, step: Step::CapabilityStatement, outcome });
                }
            }
        }
        report
    }
}
