//! Every error a person can meet reads as words: no `{`, no Rust type or variant name, no
//! 10-digit number (an NHS number), whatever the error carries.

use std::time::Duration;

use gpconnect_core::error::{
    ConfigError, DecodeError, DecodeProblem, DirectoryError, DirectoryProblem, InvalidInput, ProviderError, RawBody,
    Sent,
};
use gpconnect_core::fhir::OperationOutcome;
use gpconnect_core::{
    Asid, Capability, Client, Error, ErrorKind, GpcCode, Identity, InteractionId, NhsNumber, OdsCode, ServiceRoot,
    SspConfig,
};
use gpconnect_testkit::{test_consumer, test_user};

/// Names that only `Debug` should ever print.
const TYPE_NAMES: &[&str] = &[
    "Error",
    "Some(",
    "None",
    "Other(",
    "::",
    "InvalidInput",
    "MissingUser",
    "ConfigError",
    "NotHttps",
    "NotConfigured",
    "NoEndpoint",
    "NoAsid",
    "BadAnswer",
    "DirectoryError",
    "DirectoryProblem",
    "ProviderError",
    "DecodeError",
    "DecodeProblem",
    "ResourceType",
    "TransportError",
    "IdError",
    "GpcCode",
    "OdsCode",
    "NhsNumber",
    "InteractionId",
    "Capability",
    "Foundations,",
    "Duration",
    "RawBody",
];

const NHS: &str = "9690937286";

fn assert_readable(e: &dyn std::error::Error) {
    let text = e.to_string();
    assert!(!text.trim().is_empty(), "empty error text");
    assert!(!text.contains('{') && !text.contains('}'), "brace in: {text}");
    for name in TYPE_NAMES.iter().copied().chain(InteractionId::ALL.iter().map(|i| i.name())) {
        assert!(!text.contains(name), "`{name}` in: {text}");
    }
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        assert!(run < 10, "a 10-digit number in: {text}");
    }
}

/// A trace id as the SDK makes them.
fn trace() -> uuid::Uuid {
    uuid::Uuid::from_u128(0x1234_5678_9012_3456_7890_1234_5678_9012)
}

fn interactions() -> Vec<Option<InteractionId>> {
    vec![None, Some(InteractionId::SearchPatient), Some(InteractionId::GetStructuredRecord)]
}

#[test]
fn identifier_and_input_errors() {
    let ids = [
        NhsNumber::parse("96909372").unwrap_err(),
        NhsNumber::parse("969-093-7286").unwrap_err(),
        NhsNumber::parse("0000000060").unwrap_err(),
        NhsNumber::parse("9690937287").unwrap_err(),
        OdsCode::parse("A1").unwrap_err(),
        Asid::parse("20000000011X").unwrap_err(),
    ];
    for id in ids {
        assert_readable(&id);
        assert_readable(&Error::from(id.clone()));
    }
    assert!(NhsNumber::parse("0000000060").unwrap_err().to_string().contains("Modulus 11"));
    for input in [
        InvalidInput::MissingUser,
        InvalidInput::Requester { field: "requesting_practitioner.sds-user-id", problem: "is empty" },
        InvalidInput::parameter("consultationSearchPeriod", "the start is after the end"),
    ] {
        assert_readable(&Error::InvalidInput(input));
    }
}

#[test]
fn configuration_errors() {
    let mut errors = vec![
        ConfigError::Url { what: "ssp" },
        ConfigError::NotHttps { what: "ssp" },
        ConfigError::NotHttps { what: "sds" },
        ConfigError::NotHttps { what: "provider endpoint" },
        ConfigError::NoCryptoProvider,
        Identity::from_pem(b"", b"").unwrap_err(),
        Identity::from_pem(b"-----BEGIN CERTIFICATE-----", b"").unwrap_err(),
        Identity::from_pem_files("/nonexistent/client.crt", "/nonexistent/client.key").unwrap_err(),
        ServiceRoot::new("not a url", "200000000116".parse().unwrap()).unwrap_err(),
    ];
    // A certificate with somebody else's key.
    let cert = rcgen::generate_simple_self_signed(vec!["consumer.example".into()]).unwrap();
    let other = rcgen::KeyPair::generate().unwrap();
    errors.push(Identity::from_pem(cert.cert.pem().as_bytes(), other.serialize_pem().as_bytes()).unwrap_err());
    if let Err(e) = SspConfig::new("https://ssp.example", "200000000115".parse().unwrap())
        .try_http(|h| h.add_ca_pem(b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"))
    {
        errors.push(e);
    }
    for e in errors {
        assert_readable(&Error::Config(e));
    }
    for build in [
        Client::builder().build(),
        Client::builder().consumer(test_consumer()).build(),
        Client::builder()
            .ssp(SspConfig::new("http://ssp.example", "200000000115".parse().unwrap()))
            .consumer(test_consumer())
            .build(),
    ] {
        assert_readable(&build.unwrap_err());
    }
    let http = Error::Config(ConfigError::NotHttps { what: "ssp" }).to_string();
    assert!(http.contains("https://") && http.contains("allow_http"), "{http}");
}

#[test]
fn directory_errors_name_the_capability_and_the_fix() {
    let problems = [
        DirectoryProblem::NotConfigured,
        DirectoryProblem::NoEndpoint,
        DirectoryProblem::NoAsid,
        DirectoryProblem::Refused { status: 401 },
        DirectoryProblem::Refused { status: 500 },
        DirectoryProblem::Redirected { status: 302 },
        DirectoryProblem::Unreachable,
        DirectoryProblem::Timeout,
        DirectoryProblem::BadAnswer,
    ];
    for problem in problems {
        for interaction in InteractionId::ALL {
            let e = Error::Directory(Box::new(DirectoryError {
                ods: "B82617".parse().unwrap(),
                interaction: *interaction,
                problem: problem.clone(),
            }));
            assert_readable(&e);
        }
    }
    let e = Error::Directory(Box::new(DirectoryError {
        ods: "B82617".parse().unwrap(),
        interaction: InteractionId::GetStructuredRecord,
        problem: DirectoryProblem::NotConfigured,
    }))
    .to_string();
    assert!(e.contains(&Capability::Structured.to_string()) && e.contains("with_root") && e.contains("SDS"), "{e}");
}

#[test]
fn timeouts_redirects_outputs() {
    for interaction in interactions() {
        for status in [None, Some(504), Some(599)] {
            for sent in [Sent::No, Sent::Maybe] {
                assert_readable(&Error::Timeout {
                    elapsed: Duration::from_millis(30_001),
                    sent,
                    interaction,
                    trace_id: Some(trace()),
                    status,
                });
            }
        }
        assert_readable(&Error::Redirected { status: 307, interaction, trace_id: None });
        assert_readable(&Error::Output { source: std::io::Error::other("disk full"), interaction, trace_id: None });
    }
}

#[test]
fn provider_and_decode_errors_never_quote_what_the_provider_said() {
    let mut codes: Vec<Option<GpcCode>> = [
        "INVALID_IDENTIFIER_SYSTEM",
        "INVALID_IDENTIFIER_VALUE",
        "INVALID_NHS_NUMBER",
        "INVALID_PATIENT_DEMOGRAPHICS",
        "BAD_REQUEST",
        "CONFLICTING_VALUES",
        "NO_PATIENT_CONSENT",
        "NO_ORGANISATION_CONSENT",
        "ACCESS_DENIED",
        "NO_RELATIONSHIP",
        "ORGANISATION_NOT_FOUND",
        "PATIENT_NOT_FOUND",
        "PRACTITIONER_NOT_FOUND",
        "NO_RECORD_FOUND",
        "DUPLICATE_REJECTED",
        "INVALID_RESOURCE",
        "INVALID_PARAMETER",
        "REFERENCE_NOT_FOUND",
        "INTERNAL_SERVER_ERROR",
        "NOT_IMPLEMENTED",
        "SSP_TARGET_URL_VARIES",
        "SSP_SENDER_NOT_AUTHORISED",
        "SSP_RECEIVER_NOT_AUTHORISED",
        "SSP_SENDER_TO_RECEIVER_NOT_AUTHORISED",
        "SSP_METHOD_NOT_ALLOWED",
        "SSP_UNSUPPORTED_MEDIA_TYPE",
        "SSP_ERROR_COMMUNICATING",
        "PATIENT {9690937286} Some(x)",
    ]
    .into_iter()
    .map(|c| Some(GpcCode::from_code(c)))
    .collect();
    codes.push(None);
    for code in codes {
        for status in [400, 401, 403, 404, 409, 412, 422, 429, 500, 501, 502, 503] {
            for outcome in [None, Some(OperationOutcome::default())] {
                let e = Error::Provider(Box::new(ProviderError {
                    status,
                    code: code.clone(),
                    outcome,
                    interaction: InteractionId::SearchPatient,
                    trace_id: trace(),
                    content_type: Some(format!("text/html; {NHS}")),
                    retry_after: None,
                    body: RawBody::default(),
                }));
                assert_readable(&e);
            }
        }
    }
    let json_error = serde_json::from_str::<serde_json::Value>(&format!("{{\"nhs\": {NHS}x")).unwrap_err();
    for problem in [
        DecodeProblem::Empty,
        DecodeProblem::ContentType(format!("text/{NHS}")),
        DecodeProblem::TooLarge { limit: 64 * 1024 * 1024 },
        DecodeProblem::json("entry[0].resource.identifier", &json_error),
        DecodeProblem::ResourceType { expected: "Bundle", found: format!("Patient{NHS}") },
        DecodeProblem::Incomplete("the answer broke off after 17 bytes".into()),
    ] {
        let e = Error::Decode(Box::new(DecodeError {
            problem,
            status: 200,
            interaction: InteractionId::GetStructuredRecord,
            trace_id: trace(),
            body: RawBody::default(),
        }));
        assert_readable(&e);
    }
    for kind in [ErrorKind::InvalidInput, ErrorKind::OutcomeUnknown, ErrorKind::Transport] {
        assert!(!kind.to_string().contains(char::is_uppercase), "{kind}");
    }
}

#[test]
fn api_platform_errors() {
    use gpconnect_core::error::{AuthError, AuthProblem, IdTokenCheck, TokenRefusal};
    let problems = [
        AuthProblem::IdTokenExpired,
        AuthProblem::IdTokenUnreadable,
        AuthProblem::IdentityProofingLevel { level: Some("P5".into()) },
        AuthProblem::IdentityProofingLevel { level: Some(format!("{{{NHS}}}")) },
        AuthProblem::IdentityProofingLevel { level: None },
        AuthProblem::AccessTokenExpired,
        AuthProblem::TokenRefused { refusal: TokenRefusal::UnknownClient },
        AuthProblem::TokenRefused { refusal: TokenRefusal::Unknown },
        AuthProblem::TokenRefused { refusal: TokenRefusal::IdTokenExpired },
        AuthProblem::TokenRefused { refusal: TokenRefusal::WrongIssuer },
        AuthProblem::IdTokenRejected(IdTokenCheck::Signature),
        AuthProblem::IdentityMismatch,
        AuthProblem::AccessDenied,
        AuthProblem::BadTokenAnswer(DecodeProblem::Empty),
    ];
    for problem in problems {
        for status in [None, Some(400), Some(401)] {
            let e = Error::from(AuthError {
                status,
                interaction: Some(InteractionId::SearchPatient),
                ..AuthError::new(problem.clone())
            });
            assert_readable(&e);
        }
    }
    for missing in ["API key", "kid"] {
        assert_readable(&Error::Config(ConfigError::Missing(missing)));
    }
}

#[tokio::test]
async fn a_closed_port_reads_as_words() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::builder()
        .ssp(
            SspConfig::new(format!("http://127.0.0.1:{port}"), "200000000115".parse().unwrap())
                .http(|h| h.allow_http(true).retry(gpconnect_core::RetryPolicy::none())),
        )
        .consumer(test_consumer())
        .build()
        .unwrap();
    let provider = client.provider(&"A20047".parse().unwrap()).with_user(test_user()).with_root(
        Capability::Foundations,
        ServiceRoot::new("http://provider.example/gpconnect", "200000000116".parse().unwrap()).unwrap(),
    );
    let nhs = NhsNumber::parse(NHS).unwrap();
    let e = provider.foundations().find_patient(&nhs).send().await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert_readable(&e);
    let text = e.to_string();
    assert!(text.contains("could not reach") && text.contains("check the SSP address"), "{text}");
    assert!(!text.contains("127.0.0.1") && !text.contains("provider.example"), "{text}");
}

/// Error text quotes nothing a provider wrote: a malformed body whose key is a name and an
/// NHS number, an unknown resource type, a content type carrying personal data.
#[tokio::test]
async fn error_text_quotes_no_key_type_or_content_type_a_provider_wrote() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let hostile = [
        (r#"{"resourceType":"Bundle","entry":[{"Mr J Smith 9690937286": tru}]}"#, "application/fhir+json"),
        (r#"{"resourceType":"Mr J Smith 9690937286"}"#, "application/fhir+json"),
        (r#"{"resourceType":"Bundle"}"#, "text/Mr J Smith 9690937286"),
    ];
    for (body, content_type) in hostile {
        let ssp = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, content_type))
            .expect(1)
            .mount(&ssp)
            .await;
        let p = Client::builder()
            .ssp(SspConfig::new(ssp.uri(), "200000000115".parse().unwrap()).http(|h| h.allow_http(true)))
            .consumer(test_consumer())
            .build()
            .unwrap()
            .provider(&"A20047".parse().unwrap())
            .with_root(
                Capability::Foundations,
                ServiceRoot::new("https://p.example/gpc", "200000000116".parse().unwrap()).unwrap(),
            )
            .with_user(test_user());
        let err = p.foundations().find_patient(&"9690937286".parse().unwrap()).send().await.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(matches!(err, Error::Decode(_)), "{text}");
        for secret in ["Smith", "9690937286", "Mr J"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    let long = DecodeProblem::Json { path: "entry[0]".repeat(100), message: "x".into() };
    assert!(long.to_string().len() < 200, "bounded: {long}");
    let keyed = DecodeProblem::Json { path: "entry[0].Mr J Smith.code".into(), message: "not valid JSON".into() };
    assert_eq!(keyed.to_string(), "at `entry[0].?.code`: not valid JSON");
    let typed = DecodeProblem::ResourceType { expected: "Bundle", found: "OperationOutcome".into() };
    assert_eq!(typed.to_string(), "expected a Bundle, got OperationOutcome");
    assert!(DecodeProblem::ContentType("text/html; charset=utf-8".into()).to_string().contains("text/html"));
}
