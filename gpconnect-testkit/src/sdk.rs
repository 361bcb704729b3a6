//! A ready SDK client pointed at the mock, with the consumer details the mock expects.

use gpconnect_core::sds::SdsConfig;
use gpconnect_core::{Asid, Client, Consumer, ConsumerBuilder, Device, Provider, RetryPolicy, SspConfig, User};

use crate::MockSpine;

/// The consumer's ODS code used by [`MockSpine::client`].
pub const CONSUMER_ODS: &str = "A1001";

/// A test clinician with an SDS user ID and role profile, as a real logged-on user has.
pub fn test_user() -> User {
    User::new("10019", "Jones")
        .given("Claire")
        .prefix("Dr")
        .sds_user_id("111222333444")
        .sds_role_profile_id("444555666777")
        .local_identifier("https://consumersupplier.com/Id/user-guid", "98ed4f78-814d-4266-8d5b-cde742f3093c")
}

/// The consumer system used by [`MockSpine::client`] (the spec's example values).
pub fn test_consumer() -> Consumer {
    test_consumer_builder().build().expect("a complete consumer")
}

/// [`test_consumer`] before `build()`, to change a part (such as the organisation type).
pub fn test_consumer_builder() -> ConsumerBuilder {
    let device = Device::builder()
        .system("https://consumersupplier.com/Id/device-identifier")
        .value("CONS-APP-4")
        .model("Consumer product name")
        .version("5.3.0")
        .build()
        .expect("a complete device");
    Consumer::builder()
        .ods(CONSUMER_ODS.parse().expect("valid ODS"))
        .organisation_name("Test Hospital")
        .issuer("https://consumersupplier.thirdparty.nhs.uk/")
        .device(device)
}

impl MockSpine {
    /// The SSP configuration for this mock (plain http allowed: it is on 127.0.0.1).
    pub fn ssp_config(&self) -> SspConfig {
        let asid: Asid = self.consumer_asid().parse().expect("valid ASID");
        SspConfig::new(self.ssp_url(), asid).http(|h| h.allow_http(true))
    }

    /// The SDS configuration for this mock.
    pub fn sds_config(&self) -> SdsConfig {
        SdsConfig::new(self.sds_url(), self.sds_api_key())
    }

    /// An SDK client that sends through this mock SSP and finds providers in its SDS.
    /// Retries use short delays so tests stay fast.
    pub fn client(&self) -> Client {
        Client::builder()
            .ssp(self.ssp_config().http(|h| {
                h.retry(RetryPolicy {
                    base_delay: std::time::Duration::from_millis(10),
                    max_delay: std::time::Duration::from_millis(100),
                    ..RetryPolicy::default()
                })
            }))
            .sds(self.sds_config())
            .consumer(test_consumer())
            .build()
            .expect("testkit client configuration is valid")
    }

    /// A handle on the mock provider (found through SDS), with [`test_user`] as the user.
    pub fn provider(&self) -> Provider {
        self.client().provider(&self.provider_ods().parse().expect("valid ODS")).with_user(test_user())
    }
}
