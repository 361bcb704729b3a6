//! Appointment Management routes, with state: free slot search, book, read, a patient's
//! appointments, amend and cancel (spec section 4).
//!
//! Free slots are generated from the shape of the spec's search example
//! (`appointments__search-for-free-slots-response.json`, or the 1.2.8 example with a
//! HealthcareService when `service.identifier` is sent): the example's slots, at the
//! example's times of day, on every day of the requested window, so there are always
//! future free slots. A slot's id is `<example slot id>-<yyyymmdd>`. Booked slots are no
//! longer free until their appointment is cancelled.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use gpconnect_core::{Capability, InteractionId};
use serde_json::{json, Value};

use super::{token, Ctx, Reply, Route};
use crate::fixtures::fixture_json;
use crate::outcome::{Rejection, SpineCode};
use crate::validate::header;

const F: Capability = Capability::Foundations;
const DOS_SYSTEM: &str = "https://fhir.nhs.uk/Id/uec-dos-service-id";
/// The DOS service id of the HealthcareService in the spec's 1.2.8 example.
pub(crate) const EXAMPLE_DOS_SERVICE_ID: &str = "1000000123";
const BOOKING_ORG_URL: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1";
const CANCELLATION_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-AppointmentCancellationReason-1";
const FILTERING_URL: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-ServiceFilteringStatus-1";
const MAX_WINDOW_DAYS: i64 = 14;

pub(crate) static ROUTES: &[Route] = &[
    Route {
        capability: F,
        method: "GET",
        path: "Slot",
        interactions: &[InteractionId::SearchFreeSlots],
        handler: search_slots,
    },
    Route {
        capability: F,
        method: "POST",
        path: "Appointment",
        interactions: &[InteractionId::BookAppointment],
        handler: book,
    },
    Route {
        capability: F,
        method: "GET",
        path: "Appointment/{id}",
        interactions: &[InteractionId::ReadAppointment],
        handler: read,
    },
    Route {
        capability: F,
        method: "PUT",
        path: "Appointment/{id}",
        interactions: &[InteractionId::AmendAppointment, InteractionId::CancelAppointment],
        handler: update,
    },
    Route {
        capability: F,
        method: "GET",
        path: "Patient/{id}/Appointment",
        interactions: &[InteractionId::SearchPatientAppointments],
        handler: patient_appointments,
    },
];

fn invalid_parameter(diagnostics: impl Into<String>) -> Rejection {
    Rejection::provider(SpineCode::InvalidParameter, diagnostics)
}

/// A `409` version conflict (the spec mandates no Spine code for it).
fn version_conflict() -> Rejection {
    Rejection {
        status: 409,
        code: "CONFLICT".into(),
        diagnostics: "If-Match does not match the current version".into(),
        body: json!({
            "resourceType": "OperationOutcome",
            "meta": { "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"] },
            "issue": [ { "severity": "error", "code": "conflict",
                         "diagnostics": "If-Match does not match the current version" } ],
        }),
    }
}

/// UK local offset on a date: BST (+01:00) from the last Sunday of March to the day
/// before the last Sunday of October.
fn uk_offset(date: NaiveDate) -> FixedOffset {
    fn last_sunday(year: i32, month: u32) -> NaiveDate {
        let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1).expect("valid month") - Duration::days(1);
        while d.weekday() != Weekday::Sun {
            d -= Duration::days(1);
        }
        d
    }
    let bst = date >= last_sunday(date.year(), 3) && date < last_sunday(date.year(), 10);
    FixedOffset::east_opt(if bst { 3600 } else { 0 }).expect("valid offset")
}

fn local(date: NaiveDate, time: chrono::NaiveTime) -> DateTime<FixedOffset> {
    uk_offset(date).from_local_datetime(&date.and_time(time)).single().expect("fixed offset")
}

fn fmt_time(t: &DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

/// The example search answer the slots are shaped after.
fn template(dos: bool) -> Value {
    if dos {
        fixture_json("appointments-1.2.8__search-for-free-slots-response-payload-1.json")
    } else {
        fixture_json("appointments__search-for-free-slots-response.json")
    }
}

fn template_resources(dos: bool) -> Vec<Value> {
    template(dos)["entry"].as_array().into_iter().flatten().filter_map(|e| e.get("resource").cloned()).collect()
}

/// The example slot `template_id` moved to `date`.
fn slot_on(template_slot: &Value, date: NaiveDate) -> Option<Value> {
    let start = parse_time(template_slot["start"].as_str()?)?;
    let end = parse_time(template_slot["end"].as_str()?)?;
    let mut slot = template_slot.clone();
    slot["id"] = Value::String(format!("{}-{}", template_slot["id"].as_str()?, date.format("%Y%m%d")));
    slot["start"] = Value::String(fmt_time(&local(date, start.time())));
    slot["end"] = Value::String(fmt_time(&local(date, end.time())));
    Some(slot)
}

/// A generated slot by id (`<example id>-<yyyymmdd>`), free or not.
fn find_slot(id: &str) -> Option<Value> {
    let (template_id, day) = id.rsplit_once('-')?;
    let date = NaiveDate::parse_from_str(day, "%Y%m%d").ok()?;
    template_resources(false)
        .iter()
        .chain(template_resources(true).iter())
        .find(|r| r["resourceType"] == "Slot" && r["id"] == template_id)
        .and_then(|t| slot_on(t, date))
}

/// A search bound: `ge`/`le` prefix and a date or date-time with offset.
enum Bound {
    Date(NaiveDate),
    Time(DateTime<FixedOffset>),
}

impl Bound {
    fn date(&self) -> NaiveDate {
        match self {
            Bound::Date(d) => *d,
            Bound::Time(t) => t.date_naive(),
        }
    }
    fn instant(&self) -> DateTime<FixedOffset> {
        match self {
            Bound::Date(d) => local(*d, chrono::NaiveTime::MIN),
            Bound::Time(t) => *t,
        }
    }
}

fn bound(ctx: &Ctx<'_>, name: &str, prefix: &str) -> Result<Bound, Rejection> {
    let values = ctx.query_values(name);
    let value = match values.as_slice() {
        [] => return Err(Rejection::bad_request(format!("the {name} parameter is required"))),
        [v] => *v,
        _ => return Err(invalid_parameter(format!("the {name} parameter must be given once"))),
    };
    let Some(rest) = value.strip_prefix(prefix) else {
        return Err(invalid_parameter(format!("the {name} parameter must have the prefix {prefix}")));
    };
    if rest.len() == 10 {
        NaiveDate::parse_from_str(rest, "%Y-%m-%d")
            .map(Bound::Date)
            .map_err(|_| invalid_parameter(format!("the {name} parameter is not a date")))
    } else {
        parse_time(rest)
            .map(Bound::Time)
            .ok_or_else(|| invalid_parameter(format!("the {name} parameter is not a date-time")))
    }
}

fn search_slots(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let start = bound(ctx, "start", "ge")?;
    let end = bound(ctx, "end", "le")?;
    match ctx.query_values("status").as_slice() {
        [] => return Err(Rejection::bad_request("the status parameter is required")),
        ["free"] => {}
        _ => return Err(invalid_parameter("status must be free")),
    }
    if !ctx.query_values("_include").contains(&"Slot:schedule") {
        return Err(Rejection::bad_request("_include=Slot:schedule is required"));
    }
    let (from, to) = (start.instant(), end.instant());
    if to < from {
        return Err(invalid_parameter("end is before start"));
    }
    if to - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(invalid_parameter("the search window exceeds 14 days"));
    }
    let dos = match ctx.query_values("service.identifier").as_slice() {
        [] => false,
        [v] => match token(v) {
            (Some(DOS_SYSTEM), EXAMPLE_DOS_SERVICE_ID) => true,
            (Some(DOS_SYSTEM), _) => {
                return Err(Rejection::provider(
                    SpineCode::NoRecordFound,
                    "the DOS service is not in the practice's service list",
                ))
            }
            _ => return Err(invalid_parameter("service.identifier must be a uec-dos-service-id token")),
        },
        _ => return Err(invalid_parameter("service.identifier must be given once")),
    };
    let recurse = ctx.query_values("_include:recurse");
    let resources = template_resources(dos);
    let now = Utc::now();
    let mut entries = Vec::new();
    let mut date = start.date();
    while date <= end.date() {
        for t in resources.iter().filter(|r| r["resourceType"] == "Slot") {
            let Some(slot) = slot_on(t, date) else { continue };
            let (Some(s), Some(e)) =
                (parse_time(slot["start"].as_str().unwrap_or("")), parse_time(slot["end"].as_str().unwrap_or("")))
            else {
                continue;
            };
            // A slot lies entirely within the range; an end date covers its whole day.
            let limit = match &end {
                Bound::Date(d) => local(*d + Duration::days(1), chrono::NaiveTime::MIN),
                Bound::Time(t) => *t,
            };
            let inside = s >= from && e <= limit;
            let id = slot["id"].as_str().unwrap_or_default();
            if inside && s > now && !ctx.state.booked_slots.contains_key(id) {
                entries.push(json!({ "resource": slot }));
            }
        }
        date += Duration::days(1);
    }
    if entries.is_empty() {
        return Ok(Reply::ok(with_filtering(super::empty_searchset(), dos)));
    }
    for r in resources.iter().filter(|r| r["resourceType"] != "Slot") {
        let wanted = match r["resourceType"].as_str().unwrap_or_default() {
            "Schedule" | "Organization" => true, // the Organization always comes (known issue)
            "Practitioner" => recurse.contains(&"Schedule:actor:Practitioner"),
            "Location" => recurse.contains(&"Schedule:actor:Location"),
            "HealthcareService" => recurse.contains(&"Schedule:actor:HealthcareService"),
            _ => false,
        };
        if wanted {
            entries.push(json!({ "resource": r }));
        }
    }
    let bundle = json!({
        "resourceType": "Bundle",
        "id": uuid::Uuid::new_v4().to_string(),
        "type": "searchset",
        "entry": entries,
    });
    Ok(Reply::ok(with_filtering(bundle, dos)))
}

fn with_filtering(mut bundle: Value, dos: bool) -> Value {
    if dos {
        bundle["meta"] = json!({ "extension": [ { "url": FILTERING_URL, "valueCode": "enabled" } ] });
    }
    bundle
}

fn actor_ids<'a>(appointment: &'a Value, ty: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    appointment["participant"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.pointer("/actor/reference").and_then(Value::as_str))
        .filter_map(move |r| r.strip_prefix(ty).and_then(|r| r.strip_prefix('/')))
}

fn book(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let body = ctx.body.cloned().ok_or_else(|| Rejection::bad_request("an Appointment body is required"))?;
    if body["resourceType"] != "Appointment" {
        return Err(Rejection::invalid_resource("the body is not an Appointment"));
    }
    for forbidden in ["reason", "specialty", "id"] {
        if body.get(forbidden).is_some() {
            return Err(Rejection::invalid_resource(format!("{forbidden} must not be sent")));
        }
    }
    if body["status"] != "booked" {
        return Err(Rejection::invalid_resource("status must be booked"));
    }
    let description = body["description"].as_str().unwrap_or_default();
    if description.trim().is_empty() || description.chars().count() > 100 {
        return Err(Rejection::invalid_resource("description is required (at most 100 characters)"));
    }
    if body["comment"].as_str().is_some_and(|c| c.chars().count() > 500) {
        return Err(Rejection::invalid_resource("comment is at most 500 characters"));
    }
    if body["created"].as_str().and_then(parse_time).is_none() {
        return Err(Rejection::invalid_resource("created is required"));
    }
    let org = body["contained"]
        .as_array()
        .and_then(|c| c.iter().find(|r| r["resourceType"] == "Organization" && r["id"].is_string()))
        .ok_or_else(|| Rejection::invalid_resource("the booking organisation must be contained"))?;
    let org_ref = format!("#{}", org["id"].as_str().unwrap_or_default());
    let has_ext = body["extension"].as_array().into_iter().flatten().any(|e| {
        e["url"] == BOOKING_ORG_URL && e.pointer("/valueReference/reference").and_then(Value::as_str) == Some(&org_ref)
    });
    if !has_ext {
        return Err(Rejection::invalid_resource("the booking organisation extension is required"));
    }
    let ods_ok = org["identifier"].as_array().into_iter().flatten().any(|i| {
        i["system"] == "https://fhir.nhs.uk/Id/ods-organization-code"
            && i["value"].as_str().is_some_and(|v| !v.is_empty())
    });
    if !ods_ok || !org["name"].is_string() || !org["telecom"].is_array() {
        return Err(Rejection::invalid_resource("the booking organisation needs an ODS code, a name and a telecom"));
    }
    let patient = actor_ids(&body, "Patient").next().map(str::to_owned);
    let Some(patient) = patient else { return Err(Rejection::invalid_resource("a Patient participant is required")) };
    if !ctx.state.patients.values().any(|id| *id == patient) {
        return Err(Rejection::provider(SpineCode::PatientNotFound, "no patient with this logical id"));
    }
    if actor_ids(&body, "Location").next().is_none() {
        return Err(Rejection::invalid_resource("a Location participant is required"));
    }
    let refs: Vec<String> = body["slot"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["reference"].as_str())
        .map(|r| r.trim_start_matches("Slot/").to_owned())
        .collect();
    if refs.is_empty() {
        return Err(Rejection::invalid_resource("at least one slot is required"));
    }
    let mut slots = Vec::new();
    for id in &refs {
        let slot = find_slot(id).ok_or_else(|| {
            Rejection::provider(
                SpineCode::ReferenceNotFound,
                format!("Reference to Slot/{id} - no such slot exists at the server"),
            )
        })?;
        if ctx.state.booked_slots.contains_key(id) {
            return Err(Rejection::provider(SpineCode::DuplicateRejected, format!("Slot/{id} is already booked")));
        }
        slots.push(slot);
    }
    let time = |v: &Value, k: &str| v[k].as_str().and_then(parse_time);
    for pair in slots.windows(2) {
        if time(&pair[0], "end") != time(&pair[1], "start") || pair[0]["serviceType"] != pair[1]["serviceType"] {
            return Err(Rejection::invalid_resource("the slots are not adjacent slots of the same type"));
        }
    }
    let (first, last) = (&slots[0], &slots[slots.len() - 1]);
    if time(&body, "start") != time(first, "start") || time(&body, "end") != time(last, "end") {
        return Err(Rejection::invalid_resource("start and end must match the slots"));
    }
    if time(first, "start").is_none_or(|s| s <= Utc::now()) {
        return Err(Rejection::invalid_resource("the slot is in the past"));
    }

    ctx.state.appointment_seq += 1;
    let id = ctx.state.appointment_seq.to_string();
    let mut stored = body;
    stored["id"] = Value::String(id.clone());
    stored["meta"]["versionId"] = Value::String(ctx.state.appointment_seq.to_string());
    let dos = first["id"].as_str().is_some_and(|_| template_resources(true).iter().any(|r| r["id"] == first["id"]));
    let schedule = template_resources(dos).into_iter().find(|r| r["resourceType"] == "Schedule").unwrap_or_default();
    if let Some(ext) = stored["extension"].as_array_mut() {
        ext.extend(schedule["extension"].as_array().into_iter().flatten().cloned());
        ext.extend(first["extension"].as_array().into_iter().flatten().cloned());
    }
    stored["serviceCategory"] = schedule["serviceCategory"].clone();
    stored["serviceType"] = first["serviceType"].clone();
    if actor_ids(&stored, "Practitioner").next().is_none() {
        let practitioner = schedule["actor"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["reference"].as_str())
            .find(|r| r.starts_with("Practitioner/"))
            .map(str::to_owned);
        if let (Some(p), Some(list)) = (practitioner, stored["participant"].as_array_mut()) {
            list.push(json!({ "actor": { "reference": p }, "status": "accepted" }));
        }
    }
    for slot in &refs {
        ctx.state.booked_slots.insert(slot.clone(), id.clone());
    }
    ctx.state.appointments.insert(id.clone(), stored.clone());
    let mut reply = Reply::with_status(201, stored);
    reply.headers.push(("Location".into(), format!("{}/Appointment/{id}", ctx.config.service_root(F))));
    Ok(reply)
}

fn stored(ctx: &Ctx<'_>) -> Result<Value, Rejection> {
    ctx.state
        .appointments
        .get(ctx.param("id"))
        .cloned()
        .ok_or_else(|| Rejection::provider(SpineCode::NoRecordFound, "no appointment with this logical id"))
}

fn read(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    Ok(Reply::ok(stored(ctx)?))
}

/// The resource without the elements an update may change, for comparison.
fn frozen(resource: &Value, changeable: &[&str], drop_cancellation: bool) -> Value {
    let mut v = resource.clone();
    if let Some(map) = v.as_object_mut() {
        map.remove("meta");
        for k in changeable {
            map.remove(*k);
        }
    }
    if drop_cancellation {
        if let Some(ext) = v["extension"].as_array_mut() {
            ext.retain(|e| e["url"] != CANCELLATION_URL);
        }
    }
    v
}

fn update(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let current = stored(ctx)?;
    let body = ctx.body.cloned().ok_or_else(|| Rejection::bad_request("an Appointment body is required"))?;
    if body["resourceType"] != "Appointment" || body["id"].as_str() != Some(ctx.param("id")) {
        return Err(Rejection::invalid_resource("the body must be the Appointment with the id of the URL"));
    }
    let version = current["meta"]["versionId"].as_str().unwrap_or_default().to_owned();
    match header(ctx.request, "if-match") {
        None => return Err(Rejection::bad_request("If-Match is required")),
        Some(tag) if tag.trim() != format!("W/\"{version}\"") => return Err(version_conflict()),
        Some(_) => {}
    }
    if current["status"] == "cancelled" {
        return Err(Rejection::invalid_resource("the appointment is cancelled"));
    }
    let cancel = ctx.interaction == InteractionId::CancelAppointment;
    if cancel {
        if body["status"] != "cancelled" {
            return Err(Rejection::invalid_resource("status must be cancelled"));
        }
        let reason = body["extension"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["url"] == CANCELLATION_URL)
            .and_then(|e| e["valueString"].as_str());
        if reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(Rejection::invalid_resource("the cancellation reason extension is required"));
        }
        if frozen(&body, &["status"], true) != frozen(&current, &["status"], true) {
            return Err(Rejection::invalid_resource("a cancellation may change only status and the reason"));
        }
    } else {
        let description = body["description"].as_str().unwrap_or_default();
        if description.trim().is_empty() || description.chars().count() > 100 {
            return Err(Rejection::invalid_resource("description is required (at most 100 characters)"));
        }
        if body["comment"].as_str().is_some_and(|c| c.chars().count() > 500) {
            return Err(Rejection::invalid_resource("comment is at most 500 characters"));
        }
        let changeable = ["description", "comment"];
        if frozen(&body, &changeable, false) != frozen(&current, &changeable, false) {
            return Err(Rejection::invalid_resource("an amendment may change only description and comment"));
        }
    }
    ctx.state.appointment_seq += 1;
    let mut updated = body;
    updated["meta"] = current["meta"].clone();
    updated["meta"]["versionId"] = Value::String(ctx.state.appointment_seq.to_string());
    let id = ctx.param("id").to_owned();
    if cancel {
        ctx.state.booked_slots.retain(|_, appointment| *appointment != id);
    }
    ctx.state.appointments.insert(id, updated.clone());
    Ok(Reply::ok(updated))
}

fn patient_appointments(ctx: &mut Ctx<'_>) -> Result<Reply, Rejection> {
    let patient = ctx.param("id").to_owned();
    if !ctx.state.patients.values().any(|id| *id == patient) {
        return Err(Rejection::provider(SpineCode::PatientNotFound, "no patient with this logical id"));
    }
    let values = ctx.query_values("start");
    let mut from = None;
    let mut to = None;
    for v in &values {
        let (slot, rest) = match (v.strip_prefix("ge"), v.strip_prefix("le")) {
            (Some(rest), _) => (&mut from, rest),
            (_, Some(rest)) => (&mut to, rest),
            _ => return Err(invalid_parameter("start must have the prefix ge or le")),
        };
        if slot.is_some() || rest.len() != 10 {
            return Err(invalid_parameter("start must be one ge and one le date (no time)"));
        }
        *slot =
            Some(NaiveDate::parse_from_str(rest, "%Y-%m-%d").map_err(|_| invalid_parameter("start must be a date"))?);
    }
    let (Some(from), Some(to)) = (from, to) else {
        return Err(invalid_parameter("start must be given twice: once with ge and once with le"));
    };
    if from < Utc::now().date_naive() {
        return Err(invalid_parameter("the range must not be in the past"));
    }
    if to < from {
        return Err(invalid_parameter("the range ends before it starts"));
    }
    let entries: Vec<Value> = ctx
        .state
        .appointments
        .values()
        .filter(|a| actor_ids(a, "Patient").any(|p| p == patient))
        .filter(|a| {
            a["start"]
                .as_str()
                .and_then(|s| NaiveDateTime::parse_from_str(s.get(..19).unwrap_or(""), "%Y-%m-%dT%H:%M:%S").ok())
                .is_some_and(|s| s.date() >= from && s.date() <= to)
        })
        .map(|a| json!({ "resource": a }))
        .collect();
    if entries.is_empty() {
        return Ok(Reply::ok(super::empty_searchset()));
    }
    Ok(Reply::ok(json!({
        "resourceType": "Bundle",
        "id": uuid::Uuid::new_v4().to_string(),
        "type": "searchset",
        "entry": entries,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uk_offset_follows_british_summer_time() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(uk_offset(d(1, 10)).local_minus_utc(), 0);
        assert_eq!(uk_offset(d(3, 29)).local_minus_utc(), 3600); // last Sunday of March 2026
        assert_eq!(uk_offset(d(3, 28)).local_minus_utc(), 0);
        assert_eq!(uk_offset(d(10, 25)).local_minus_utc(), 0); // last Sunday of October 2026
        assert_eq!(uk_offset(d(10, 24)).local_minus_utc(), 3600);
    }

    #[test]
    fn generated_slots_keep_the_example_times_of_day() {
        let slot = find_slot("1584-20260105").unwrap();
        assert_eq!(slot["start"], "2026-01-05T11:30:00+00:00");
        assert_eq!(slot["end"], "2026-01-05T11:40:00+00:00");
        assert!(find_slot("9999-20260105").is_none());
        assert!(find_slot("1584").is_none());
    }
}
