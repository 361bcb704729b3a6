//! What a patient does with appointments: see free slots, book one, list their
//! appointments, move one to another slot (cancel and book again), and cancel.
//!
//! Runs with no credentials against a local token endpoint and Stoplight Prism serving
//! the Appointments OpenAPI file (see `examples/patient/mod.rs`; Prism answers with the
//! spec's examples whatever is asked). Set `GPCONNECT_NHS_LOGIN_ID_TOKEN` and the
//! `GPCONNECT_PLATFORM_*` variables to run against the NHS API platform.
//!
//! ```text
//! cargo run --example patient_appointments --features patient
//! ```

mod common;
mod patient;

use std::process::ExitCode;

use chrono::{Duration, Utc};
use gpconnect::patient::{Appointment, BookingOrganisation, CancelError, Held, PatientExt};
use gpconnect::platform::PlatformApi;

fn describe(a: &Appointment) -> String {
    format!(
        "{} ({}, {})",
        patient::when(a.start.as_ref()),
        a.service_type.as_deref().or(a.description.as_deref()).unwrap_or("appointment"),
        if a.is_cancelled() { "cancelled" } else { "booked" },
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    // What went wrong and what to do, as the SSP examples report it; never a `Debug` dump.
    common::exit(run().await)
}

async fn run() -> Result<(), common::Failure> {
    let setup = patient::connect(PlatformApi::Appointments, "9000000009").await?;
    let appointments = setup.session.appointments();
    let today = Utc::now().date_naive();

    let free = appointments.search_free_slots(today, today + Duration::days(13)).send().await?;
    println!("Free appointments ({}):", free.slots.len());
    for slot in &free.slots {
        println!(
            "  - {} to {}: {} with {} at {} ({})",
            patient::when(Some(&slot.start)),
            patient::when(Some(&slot.end)),
            slot.service_type.as_deref().unwrap_or("appointment"),
            slot.practitioner.as_ref().and_then(|p| p.name.as_deref()).unwrap_or("any clinician"),
            slot.location.as_ref().and_then(|l| l.name.as_deref()).unwrap_or("your practice"),
            slot.delivery_channel.as_ref().map(|c| c.as_str()).unwrap_or("in person"),
        );
    }
    let first = free.slots.first().ok_or("no free appointment")?;

    let app = BookingOrganisation::new("Example Patient App", "0300 123 4567").ods(&"X26".parse()?);
    let booked = appointments
        .book(std::slice::from_ref(first))
        .description("Cough for three weeks")
        .booking_organisation(app.clone())
        .send()
        .await?;
    println!("Booked: {}", describe(&booked));

    let list = appointments.list(today, today + Duration::days(28)).send().await?;
    println!("Your appointments ({}):", list.appointments.len());
    for a in &list.appointments {
        let place = list.location_of(a).and_then(|l| l.name.as_deref()).unwrap_or("your practice");
        println!("  - {} at {place}", describe(a));
    }

    // Moving an appointment: book the new slot first, then cancel the old one.
    let booked_id: gpconnect::AppointmentId = booked.id.as_deref().ok_or("booked without an id")?.parse()?;
    let current = appointments.read(&booked_id).send().await?;
    // What the patient holds after the move: cancel that one, never the stale copy read
    // before the move (already cancelled when the move worked).
    let mut held = Some((*current).clone());
    if let Some(later) = free.slots.get(1) {
        let report = appointments
            .rebook(&current, "Moved to a later time", std::slice::from_ref(later))
            .description("Cough for three weeks")
            .booking_organisation(app)
            .send()
            .await?;
        let holding = report.holding();
        held = match (holding.old, holding.new) {
            (Held::No, Held::Yes) => {
                println!("Moved to {}", report.booked().map(describe).unwrap_or_default());
                report.booked().cloned()
            }
            (Held::Yes, Held::Yes) => {
                println!("Booked the new time, but the old one could not be cancelled: you have both");
                Some((*current).clone())
            }
            (Held::Yes, Held::No) => {
                println!("Could not book the new time: your appointment is unchanged");
                Some((*current).clone())
            }
            _ if holding.neither() => {
                println!("The old appointment was cancelled but the new time could not be booked");
                None
            }
            _ => {
                println!("We could not confirm what happened: please check your appointments");
                None
            }
        };
    }

    if let Some(appointment) = held {
        match appointments.cancel(&appointment, "No longer needed").send().await {
            Ok(cancelled) => println!("Cancelled: {}", describe(&cancelled)),
            Err(CancelError::TooLate(_)) => println!("It is too late to cancel online: please phone your practice"),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
