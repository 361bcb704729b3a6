//! What a patient does with repeat prescriptions: see their repeat medications, order
//! one (to a chosen pharmacy this once), and follow their orders.
//!
//! Runs with no credentials against a local token endpoint and Stoplight Prism serving
//! the Prescriptions OpenAPI file (see `examples/patient/mod.rs`; Prism answers with the
//! spec's examples). Set `GPCONNECT_NHS_LOGIN_ID_TOKEN` and the `GPCONNECT_PLATFORM_*`
//! variables to run against the NHS API platform.
//!
//! ```text
//! cargo run --example patient_prescriptions --features patient
//! ```

mod common;
mod patient;

use std::process::ExitCode;

use gpconnect::patient::prescriptions::RequestStatus;
use gpconnect::patient::PatientExt;
use gpconnect::platform::PlatformApi;

#[tokio::main]
async fn main() -> ExitCode {
    // What went wrong and what to do, as the SSP examples report it; never a `Debug` dump.
    common::exit(run().await)
}

async fn run() -> Result<(), common::Failure> {
    let setup = patient::connect(PlatformApi::Prescriptions, "9000000009").await?;
    let prescriptions = setup.session.prescriptions();

    let meds = prescriptions.medications().send().await?;
    println!("Your repeat medicines ({}):", meds.repeats.len());
    for repeat in &meds.repeats {
        let d = &repeat.details;
        println!("  - {}", d.name.as_deref().unwrap_or("(not named)"));
        println!("      {}", d.dosage.as_deref().unwrap_or("no dosage given"));
        println!(
            "      {} per issue, lasting {}; issued {} of {} times; last issued {}",
            d.quantity.as_deref().unwrap_or("?"),
            d.supply_duration.as_deref().unwrap_or("?"),
            repeat.issued.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
            repeat.repeats_allowed.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
            patient::when(repeat.last_issued.as_ref()),
        );
        if let Some(review) = &repeat.authorisation_expires {
            println!("      review due {}", patient::when(Some(review)));
        }
        if !repeat.can_request() {
            println!("      (cannot be ordered online: {})", repeat.status.as_str());
        }
    }

    // What the practice's system sent that could not be read (never the values): the rest
    // is shown; the developer sees these (stderr), the patient only that something is missing.
    if !meds.problems().is_empty() {
        println!("  (some details could not be shown; your GP practice has the full list)");
        for problem in meds.problems() {
            eprintln!("prescriptions answer: {problem}");
        }
    }

    if let Some(repeat) = meds.requestable().next() {
        let order = prescriptions
            .request_issue(repeat)
            .note("Running low, away next week")
            .pharmacy(&"FLM49".parse()?)
            .send()
            .await?;
        println!(
            "Ordered {}: {} (reference {})",
            repeat.details.name.as_deref().unwrap_or("your medicine"),
            order.status.as_str(),
            order.id.as_deref().unwrap_or("?")
        );
    }

    let orders = prescriptions.request_status().include_medications().send().await?;
    println!("Your orders ({}):", orders.requests.len());
    for order in &orders.requests {
        let what = order.medication_name.as_deref().unwrap_or("medicine");
        let when = patient::when(order.requested_at.as_ref());
        match &order.status {
            RequestStatus::Rejected => println!(
                "  - {what}, ordered {when}: not approved. {}",
                order.reason.as_deref().unwrap_or("Contact your GP practice.")
            ),
            RequestStatus::Completed if !order.sent_to_eps.is_empty() => {
                println!("  - {what}, ordered {when}: approved and sent to your pharmacy")
            }
            status => println!("  - {what}, ordered {when}: {}", status.as_str()),
        }
        if let Some(pharmacy) = &order.pharmacy_ods {
            println!("      to be collected from pharmacy {pharmacy}");
        }
    }
    Ok(())
}
