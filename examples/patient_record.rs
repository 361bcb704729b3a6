//! What a patient sees of their GP record: allergies, medication and immunisations from
//! the structured record, then their documents, one of them downloaded.
//!
//! Runs with no credentials against a local token endpoint and Stoplight Prism serving
//! the Access Record OpenAPI file (see `examples/patient/mod.rs`; Prism answers with the
//! spec's examples, about test patient 9999999999). Set `GPCONNECT_NHS_LOGIN_ID_TOKEN` and
//! the `GPCONNECT_PLATFORM_*` variables to run against the NHS API platform.
//!
//! ```text
//! cargo run --example patient_record --features patient
//! ```

mod common;
mod patient;

use std::process::ExitCode;

use gpconnect::patient::{MedicationQuery, PatientExt, Resolved};
use gpconnect::platform::PlatformApi;

#[tokio::main]
async fn main() -> ExitCode {
    // What went wrong and what to do, as the SSP examples report it; never a `Debug` dump.
    common::exit(run().await)
}

async fn run() -> Result<(), common::Failure> {
    let setup = patient::connect(PlatformApi::AccessRecord, "9999999999").await?;
    let record = setup.session.access_record();

    let gp = record
        .get_record()
        .include_allergies(Resolved::Include)
        .include_medication(MedicationQuery::all())
        .include_immunisations(Default::default())
        .send()
        .await?;
    println!("Your GP record");
    if let Some(practice) = gp.registered_practice().and_then(|o| o.name.as_deref()) {
        println!("  registered at {practice}");
    }
    println!("  Allergies ({}):", gp.allergies().len());
    for allergy in gp.allergies().iter() {
        println!("    - {}", allergy.name.as_deref().unwrap_or("(not named)"));
    }
    if gp.allergies().is_empty() {
        if let Some(reason) = gp.allergies().empty_reason().and_then(|r| r.display_text()) {
            println!("    {reason}");
        }
    }
    println!("  Medication ({}):", gp.medications().len());
    for med in gp.medications().iter() {
        println!(
            "    - {}: {} (last issued {})",
            med.name.as_deref().unwrap_or("(not named)"),
            med.dosage.as_deref().unwrap_or("no dosage given"),
            patient::when(med.last_issue_date.as_ref()),
        );
    }
    println!("  Immunisations ({}):", gp.immunisations().len());
    for jab in gp.immunisations().iter() {
        println!("    - {} on {}", jab.name.as_deref().unwrap_or("(not named)"), patient::when(jab.date.as_ref()));
    }

    // Documents: first the patient's id on the documents server.
    let documents_id = match record.find_patient().send().await.map(gpconnect::Traced::into_inner) {
        Ok(Some(found)) => found.id,
        Ok(None) => return Err("no documents account at this practice".into()),
        // Prism's canned example is about another test patient: the SDK refuses such an
        // answer, as it must. Carry on with the id of the spec's document example.
        Err(e) if setup.local.is_some() && e.kind() == gpconnect::ErrorKind::WrongPatient => {
            println!("  (the sandbox's patient example names another patient: refused, as it should be)");
            "9d43831b-b2c7-4f8f-b5b5-1d9429acf5fb".parse()?
        }
        Err(e) => return Err(e.into()),
    };
    let list = record.search_documents(&documents_id).send().await?;
    println!("Your documents ({}):", list.documents.len());
    for doc in &list.documents {
        let from = doc.author_organization.as_ref().or(doc.custodian.as_ref()).and_then(|o| o.name.as_deref());
        match doc.placeholder_reason() {
            Some(reason) => println!("  - {} (cannot be downloaded: {reason})", doc.title().unwrap_or("document")),
            None => println!(
                "  - {} from {}, {} KB, {}",
                doc.title().unwrap_or("document"),
                from.unwrap_or("your practice"),
                doc.size.unwrap_or(0).div_ceil(1024),
                patient::when(doc.created_or_indexed()),
            ),
        }
    }
    if let Some(doc) = list.retrievable().next() {
        let mut bytes = Vec::new();
        let got = record.retrieve(doc).write_to(&mut bytes).await?;
        println!(
            "Downloaded \"{}\": {} bytes of {} (X-Request-ID {})",
            doc.title().unwrap_or("document"),
            got.bytes,
            got.content_type.as_deref().unwrap_or("unknown type"),
            got.trace_id
        );
    }
    Ok(())
}
