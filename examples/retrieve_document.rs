//! Access Document: find a patient on the documents server, list their documents and
//! download the first retrievable one to a file, with a progress bar.
//!
//! Runs against the in-process testkit mock unless `GPCONNECT_SSP_URL` (and the other
//! `GPCONNECT_*` variables, see `examples/common/mod.rs`) point at a real Spine Security
//! Proxy; `GPCONNECT_DOCUMENTS_ENDPOINT` sets the documents root by hand.
//!
//! ```text
//! cargo run --features documents --example retrieve_document [-- output-directory]
//! ```

mod common;

use gpconnect::documents::DocumentsExt;
use indicatif::{ProgressBar, ProgressStyle};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::init_logging();
    common::exit(run().await)
}

async fn run() -> Result<(), common::Failure> {
    let setup = common::connect().await?;
    let documents = setup.provider.documents();
    // The folder the user names, else the current folder (never the shared temporary one).
    let out_dir = std::env::args().nth(1).map(std::path::PathBuf::from).unwrap_or_else(|| ".".into());

    let Some(patient) = documents.find_patient(&setup.nhs_number).send().await?.into_inner() else {
        println!("No patient with NHS number {} on the documents server.", setup.nhs_number);
        return Ok(());
    };
    let list = documents.search_documents(&patient.id).send().await?;
    println!("{} document(s) (Ssp-TraceID {}):", list.documents.len(), list.trace_id);
    for doc in &list.documents {
        println!(
            "  {} | {} | {} | {} bytes | {}",
            doc.created_or_indexed().map(|d| d.as_str()).unwrap_or("-"),
            doc.title().unwrap_or("(untitled)"),
            doc.author_organization.as_ref().and_then(|o| o.name.as_deref()).unwrap_or("-"),
            doc.size.map_or("?".to_string(), |s| s.to_string()),
            doc.placeholder_reason().map_or("retrievable".to_string(), |r| format!("not retrievable: {r}")),
        );
    }
    let Some(doc) = list.retrievable().next() else {
        println!("Nothing to download.");
        return Ok(());
    };

    // A provider-supplied id never becomes a path as it is: `file_name` sanitises it.
    let path = out_dir.join(doc.file_name());
    let bar = ProgressBar::new(doc.size.unwrap_or(0));
    bar.set_style(ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec}")?);
    let progress = bar.clone();
    let saved = documents.retrieve(doc).on_progress(move |n| progress.set_position(n)).download_to_file(&path).await;
    bar.finish_and_clear();
    let saved = saved.inspect_err(|_| eprintln!("Download failed, nothing saved."))?;
    println!(
        "Saved {} bytes of {} to {} (Ssp-TraceID {})",
        saved.bytes,
        saved.content_type.as_deref().unwrap_or("unknown type"),
        path.display(),
        saved.trace_id
    );
    Ok(())
}
