//! Each example, run with a broken configuration, prints a message a person can act on
//! and exits non-zero.
//!
//! Runs the example binaries `cargo test` builds (into `target/<profile>/examples/`)
//! before it runs any test; each is started with a clean `GPCONNECT_*` environment.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

const BAD_NHS: &str = "1234567890";

/// The examples built with the features this test was built with.
fn examples() -> Vec<&'static str> {
    let mut names = Vec::new();
    if cfg!(feature = "foundations") {
        names.extend(["quickstart", "preflight"]);
    }
    if cfg!(feature = "structured") {
        names.push("structured_record");
    }
    if cfg!(feature = "documents") {
        names.push("retrieve_document");
    }
    if cfg!(feature = "appointments") {
        names.push("book_appointment");
    }
    names
}

fn binary(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target profile directory");
    let path = dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} not built: run `cargo test` without a target filter (it builds the examples first)",
        path.display()
    );
    path
}

/// Runs an example with exactly these `GPCONNECT_*` variables; its exit status and output.
fn run(name: &str, vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(binary(name));
    for (key, _) in std::env::vars() {
        if key.starts_with("GPCONNECT_") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(vars.iter().copied()).env("RUST_LOG", "off").current_dir(std::env::temp_dir());
    let out = cmd.output().expect("example runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

/// Asserts a failure a person can act on: non-zero exit, every `expected` phrase, no
/// `Debug` dump, no NHS number.
fn assert_fails_with(name: &str, vars: &[(&str, &str)], expected: &[&str]) {
    let (code, text) = run(name, vars);
    assert!(code.is_some_and(|c| c != 0), "{name} exited {code:?}:\n{text}");
    for phrase in expected {
        assert!(text.contains(phrase), "{name}: `{phrase}` missing from:\n{text}");
    }
    for debug in ["{", "Some(", "Error(", "Config(", "Directory(", "reqwest", BAD_NHS, "9690937286"] {
        assert!(!text.contains(debug), "{name}: `{debug}` in:\n{text}");
    }
}

const CONSUMER: [(&str, &str); 3] = [
    ("GPCONNECT_CONSUMER_ASID", "200000000115"),
    ("GPCONNECT_CONSUMER_ODS", "A1001"),
    ("GPCONNECT_PROVIDER_ODS", "B82617"),
];

fn with(extra: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    CONSUMER.iter().map(|(k, v)| (*k, v.to_string())).chain(extra.iter().cloned()).collect()
}

fn refs<'a>(vars: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn a_missing_variable_is_named_with_what_goes_in_it() {
    for name in examples() {
        assert_fails_with(
            name,
            &[("GPCONNECT_SSP_URL", "https://proxy.example.nhs.uk")],
            &["GPCONNECT_CONSUMER_ASID", "not set", "ASID"],
        );
    }
}

#[test]
fn an_http_ssp_says_https_and_how_to_allow_http_for_a_local_test() {
    let vars = with(&[("GPCONNECT_SSP_URL", "http://proxy.example.nhs.uk".into())]);
    for name in examples() {
        assert_fails_with(name, &refs(&vars), &["https://", "GPCONNECT_ALLOW_HTTP=1"]);
    }
}

#[test]
fn an_invalid_nhs_number_says_which_rule_it_breaks() {
    for name in examples() {
        assert_fails_with(name, &[("GPCONNECT_NHS_NUMBER", BAD_NHS)], &["GPCONNECT_NHS_NUMBER", "Modulus 11"]);
    }
}

#[test]
fn an_unreachable_ssp_says_what_to_check() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let root = "http://provider.example.nhs.uk/B82617/STU3/1/gpconnect";
    let vars = with(&[
        ("GPCONNECT_SSP_URL", format!("http://127.0.0.1:{port}")),
        ("GPCONNECT_ALLOW_HTTP", "1".into()),
        ("GPCONNECT_PROVIDER_ASID", "200000000116".into()),
        ("GPCONNECT_PROVIDER_ENDPOINT", root.into()),
        ("GPCONNECT_STRUCTURED_ENDPOINT", format!("{root}/structured")),
        ("GPCONNECT_DOCUMENTS_ENDPOINT", format!("{root}/documents")),
    ]);
    for name in examples() {
        let (_, text) = run(name, &refs(&vars));
        assert!(!text.contains(&port.to_string()), "{name}: the SSP address in:\n{text}");
        assert_fails_with(name, &refs(&vars), &["could not reach the SSP", "GPCONNECT_SSP_URL", "kind: network"]);
    }
}

#[test]
fn a_provider_without_sds_or_endpoints_says_how_to_configure_one() {
    let vars = with(&[("GPCONNECT_SSP_URL", "https://proxy.example.nhs.uk".into())]);
    for (name, variable) in [
        ("quickstart", "GPCONNECT_PROVIDER_ENDPOINT"),
        ("preflight", "GPCONNECT_STRUCTURED_ENDPOINT"),
        ("structured_record", "GPCONNECT_STRUCTURED_ENDPOINT"),
        ("retrieve_document", "GPCONNECT_DOCUMENTS_ENDPOINT"),
        ("book_appointment", "GPCONNECT_PROVIDER_ENDPOINT"),
    ] {
        if examples().contains(&name) {
            assert_fails_with(name, &refs(&vars), &["no service root", variable, "GPCONNECT_SDS_API_KEY"]);
        }
    }
}

#[cfg(feature = "foundations")]
#[test]
fn preflight_prints_a_full_checklist_against_the_mock() {
    let (code, text) = run("preflight", &[]);
    assert_eq!(code, Some(0), "{text}");
    for step in [
        "environment variables",
        "client certificate",
        "service root and ASID",
        "TLS handshake",
        "capability statement: GP Connect API version 1.6.2",
        "Access Record Structured",
        "Access Document",
        "patient search",
    ] {
        assert!(text.contains(step), "`{step}` missing from:\n{text}");
    }
    assert!(!text.contains("[FAIL]"), "{text}");
}

#[cfg(feature = "foundations")]
#[test]
fn preflight_checks_the_certificate_and_key() {
    let dir = std::env::temp_dir().join(format!("gpconnect-preflight-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, pem: String| {
        let path = dir.join(name);
        std::fs::write(&path, pem).unwrap();
        path.to_string_lossy().into_owned()
    };
    let mut params = rcgen::CertificateParams::new(vec!["consumer.example.nhs.uk".into()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let expired = params.self_signed(&key).unwrap();
    let cert = write("expired.crt", expired.pem());
    let own_key = write("own.key", key.serialize_pem());
    let other_key = write("other.key", rcgen::KeyPair::generate().unwrap().serialize_pem());

    let (code, text) = run("preflight", &[("GPCONNECT_CLIENT_CERT", &cert), ("GPCONNECT_CLIENT_KEY", &own_key)]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("[FAIL] client certificate") && text.contains("expired on 2021-01-01"), "{text}");
    assert!(text.contains("[pass] private key"), "{text}");
    assert!(text.contains("issuing CA"), "{text}");

    let (code, text) = run("preflight", &[("GPCONNECT_CLIENT_CERT", &cert), ("GPCONNECT_CLIENT_KEY", &other_key)]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("[FAIL] private key") && text.contains("does not belong to the certificate"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}
