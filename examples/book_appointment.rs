//! Searches free slots for the next two weeks, books the first, reads it back and cancels it.
//!
//! Runs against the in-process testkit mock unless `GPCONNECT_SSP_URL` (and the other
//! `GPCONNECT_*` variables, see `examples/common/mod.rs`) configure a real SSP. Against a
//! real provider set `GPCONNECT_BOOKING_ORG_NAME` and `GPCONNECT_BOOKING_ORG_PHONE`.
//!
//! ```text
//! cargo run --example book_appointment --features appointments
//! ```

mod common;

use chrono::{Duration, Utc};
use gpconnect::appointments::{AppointmentsExt, BookingOrganisation, OrganisationType};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::init_logging();
    common::exit(run().await)
}

async fn run() -> Result<(), common::Failure> {
    let setup = common::connect().await?;
    let practice = setup.provider;
    let appointments = practice.appointments();

    let patient = practice
        .foundations()
        .find_patient(&setup.nhs_number)
        .send()
        .await?
        .into_inner()
        .ok_or("patient not registered")?;
    let patient_id = patient.id;
    println!("1. patient found: logical id {patient_id}");

    let today = Utc::now().date_naive();
    let free = appointments
        .search_free_slots(today, today + Duration::days(14))
        .organisation_type(OrganisationType::UrgentCare)
        .send()
        .await?;
    println!("2. {} free slots in the next two weeks", free.slots.len());
    let slot = free.slots.first().ok_or("no free slot")?;
    println!(
        "   first: {} to {} ({}, {}) with {} at {}",
        slot.start,
        slot.end,
        slot.service_type.as_deref().unwrap_or("?"),
        slot.delivery_channel.as_ref().map(|c| c.as_str()).unwrap_or("?"),
        slot.practitioner.as_ref().and_then(|p| p.name.as_deref()).unwrap_or("any clinician"),
        slot.location.as_ref().and_then(|l| l.name.as_deref()).unwrap_or("?"),
    );

    let name = std::env::var("GPCONNECT_BOOKING_ORG_NAME").unwrap_or_else(|_| "Example Urgent Care".into());
    let phone = std::env::var("GPCONNECT_BOOKING_ORG_PHONE").unwrap_or_else(|_| "0300 303 5678".into());
    let booked = match appointments
        .book(std::slice::from_ref(slot), &patient_id)
        .description("Booked by the gpconnect book_appointment example")
        .booking_organisation(BookingOrganisation::new(name, phone))
        .send()
        .await
    {
        Ok(booked) => booked,
        Err(e) if e.kind() == gpconnect::ErrorKind::OutcomeUnknown => {
            println!("   booking outcome unknown ({e}); looking before trying again");
            appointments
                .find_booking(&patient_id, std::slice::from_ref(slot))
                .send()
                .await?
                .transpose()
                .ok_or("the booking did not happen")?
        }
        Err(e) => return Err(e.into()),
    };
    let id: gpconnect::AppointmentId = booked.id.as_deref().ok_or("booked appointment without an id")?.parse()?;
    println!("3. booked appointment {id} (version {})", booked.version_id.as_deref().unwrap_or("?"));

    let read = appointments.read(&id).send().await?;
    println!("4. read back: {:?} from {}", read.status, read.start.as_ref().map(|s| s.as_str()).unwrap_or("?"));

    let cancelled = appointments.cancel(&read, "Cancelled by the example").send().await?;
    println!("5. cancelled: {:?} (version {})", cancelled.status, cancelled.version_id.as_deref().unwrap_or("?"));
    Ok(())
}
