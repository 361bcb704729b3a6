//! Pre-flight: checks a GP Connect set-up step by step and prints a checklist, each
//! step passed or failed with what to do about it. Exits non-zero when a step fails.
//!
//! 1. environment variables (the `GPCONNECT_*` set the README's "Getting started" lists);
//! 2. client certificate and key: readable, matching, within their dates, which CA;
//! 3. per capability (Foundations and Appointments, Access Record Structured, Access
//!    Document): the service root and ASID (SDS look-up or set by hand), the connection
//!    (TLS handshake) with the SSP, and the capability statement with the API version the
//!    provider offers;
//! 4. a harmless read: a patient search for the configured test patient.
//!
//! Runs against the in-process testkit mock unless `GPCONNECT_SSP_URL` is set.
//!
//! ```text
//! cargo run --example preflight --features foundations
//! ```

mod common;

use std::fmt::Display;
use std::process::ExitCode;

use gpconnect::preflight::Step;
use gpconnect::{Capability, Identity, Provider};
use x509_parser::prelude::{parse_x509_pem, FromDer, X509Certificate};

/// The checklist as it is printed: one line per check, a fix under each failure.
#[derive(Default)]
struct Checklist {
    passed: usize,
    failed: usize,
}

impl Checklist {
    fn pass(&mut self, step: impl Display, detail: impl Display) {
        self.passed += 1;
        println!("[pass] {step}: {detail}");
    }

    fn fail(&mut self, step: impl Display, problem: impl Display, fix: Option<String>) {
        self.failed += 1;
        println!("[FAIL] {step}: {problem}");
        if let Some(fix) = fix {
            println!("       fix: {fix}");
        }
    }

    /// A failed SDK call: what went wrong, its kind, code and trace id, and the fix.
    fn fail_with(&mut self, step: impl Display, e: &gpconnect::Error) {
        self.fail(step, format!("{e}\n       {}", common::facts(e)), common::hint(e));
    }

    fn skip(&mut self, step: impl Display, why: impl Display) {
        println!("[skip] {step}: {why}");
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    common::init_logging();
    println!("GP Connect pre-flight checklist");
    let mut list = Checklist::default();
    check(&mut list).await;
    println!();
    if list.failed == 0 {
        println!(
            "All {} checks passed: try `cargo run --example quickstart --features foundations` next.",
            list.passed
        );
        ExitCode::SUCCESS
    } else {
        println!(
            "{} of {} checks failed: fix the first one, then run the pre-flight again.",
            list.failed,
            list.failed + list.passed
        );
        ExitCode::FAILURE
    }
}

async fn check(list: &mut Checklist) {
    // 1. The environment.
    let nhs_number = match common::nhs_number() {
        Ok(n) => n,
        Err(e) => return list.fail("environment variables", e, None),
    };
    let mock;
    let (provider, ssp_is_http): (Provider, bool) = if common::configured() {
        let mut missing = false;
        for v in common::VARIABLES.iter().filter(|v| v.required) {
            if common::var(v.name).is_none() {
                missing = true;
                list.fail(v.name, "not set", Some(format!("set it to {}", v.meaning)));
            }
        }
        if missing {
            return list.skip("everything else", "needs the variables above");
        }
        match common::configured_provider() {
            Ok(p) => {
                let set: Vec<&str> =
                    common::VARIABLES.iter().filter(|v| common::var(v.name).is_some()).map(|v| v.name).collect();
                list.pass("environment variables", format!("usable ({} set)", set.join(", ")));
                let http = common::var("GPCONNECT_SSP_URL").is_some_and(|u| u.starts_with("http:"));
                (p, http)
            }
            Err(e) => {
                list.fail("environment variables", e, None);
                return list.skip("everything else", "needs a usable configuration");
            }
        }
    } else {
        let spine = gpconnect_testkit::MockSpine::start().await;
        list.pass(
            "environment variables",
            "GPCONNECT_SSP_URL not set: checking the built-in testkit mock (see the README's Getting started)",
        );
        let provider = spine.provider();
        mock = spine;
        let _ = &mock;
        (provider, true)
    };

    // 2. The client certificate and key.
    match (common::var("GPCONNECT_CLIENT_CERT"), common::var("GPCONNECT_CLIENT_KEY")) {
        (Some(cert), Some(key)) => check_identity(list, &cert, &key),
        _ if ssp_is_http => list.skip("client certificate", "plain http to a local SSP or mock needs none"),
        _ => list.fail(
            "client certificate",
            "not configured, and the SSP accepts only mutual TLS",
            Some(
                "set GPCONNECT_CLIENT_CERT and GPCONNECT_CLIENT_KEY to the PEM files of your endpoint certificate"
                    .into(),
            ),
        ),
    }

    // 3. Per capability: where it is, the connection, the capability statement.
    let capabilities = [Capability::Foundations, Capability::Structured, Capability::Documents];
    let report = provider.preflight(&capabilities).await;
    for c in &report.checks {
        let step = format!("{}: {}", c.capability, c.step);
        match &c.outcome {
            Ok(_) if c.step == Step::TlsHandshake && ssp_is_http => {
                list.pass(step, "connected over plain http (no TLS: a local test only)")
            }
            Ok(detail) => list.pass(step, detail),
            Err(e) => list.fail_with(step, e),
        }
    }
    let foundations_ok =
        report.checks.iter().filter(|c| c.capability == Capability::Foundations).all(|c| c.outcome.is_ok());

    // 4. A harmless read.
    let step = "patient search for GPCONNECT_NHS_NUMBER";
    if !foundations_ok {
        return list.skip(step, "needs the Foundations checks above");
    }
    match provider.foundations().find_patient(&nhs_number).send().await {
        Ok(found) if found.value.is_some() => {
            list.pass(step, format!("found the test patient (Ssp-TraceID {})", found.trace_id))
        }
        Ok(_) => list.fail(
            step,
            "no active patient with that NHS number is registered at the provider",
            Some("set GPCONNECT_NHS_NUMBER to a test patient registered at the provider".into()),
        ),
        Err(e) => list.fail_with(step, &e),
    }
}

/// Readable, within its dates, issued by which CA, and the key belongs to it.
fn check_identity(list: &mut Checklist, cert_path: &str, key_path: &str) {
    let step = "client certificate (GPCONNECT_CLIENT_CERT)";
    let pem = match std::fs::read(cert_path) {
        Ok(pem) => pem,
        Err(e) => {
            return list.fail(
                step,
                format!("cannot be read: {e}"),
                Some("check the file's path and permissions".into()),
            )
        }
    };
    let parsed = parse_x509_pem(&pem).ok().map(|(_, pem)| pem);
    let Some(cert) = parsed.as_ref().and_then(|p| X509Certificate::from_der(&p.contents).ok()).map(|(_, c)| c) else {
        return list.fail(
            step,
            "no PEM certificate in the file",
            Some("use the PEM file (-----BEGIN CERTIFICATE-----) NHS onboarding issued".into()),
        );
    };
    let validity = cert.validity();
    let until = validity.not_after.to_datetime().date();
    let days_left = validity.time_to_expiration().map(|d| d.whole_days());
    match days_left {
        Some(days) if validity.is_valid() => {
            list.pass(step, format!("{}, valid until {until} ({days} days left)", cert.subject()))
        }
        _ if validity.not_before.timestamp() > now() => list.fail(
            step,
            format!("not valid before {}", validity.not_before.to_datetime().date()),
            Some("check this machine's clock".into()),
        ),
        _ => list.fail(
            step,
            format!("expired on {until}"),
            Some("request a renewed endpoint certificate and point GPCONNECT_CLIENT_CERT at it".into()),
        ),
    }
    let issuer = cert.issuer().to_string();
    match common::var("GPCONNECT_CA_CERT").map(|ca| ca_subjects(&ca)) {
        Some(Ok(subjects)) if subjects.contains(&issuer) => {
            list.pass("issuing CA", format!("{issuer} (also in GPCONNECT_CA_CERT)"))
        }
        Some(Ok(_)) => {
            list.pass("issuing CA", format!("{issuer} (not in GPCONNECT_CA_CERT, which is used to trust the SSP)"))
        }
        Some(Err(problem)) => list.fail(
            "CA certificates (GPCONNECT_CA_CERT)",
            problem,
            Some("point GPCONNECT_CA_CERT at a PEM file with the Spine root and sub CA certificates".into()),
        ),
        None => list.pass("issuing CA", issuer),
    }
    match Identity::from_pem_files(cert_path, key_path) {
        Ok(_) => list.pass("private key (GPCONNECT_CLIENT_KEY)", "readable and belongs to the certificate"),
        Err(e) => list.fail(
            "private key (GPCONNECT_CLIENT_KEY)",
            e,
            Some("use the PEM private key the certificate request was made with".into()),
        ),
    }
}

/// The subjects of every certificate in a PEM bundle.
fn ca_subjects(path: &str) -> Result<Vec<String>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    let subjects: Vec<String> = x509_parser::pem::Pem::iter_from_buffer(&pem)
        .filter_map(Result::ok)
        .filter_map(|p| X509Certificate::from_der(&p.contents).ok().map(|(_, c)| c.subject().to_string()))
        .collect();
    if subjects.is_empty() {
        return Err("no PEM certificate in the file".into());
    }
    Ok(subjects)
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
