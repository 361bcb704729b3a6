//! Refused before sending: an argument that breaks a rule of the spec, or an unusable
//! configuration.

use super::TransportError;
use crate::IdError;

/// An argument that breaks a rule of the spec. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidInput {
    /// An identifier failed validation.
    #[error("{0}")]
    Identifier(#[from] IdError),
    /// No requesting user was given for the call or the provider handle.
    #[error("no requesting user: every GP Connect request names the logged-on user")]
    MissingUser,
    /// A requester detail (JWT claim) is missing or invalid.
    #[error("requester detail `{field}`: {problem}")]
    Requester {
        /// The claim or field, for example `requesting_practitioner.sds-user-id`.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// An operation parameter breaks a rule of the spec.
    #[error("parameter `{parameter}`: {problem}")]
    Parameter {
        /// The spec's name of the parameter, for example `consultationSearchPeriod`.
        parameter: &'static str,
        /// The rule it breaks.
        problem: String,
    },
}

impl InvalidInput {
    /// An operation parameter, named as the spec names it, that breaks a rule of the spec.
    pub fn parameter(parameter: &'static str, problem: impl Into<String>) -> Self {
        InvalidInput::Parameter { parameter, problem: problem.into() }
    }
}

/// An unusable client configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A URL could not be parsed.
    #[error("the {} address is not a valid URL: give a full address starting with https://", url_name(what))]
    Url {
        /// Which URL.
        what: &'static str,
    },
    /// A plain http URL was given where https is required.
    #[error(
        "the {} address must start with https://; plain http is only for a local test against a mock \
         (allow_http in the configuration's HTTP settings)",
        url_name(what)
    )]
    NotHttps {
        /// Which URL.
        what: &'static str,
    },
    /// The client certificate or key could not be read or parsed.
    #[error("client certificate or key unusable: {reason}")]
    Identity {
        /// Why.
        reason: String,
    },
    /// A CA certificate could not be parsed.
    #[error(
        "the CA certificates are unusable: give a PEM file of the Spine root and sub CA certificates \
         (-----BEGIN CERTIFICATE-----)"
    )]
    CaCertificate(#[source] TransportError),
    /// [`Trust::AddedOnly`](crate::Trust::AddedOnly) with no CA added: nothing would be trusted.
    #[error(
        "only added CAs are trusted but none was added: add the Spine root and sub CA certificates \
         (add_ca_pem)"
    )]
    NoTrustedCa,
    /// A required part of the configuration is missing.
    #[error("missing configuration: the client builder needs {}", missing_name(.0))]
    Missing(&'static str),
    /// A part of the consumer system ([`Consumer`](crate::Consumer) or
    /// [`Device`](crate::Device)) is missing or invalid.
    #[error("consumer system `{field}`: {problem}")]
    Consumer {
        /// The setter, for example `issuer` or `device.model`.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be set up: check the client certificate, key and CA certificates")]
    Http(#[source] TransportError),
    /// No crypto provider for TLS and JWTs: the `aws-lc-rs` and `ring` features are both
    /// off and the application installed no process-default rustls provider.
    #[error(
        "no crypto provider for TLS: turn on the `aws-lc-rs` (default) or `ring` feature of gpconnect, or install \
         a process-default rustls provider"
    )]
    NoCryptoProvider,
}

/// What a [`ConfigError`]'s `what` names, in words.
fn url_name(what: &str) -> &str {
    match what {
        "ssp" => "SSP",
        "sds" => "SDS",
        other => other,
    }
}

fn missing_name(what: &str) -> &str {
    match what {
        "API key" => "the API key of your application on the API platform",
        "kid" => "the key id (kid) under which the client assertion key is registered",
        "ssp" => "the SSP (ssp on the client builder)",
        "consumer" => "the consumer system (consumer on the client builder)",
        other => other,
    }
}
