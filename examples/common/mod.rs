//! Shared set-up for the examples: a provider handle from `GPCONNECT_*` environment
//! variables, or, when `GPCONNECT_SSP_URL` is not set, the in-process testkit mock.
#![allow(dead_code)]

use std::env;
use std::error::Error;

use gpconnect::sds::SdsConfig;
use gpconnect::{
    Asid, Capability, Client, Consumer, Device, Identity, NhsNumber, Provider, ServiceRoot, SspConfig, User,
};
use gpconnect_testkit::MockSpine;

/// What an example works with.
pub struct Setup {
    /// The provider handle, with the requesting user set.
    pub provider: Provider,
    /// The patient to look up.
    pub nhs_number: NhsNumber,
    /// The mock, kept alive while the example runs (None against a real SSP).
    pub mock: Option<MockSpine>,
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &str) -> Result<String, Box<dyn Error>> {
    var(name).ok_or_else(|| format!("{name} is required when GPCONNECT_SSP_URL is set").into())
}

/// Connects from the environment, or starts the testkit mock.
pub async fn connect() -> Result<Setup, Box<dyn Error>> {
    let nhs_number = NhsNumber::parse(&var("GPCONNECT_NHS_NUMBER").unwrap_or_else(|| "9690937286".into()))?;
    let Some(ssp_url) = var("GPCONNECT_SSP_URL") else {
        eprintln!("GPCONNECT_SSP_URL not set: using the in-process testkit mock (no credentials needed)");
        let mock = MockSpine::start().await;
        return Ok(Setup { provider: mock.provider(), nhs_number, mock: Some(mock) });
    };
    let consumer_asid: Asid = required("GPCONNECT_CONSUMER_ASID")?.parse()?;
    let mut ssp =
        SspConfig::new(ssp_url, consumer_asid).allow_http(var("GPCONNECT_ALLOW_HTTP").as_deref() == Some("1"));
    if let (Some(cert), Some(key)) = (var("GPCONNECT_CLIENT_CERT"), var("GPCONNECT_CLIENT_KEY")) {
        ssp = ssp.identity(Identity::from_pem_files(cert, key)?);
    }
    if let Some(ca) = var("GPCONNECT_CA_CERT") {
        ssp = ssp.add_ca_pem(&std::fs::read(ca)?)?;
    }
    let consumer = Consumer::new(
        required("GPCONNECT_CONSUMER_ODS")?.parse()?,
        var("GPCONNECT_CONSUMER_NAME").unwrap_or_else(|| "GP Connect Rust SDK example".into()),
        var("GPCONNECT_CONSUMER_ISSUER").unwrap_or_else(|| "https://consumer.example.nhs.uk/".into()),
        Device::new(
            "https://consumer.example.nhs.uk/Id/device",
            "gpconnect-rust-example",
            "gpconnect examples",
            env!("CARGO_PKG_VERSION"),
        ),
    );
    let mut client = Client::builder().ssp(ssp).consumer(consumer);
    if let (Some(url), Some(key)) = (var("GPCONNECT_SDS_URL"), var("GPCONNECT_SDS_API_KEY")) {
        client = client.sds(SdsConfig::new(url, key));
    }
    let user = User::new(
        var("GPCONNECT_USER_ID").unwrap_or_else(|| "example-user".into()),
        var("GPCONNECT_USER_FAMILY").unwrap_or_else(|| "Example".into()),
    )
    .sds_user_id(var("GPCONNECT_SDS_USER_ID").unwrap_or_else(|| "UNK".into()))
    .sds_role_profile_id(var("GPCONNECT_SDS_ROLE_PROFILE_ID").unwrap_or_else(|| "UNK".into()));
    let mut provider = client.build()?.provider(&required("GPCONNECT_PROVIDER_ODS")?.parse()?).with_user(user);
    if let Some(asid) = var("GPCONNECT_PROVIDER_ASID") {
        let asid: Asid = asid.parse()?;
        for (capability, name) in [
            (Capability::Foundations, "GPCONNECT_PROVIDER_ENDPOINT"),
            (Capability::Structured, "GPCONNECT_STRUCTURED_ENDPOINT"),
            (Capability::Documents, "GPCONNECT_DOCUMENTS_ENDPOINT"),
        ] {
            if let Some(url) = var(name) {
                provider = provider.with_root(capability, ServiceRoot::new(url, asid.clone())?);
            }
        }
    }
    Ok(Setup { provider, nhs_number, mock: None })
}
