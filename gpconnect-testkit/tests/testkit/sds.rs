use gpconnect_core::{Capability, InteractionId};
use gpconnect_testkit::MockSpine;
use serde_json::Value;

const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const IA: &str = "https://fhir.nhs.uk/Id/nhsServiceInteractionId";

async fn get(spine: &MockSpine, path_and_query: &str, key: Option<&str>, request_id: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new().get(format!("{}/{path_and_query}", spine.sds_url()));
    if let Some(k) = key {
        req = req.header("apikey", k);
    }
    if let Some(id) = request_id {
        req = req.header("X-Request-ID", id);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn identifier<'a>(resource: &'a Value, system: &str) -> Option<&'a str> {
    resource["identifier"].as_array()?.iter().find(|i| i["system"] == system)?["value"].as_str()
}

#[tokio::test]
async fn endpoint_and_device_lookups_give_root_party_key_and_asid() {
    let spine = MockSpine::start().await;
    let key = Some(spine.sds_api_key());
    let rid = uuid::Uuid::new_v4().to_string();
    for (interaction, capability) in [
        (InteractionId::GetStructuredRecord, Capability::Structured),
        (InteractionId::SearchDocuments, Capability::Documents),
        (InteractionId::SearchFreeSlots, Capability::Foundations),
    ] {
        let q = format!("Endpoint?organization={ODS}%7CA20047&identifier={IA}%7C{}", interaction.urn());
        let (status, body) = get(&spine, &q, key, Some(&rid)).await;
        assert_eq!(status, 200, "{body}");
        let endpoint = &body["entry"][0]["resource"];
        assert_eq!(endpoint["resourceType"], "Endpoint");
        assert_eq!(endpoint["address"], spine.service_root(capability).as_str());
        assert_eq!(identifier(endpoint, "https://fhir.nhs.uk/Id/nhsMhsPartyKey"), Some("A20047-821870"));
    }

    let q = format!(
        "Device?organization={ODS}%7CA20047&identifier={IA}%7C{}&identifier=https://fhir.nhs.uk/Id/nhsMhsPartyKey%7CA20047-821870",
        InteractionId::GetStructuredRecord.urn()
    );
    let (status, body) = get(&spine, &q, key, None).await;
    assert_eq!(status, 200, "{body}");
    let device = &body["entry"][0]["resource"];
    assert_eq!(identifier(device, "https://fhir.nhs.uk/Id/nhsSpineASID"), Some(spine.provider_asid()));

    let received = spine.received().await;
    assert_eq!(received[3].query.len(), 3, "repeated identifier kept");
}

#[tokio::test]
async fn unknown_ods_is_empty_and_bad_key_or_request_id_rejected() {
    let spine = MockSpine::start().await;
    let q = format!("Endpoint?organization={ODS}%7CZ99999&identifier={IA}%7C{}", InteractionId::ReadMetadata.urn());
    let (status, body) = get(&spine, &q, Some(spine.sds_api_key()), None).await;
    assert_eq!((status, body["total"].as_u64(), body.get("entry")), (200, Some(0), None));

    let q = format!("Endpoint?organization={ODS}%7CA20047&identifier={IA}%7C{}", InteractionId::ReadMetadata.urn());
    let (status, body) = get(&spine, &q, None, None).await;
    assert_eq!((status, body["resourceType"].as_str()), (401, Some("OperationOutcome")));
    let (status, _) = get(&spine, &q, Some("wrong"), None).await;
    assert_eq!(status, 401);
    let (status, _) = get(&spine, &q, Some(spine.sds_api_key()), Some("nope")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn builder_identities_are_used() {
    let spine = MockSpine::builder()
        .consumer_asid("918999198738")
        .provider("B82617", "200000000359")
        .sds_api_key("k")
        .start()
        .await;
    assert_eq!(
        spine.service_root(Capability::Structured),
        "https://provider.testkit.invalid/B82617/STU3/1/gpconnect/structured"
    );
    let q = format!("Device?organization={ODS}%7CB82617&identifier={IA}%7C{}", InteractionId::ReadMetadata.urn());
    let (status, body) = get(&spine, &q, Some("k"), None).await;
    assert_eq!(status, 200);
    assert_eq!(identifier(&body["entry"][0]["resource"], "https://fhir.nhs.uk/Id/nhsSpineASID"), Some("200000000359"));
}
