//! The GP Connect JWT: the spec's example payload field by field, the unsigned encoding,
//! scope and reason per interaction, and the provider rules applied before sending.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gpconnect_core::error::{ConfigError, InvalidInput};
use gpconnect_core::jwt::{Claims, Confidentiality};
use gpconnect_core::{Consumer, Device, InteractionId, User};
use gpconnect_testkit::{fixture, test_consumer, test_user};
#[test]
fn matches_the_spec_example_payload_field_by_field() {
    let expected: serde_json::Value = serde_json::from_str(fixture("jwt__payload__example.json")).unwrap();
    let claims = Claims::new(
        &test_consumer(),
        &test_user(),
        "https://providersupplier.thirdparty.nhs.uk/GP0001/STU3/1",
        InteractionId::SearchPatient,
        None,
        1469436687,
    )
    .unwrap();
    let actual = serde_json::to_value(&claims).unwrap();
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&actual[key], value, "claim {key}");
    }
    assert_eq!(actual.as_object().unwrap().len(), expected.as_object().unwrap().len());
}

#[test]
fn token_is_unsigned_with_trailing_dot_and_round_trips() {
    let claims = Claims::new(
        &test_consumer(),
        &test_user(),
        "https://p.example/A1/STU3/1/gpconnect",
        InteractionId::BookAppointment,
        None,
        1_700_000_000,
    )
    .unwrap();
    let token = claims.encode();
    let text = token.expose();
    assert!(text.ends_with('.'));
    let header = URL_SAFE_NO_PAD.decode(text.split('.').next().unwrap()).unwrap();
    assert_eq!(header, br#"{"alg":"none","typ":"JWT"}"#);
    let back = Claims::decode(text).unwrap();
    assert_eq!(back, claims);
    assert_eq!(back.exp - back.iat, 300);
    assert_eq!(back.requested_scope, "patient/*.write");
    assert!(!format!("{token:?}").contains(text));
}

#[test]
fn scope_and_reason_follow_the_interaction() {
    let c = test_consumer();
    let u = test_user();
    let aud = "https://p.example/A1/STU3/1/gpconnect/structured";
    let s = Claims::new(&c, &u, aud, InteractionId::GetStructuredRecord, Some(Confidentiality::Normal), 0).unwrap();
    assert_eq!(s.requested_scope, "patient/*.read conf/N");
    let m =
        Claims::new(&c, &u, aud, InteractionId::MigrateStructuredRecord, Some(Confidentiality::Restricted), 0).unwrap();
    assert_eq!((m.requested_scope.as_str(), m.reason_for_request.as_str()), ("patient/*.read conf/R", "migration"));
    let slots = Claims::new(&c, &u, aud, InteractionId::SearchFreeSlots, None, 0).unwrap();
    assert_eq!(slots.requested_scope, "organization/*.read");
}

#[test]
fn missing_or_invalid_requester_details_are_typed_errors() {
    let c = test_consumer();
    let aud = "https://p.example/A1/STU3/1";
    let field = |user: User, consumer: &Consumer, aud: &str| match Claims::new(
        consumer,
        &user,
        aud,
        InteractionId::SearchPatient,
        None,
        0,
    ) {
        Err(InvalidInput::Requester { field, .. }) => field,
        other => panic!("expected a requester error, got {other:?}"),
    };
    assert_eq!(field(User::new("1", "Jones"), &c, aud), "requesting_practitioner.sds-user-id");
    assert_eq!(field(User::new("", "Jones").sds_user_id("UNK"), &c, aud), "sub");
    assert_eq!(field(User::new("1", " ").sds_user_id("UNK"), &c, aud), "requesting_practitioner.name");
    assert_eq!(field(test_user(), &c, "not a url"), "aud");
    // A consumer without an issuer or a device model cannot be built (nothing is sent).
    let device = || {
        Device::builder().system("https://consumer.example/Id/device").value("CONS-1").model("Product").version("1.0")
    };
    let consumer = |issuer: &str| {
        Consumer::builder()
            .ods("A1001".parse().unwrap())
            .organisation_name("Test Hospital")
            .issuer(issuer)
            .device(device().build().unwrap())
            .build()
    };
    assert!(matches!(consumer(""), Err(ConfigError::Consumer { field: "issuer", .. })));
    assert!(matches!(consumer("not a url"), Err(ConfigError::Consumer { field: "issuer", .. })));
    assert!(matches!(device().model("").build(), Err(ConfigError::Consumer { field: "device.model", .. })));
    assert!(matches!(Consumer::builder().build(), Err(ConfigError::Consumer { field: "ods", .. })));
    // UNK is explicitly allowed.
    assert!(Claims::new(&c, &User::new("1", "Jones").sds_user_id("UNK"), aud, InteractionId::SearchPatient, None, 0)
        .is_ok());
}

#[test]
fn validate_rejects_what_providers_reject() {
    let mut claims =
        Claims::new(&test_consumer(), &test_user(), "https://p.example/x", InteractionId::ReadMetadata, None, 10)
            .unwrap();
    claims.exp = claims.iat + 299;
    assert!(claims.validate().is_err());
    claims.exp = claims.iat + 300;
    claims.requested_scope = "patient/*.read conf/X".into();
    assert!(claims.validate().is_err());
    claims.requested_scope = "organization/*.read".into();
    claims.requesting_practitioner.resource_type = "Patient".into();
    assert!(claims.validate().is_err());
}
