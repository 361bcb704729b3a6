//! The Spine Security Proxy on the wire: the SSP's HTTP client (mutual TLS), the request
//! URL, and one attempt of a request with its `Ssp-*` headers and token.
//!
//! The shared HTTP plumbing (client, body limits, error mapping, query encoding) is
//! [`crate::http`]; the retry loop, the resolver and the token live elsewhere
//! ([`crate::retry`], [`crate::resolver`], [`crate::client`]); this module knows nothing of them.

use std::time::{Duration, Instant};

use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use uuid::Uuid;

use crate::config::SspConfig;
use crate::error::{ConfigError, InvalidInput, Result};
use crate::http::{
    append_query, check_url, error_from_response, http_client, transport_error, CONNECT_TIMEOUT, QUERY_NAME,
    REQUEST_TIMEOUT,
};
use crate::request::{Request, Target, FHIR_JSON};
use crate::service_root::ServiceRoot;
use crate::Asid;

static SSP_TRACE_ID: HeaderName = HeaderName::from_static("ssp-traceid");
static SSP_FROM: HeaderName = HeaderName::from_static("ssp-from");
static SSP_TO: HeaderName = HeaderName::from_static("ssp-to");
static SSP_INTERACTION_ID: HeaderName = HeaderName::from_static("ssp-interactionid");
static FHIR_JSON_VALUE: HeaderValue = HeaderValue::from_static(FHIR_JSON);

/// The SSP: its HTTP client, base URL, the consumer's ASID and the limits.
pub(crate) struct Ssp {
    http: reqwest::Client,
    base: String,
    consumer_asid: Asid,
    pub(crate) request_timeout: Duration,
    pub(crate) max_body: usize,
    allow_http: bool,
}

/// One attempt of a request, ready to go on the wire.
pub(crate) struct Attempt<'a> {
    pub(crate) url: &'a url::Url,
    pub(crate) root: &'a ServiceRoot,
    pub(crate) request: &'a Request,
    pub(crate) token: &'a HeaderValue,
    pub(crate) trace_id: Uuid,
    pub(crate) timeout: Duration,
}

impl Ssp {
    pub(crate) fn new(config: &SspConfig) -> Result<Self, ConfigError> {
        let settings = &config.http;
        let base = check_url(&config.url, "ssp", settings.allow_http)?;
        let client_cert = config.identity.as_ref().map(|identity| &identity.0);
        let http = http_client(settings.connect_timeout_or(CONNECT_TIMEOUT), settings.roots()?, client_cert)?
            .build()
            .map_err(|e| ConfigError::Http(e.into()))?;
        Ok(Self {
            http,
            base,
            consumer_asid: config.consumer_asid.clone(),
            request_timeout: settings.request_timeout_or(REQUEST_TIMEOUT),
            max_body: config.max_response_bytes,
            allow_http: settings.allow_http,
        })
    }

    /// The SSP base URL, for `Debug`.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The consumer system's ASID (`Ssp-From`).
    pub(crate) fn consumer_asid(&self) -> &Asid {
        &self.consumer_asid
    }

    /// `{ssp}/{service root}/{path}?{query}`, or `{ssp}/{absolute provider URL}`.
    pub(crate) fn url(&self, root: &ServiceRoot, target: &Target, query: &[(String, String)]) -> Result<url::Url> {
        build_url(&self.base, root, target, query, self.allow_http)
    }

    /// Sends one attempt: a success answer with its body still to read, or the mapped error.
    pub(crate) async fn send(&self, a: Attempt<'_>) -> Result<reqwest::Response> {
        let interaction = a.request.interaction;
        let mut builder = self
            .http
            .request(a.request.method.clone(), a.url.clone())
            .timeout(a.timeout)
            .header(&SSP_TRACE_ID, a.trace_id.to_string())
            .header(&SSP_FROM, self.consumer_asid.as_str())
            .header(&SSP_TO, a.root.asid.as_str())
            .header(&SSP_INTERACTION_ID, interaction.urn())
            .header(AUTHORIZATION, a.token.clone())
            .header(ACCEPT, FHIR_JSON_VALUE.clone());
        if let Some(body) = &a.request.body {
            builder = builder.header(CONTENT_TYPE, FHIR_JSON_VALUE.clone()).body(body.clone());
        }
        for (name, value) in &a.request.headers {
            builder = builder.header(name, value);
        }
        let started = Instant::now();
        match builder.send().await {
            Ok(resp) if resp.status().is_success() => Ok(resp),
            // Boxed: the error path's state stays out of every request's future.
            Ok(resp) => Err(Box::pin(error_from_response(resp, interaction, a.trace_id, started)).await),
            Err(e) => Err(transport_error(e, started, Some(interaction), Some(a.trace_id))),
        }
    }
}

/// `{ssp}/{service root}/{path}?{query}`, or `{ssp}/{absolute provider URL}`.
fn build_url(
    ssp: &str,
    root: &ServiceRoot,
    target: &Target,
    query: &[(String, String)],
    allow_http: bool,
) -> Result<url::Url> {
    let mut full = String::with_capacity(ssp.len() + root.url.len() + 128);
    full.push_str(ssp);
    full.push('/');
    match target {
        // The root was parsed once, when it was made: only its scheme is checked here.
        Target::Path(path) => {
            let scheme_ok = root.url.starts_with("https://") || (allow_http && root.url.starts_with("http://"));
            if !scheme_ok {
                return Err(ConfigError::NotHttps { what: "provider endpoint" }.into());
            }
            full.push_str(&root.url);
            if !path.is_empty() {
                full.push('/');
                full.push_str(path);
            }
        }
        // A provider URL from a resource (a DocumentReference's `attachment.url`) goes
        // through the SSP as it is, `http://` included as in the spec's own examples: the
        // leg to the SSP is TLS, and the SSP checks the URL against the endpoint in SDS.
        // A URL that is not one is a data problem, not a configuration error.
        Target::Absolute(url) => {
            check_url(url, "attachment URL", true).map_err(|_| {
                InvalidInput::parameter("attachment.url", "the provider's URL is not an absolute http(s) URL")
            })?;
            full.push_str(url);
        }
    }
    let has_query = full[ssp.len()..].contains('?');
    append_query(&mut full, has_query, query, QUERY_NAME);
    Ok(url::Url::parse(&full).map_err(|_| ConfigError::Url { what: "request URL" })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_put_the_provider_root_after_the_ssp_and_encode_the_query() {
        let root = ServiceRoot::new("https://provider.nhs.uk/A20047/STU3/1/gpconnect", "200000000116".parse().unwrap())
            .unwrap();
        let url = build_url(
            "https://proxy.nhs.uk",
            &root,
            &Target::Path("Patient".into()),
            &[("identifier".into(), "https://fhir.nhs.uk/Id/nhs-number|9690937286".into())],
            false,
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://proxy.nhs.uk/https://provider.nhs.uk/A20047/STU3/1/gpconnect/Patient?identifier=https%3A//fhir.nhs.uk/Id/nhs-number%7C9690937286"
        );
        let slot = build_url(
            "https://proxy.nhs.uk",
            &root,
            &Target::Path("Slot".into()),
            &[("start".into(), "ge2019-03-29T12:00:00+00:00".into())],
            false,
        )
        .unwrap();
        assert!(slot.as_str().ends_with("Slot?start=ge2019-03-29T12%3A00%3A00%2B00%3A00"));
    }
}
