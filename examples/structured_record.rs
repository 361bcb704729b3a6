//! Structured record: get a patient's record (Access Record Structured) and print a
//! readable summary per section, or item counts and warnings as one JSON object.
//!
//! Runs against the in-process testkit mock unless `GPCONNECT_SSP_URL` (and the other
//! `GPCONNECT_*` variables) point at a real Spine Security Proxy.
//!
//! ```text
//! cargo run --example structured_record
//! cargo run --example structured_record -- --json
//! cargo run --example structured_record -- --bundle saved-response.json [--json]
//! ```

mod common;

use gpconnect::structured::{
    Consultations, ImmunisationOptions, ProblemOptions, Resolved, SectionKind, StructuredExt, StructuredRecord,
};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::init_logging();
    common::exit(run().await)
}

async fn run() -> Result<(), common::Failure> {
    let mut json = false;
    let mut bundle = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--bundle" => bundle = Some(args.next().ok_or("--bundle needs a file")?),
            other => return Err(format!("unknown argument {other}; use --json and/or --bundle FILE").into()),
        }
    }
    let record = match bundle {
        Some(path) => {
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read the bundle {path}: {e}"))?;
            StructuredRecord::from_slice(&bytes)?
        }
        None => {
            let setup = common::connect().await?;
            setup
                .provider
                .structured()
                .get_record(&setup.nhs_number)
                .include_allergies(Resolved::Include)
                .include_medication(None)
                .include_consultations(Consultations::All)
                .include_problems(ProblemOptions::all())
                .include_immunisations(ImmunisationOptions::all())
                .include_uncategorised_data(None)
                .include_investigations(None)
                .include_referrals(None)
                .include_diary_entries(None)
                .send()
                .await?
                .into_inner()
        }
    };
    if json {
        print_json(&record);
    } else {
        print_summary(&record);
    }
    Ok(())
}

fn print_json(r: &StructuredRecord) {
    let mut warnings = serde_json::Map::new();
    for kind in SectionKind::ALL {
        let name = match kind {
            SectionKind::EndedAllergies => continue,
            k => k.name(),
        };
        let mut codes: Vec<String> = r
            .section_summary(kind)
            .lists
            .iter()
            .flat_map(|l| l.warnings.iter())
            .map(|w| w.as_str().to_owned())
            .collect();
        if kind == SectionKind::Allergies {
            codes.extend(r.ended_allergies().warnings().map(|w| w.as_str().to_owned()));
        }
        codes.dedup();
        warnings.insert(name.into(), codes.into());
    }
    let out = serde_json::json!({
        "allergies": r.allergies().len() + r.ended_allergies().len(),
        "medications": r.medications().len(),
        "problems": r.problems().len(),
        "consultations": r.consultations().len(),
        "immunisations": r.immunisations().len(),
        "investigations": r.investigations().len(),
        "referrals": r.referrals().len(),
        "diary_entries": r.diary_entries().len(),
        "uncategorised": r.uncategorised().len(),
        "warnings": warnings,
        // Per area: what is shown, and what could not be (lost entries, malformed fields,
        // dangling references), so a reader can see what is missing.
        "sections": SectionKind::ALL.iter().map(|&k| {
            let s = r.section_summary(k);
            (k.name().to_owned(), serde_json::json!({"items": s.items, "unresolved": s.unresolved, "problems": s.problems}))
        }).collect::<serde_json::Map<_, _>>(),
        "view_problems": r.view_problems().len(),
    });
    println!("{out}");
}

fn or_dash(s: Option<&str>) -> &str {
    s.unwrap_or("-")
}

fn print_summary(r: &StructuredRecord) {
    let d = |x: &Option<gpconnect::fhir::FhirDateTime>| x.as_ref().map(|d| d.as_str().to_owned()).unwrap_or("-".into());
    if let Some(practice) = r.registered_practice() {
        println!("Registered practice: {}", or_dash(practice.name.as_deref()));
    }
    for w in r.warnings() {
        println!("PROVIDER WARNING: {:?} ({})", w.kind, or_dash(w.parameter.as_deref()));
    }
    for kind in SectionKind::ALL {
        let s = r.section_summary(kind);
        if s.lists.is_empty() {
            continue;
        }
        let title = s.lists[0].title.as_deref().unwrap_or(kind.name());
        println!(
            "\n== {title}: {} item(s){}{}",
            s.items,
            if s.unresolved > 0 { format!(", {} unreadable", s.unresolved) } else { String::new() },
            if s.problems > 0 { format!(", {} problem(s)", s.problems) } else { String::new() }
        );
        for l in s.lists {
            for w in &l.warnings {
                println!("   warning: {}", w.as_str());
            }
            if let Some(reason) =
                l.empty_reason.as_ref().and_then(|c| c.coding.first()).and_then(|c| c.display.as_deref())
            {
                println!("   empty: {reason}");
            }
        }
    }
    for a in r.allergies().iter().chain(r.ended_allergies().iter()) {
        println!(
            "allergy: {} ({}){}",
            or_dash(a.name.as_deref()),
            or_dash(a.clinical_status.as_deref()),
            if a.ended { " ended" } else { "" }
        );
    }
    for m in r.medications() {
        println!(
            "medication: {} | {} | qty {} | {:?} | from {} | last issue {} | by {}",
            or_dash(m.name.as_deref()),
            or_dash(m.dosage.as_deref()),
            or_dash(m.quantity.as_deref()),
            m.prescription_type,
            d(&m.start),
            d(&m.last_issue_date),
            or_dash(m.prescriber.as_ref().and_then(|a| a.name.as_deref())),
        );
    }
    for p in r.problems() {
        println!(
            "problem: {} ({}), since {}, {} linked item(s)",
            or_dash(p.name.as_deref()),
            or_dash(p.status.as_deref()),
            d(&p.onset),
            p.linked_items.len()
        );
    }
    for c in r.consultations().iter().take(5) {
        println!(
            "consultation {}: {} with {}, {} topic(s)",
            d(&c.start),
            or_dash(c.title.as_deref().or(c.kind.as_deref())),
            or_dash(c.clinician.as_ref().and_then(|a| a.name.as_deref())),
            c.topics.len()
        );
    }
    for i in r.immunisations() {
        println!("immunisation: {} on {}", or_dash(i.name.as_deref()), d(&i.date));
    }
    for i in r.investigations() {
        println!(
            "investigation: {} issued {}, {} result(s)",
            or_dash(i.name.as_deref()),
            d(&i.issued),
            i.results.len()
        );
    }
    for x in r.referrals() {
        println!("referral: {} on {}", or_dash(x.name.as_deref()), d(&x.authored_on));
    }
    for x in r.diary_entries() {
        println!("diary: {} due {}", or_dash(x.name.as_deref()), d(&x.date));
    }
    for x in r.uncategorised().iter().take(10) {
        println!("observation: {} = {} on {}", or_dash(x.name.as_deref()), or_dash(x.value.as_deref()), d(&x.date));
    }
    if !r.view_problems().is_empty() {
        println!("\n{} part(s) of the record could not be read:", r.view_problems().len());
        for p in r.view_problems().iter().take(10) {
            println!("   {:?}: {:?}", p.section, p.kind);
        }
    }
}
