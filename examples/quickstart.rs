//! Quickstart: find a patient by NHS number and print a short, redacted summary.
//!
//! Runs against the in-process testkit mock unless `GPCONNECT_SSP_URL` (and the other
//! `GPCONNECT_*` variables, see the README) point at a real Spine Security Proxy.
//!
//! ```text
//! cargo run --example quickstart --features foundations
//! ```

mod common;

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    common::init_logging();
    common::exit(run().await)
}

async fn run() -> Result<(), common::Failure> {
    let setup = common::connect().await?;
    let practice = &setup.provider;
    println!("Looking up patient {} at practice {}", setup.nhs_number, practice.ods());

    match practice.foundations().find_patient(&setup.nhs_number).send().await?.transpose() {
        Some(found) => {
            let patient = &found.patient;
            println!("Found patient (Ssp-TraceID {})", found.trace_id);
            println!("  logical id:      {}", found.id);
            println!("  gender:          {}", patient.gender.as_deref().unwrap_or("-"));
            println!(
                "  born:            {}",
                patient
                    .birth_date
                    .as_ref()
                    .and_then(|d| d.to_date())
                    .map(|d| d.format("%Y").to_string())
                    .unwrap_or("-".into())
            );
            if let Some(org) = &found.registered_practice {
                println!(
                    "  registered at:   {} ({})",
                    org.name.as_deref().unwrap_or("-"),
                    org.ods_code().unwrap_or("-")
                );
            }
            println!("  (names, NHS number and address are not printed: they are personal data)");
        }
        None => println!("No active patient with that NHS number is registered there."),
    }
    Ok(())
}
