//! Search for free slots: `GET /Slot`.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::fhir::lenient::{Problem, ProblemKind, Report, Targets};
use gpconnect_core::fhir::{
    one_or_many, Address, Bundle, Extension, Extensions, FhirDateTime, FhirResource, HealthcareService, Location,
    Organization, Practitioner, Reference,
};
use gpconnect_core::{Call, InteractionId, OdsCode, Operation, Request, Response, Result, SlotId};
use serde::Deserialize;

use crate::model::{
    delivery_channel_code, DeliveryChannel, PractitionerRole, ScheduleResource, ServiceFilteringStatus, SlotResource,
    DELIVERY_CHANNELS, DELIVERY_CHANNEL_PATH, DOS_SERVICE_ID_SYSTEM, ORGANISATION_TYPE_SYSTEM,
    SERVICE_FILTERING_STATUS_URL,
};

/// The longest `start`..`end` window a provider accepts (spec 4.1: two weeks).
pub const MAX_WINDOW_DAYS: i64 = 14;

/// One end of a slot search window: a whole date or a date-time.
///
/// Sent as `start=ge<value>` / `end=le<value>` (`2026-03-02` or `2026-03-02T09:00:00+00:00`);
/// a date-time is written in UK local time with the UK offset of that instant (`+01:00`
/// in summer), as the spec asks, whatever offset it was given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotTime {
    /// A whole date (`yyyy-mm-dd`).
    Date(NaiveDate),
    /// A date-time with offset (`yyyy-mm-ddThh:mm:ss+hh:mm`; UK local time).
    DateTime(DateTime<FixedOffset>),
}

impl From<NaiveDate> for SlotTime {
    fn from(d: NaiveDate) -> Self {
        SlotTime::Date(d)
    }
}

impl From<DateTime<FixedOffset>> for SlotTime {
    fn from(d: DateTime<FixedOffset>) -> Self {
        SlotTime::DateTime(d)
    }
}

impl fmt::Display for SlotTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlotTime::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            // UK local time with the UK offset of that instant, whatever offset was given.
            SlotTime::DateTime(t) => {
                f.write_str(&gpconnect_core::uk::fhir_date_time(gpconnect_core::uk::at(t.to_utc())))
            }
        }
    }
}

impl SlotTime {
    /// The date part.
    pub fn date(&self) -> NaiveDate {
        match self {
            SlotTime::Date(d) => *d,
            SlotTime::DateTime(t) => t.date_naive(),
        }
    }

    /// The instant, a whole date taken at midnight in `offset`.
    fn instant(&self, offset: FixedOffset) -> DateTime<FixedOffset> {
        match self {
            SlotTime::Date(d) => offset
                .from_local_datetime(&d.and_time(NaiveTime::MIN))
                .single()
                .expect("a fixed offset maps every local time"),
            SlotTime::DateTime(t) => *t,
        }
    }

    fn offset(&self) -> Option<FixedOffset> {
        match self {
            SlotTime::Date(_) => None,
            SlotTime::DateTime(t) => Some(*t.offset()),
        }
    }
}

/// Checks a slot search window: `end` not before `start`, at most 14 days apart.
///
/// Two dates are compared as days (`2026-03-01`..`2026-03-15` is 14 days, accepted, as
/// the provider conformance tests do); a date against a date-time is taken at midnight in
/// the date-time's offset.
pub fn check_window(start: SlotTime, end: SlotTime) -> Result<(), InvalidInput> {
    let offset = start.offset().or(end.offset()).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    let (s, e) = (start.instant(offset), end.instant(offset));
    if e < s {
        return Err(InvalidInput::Parameter { parameter: "end", problem: "end is before start".into() });
    }
    if e - s > Duration::days(MAX_WINDOW_DAYS) {
        return Err(InvalidInput::Parameter {
            parameter: "end",
            problem: format!(
                "the window from start to end exceeds {MAX_WINDOW_DAYS} days; split it (see split_window)"
            ),
        });
    }
    Ok(())
}

/// Splits the dates `from`..=`to` into consecutive windows of at most 14 days each, for
/// one slot search per window. Empty when `to` is before `from`.
///
/// ```
/// # use chrono::NaiveDate;
/// let d = |day| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
/// let windows = gpconnect_appointments::split_window(d(1), d(31));
/// assert_eq!(windows, vec![(d(1), d(15)), (d(16), d(30)), (d(31), d(31))]);
/// ```
pub fn split_window(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = (start + Duration::days(MAX_WINDOW_DAYS)).min(to);
        out.push((start, end));
        start = end + Duration::days(1);
    }
    out
}

/// The consumer's organisation type, for `searchFilter` and the booking organisation's
/// `type` (`GPConnect-OrganisationType-1`).
///
/// The spec pages name `gp-practice` and `urgent-care`; other codes of the code system
/// go in [`OrganisationType::Other`] (UNSURE: the full code list is not on the 1.2.x pages).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrganisationType {
    /// `gp-practice`.
    GpPractice,
    /// `urgent-care`.
    UrgentCare,
    /// Any other code of `GPConnect-OrganisationType-1`.
    Other(String),
}

impl OrganisationType {
    /// The type with this `GPConnect-OrganisationType-1` code.
    pub fn from_code(code: &str) -> Self {
        match code {
            "gp-practice" => OrganisationType::GpPractice,
            "urgent-care" => OrganisationType::UrgentCare,
            other => OrganisationType::Other(other.to_owned()),
        }
    }

    /// The code.
    pub fn code(&self) -> &str {
        match self {
            OrganisationType::GpPractice => "gp-practice",
            OrganisationType::UrgentCare => "urgent-care",
            OrganisationType::Other(s) => s,
        }
    }
}

/// Whether to ask for the recommended `_include:recurse` resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Includes {
    /// `Schedule:actor:Practitioner`, `Schedule:actor:Location` and
    /// `Location:managingOrganization` (the default, recommended by the spec).
    Recommended,
    /// 1.2.8 providers: the recommended includes with
    /// `_include:recurse=Schedule:actor:HealthcareService` between the Location and
    /// managing organisation ones, as every 1.2.8 example sends it. Implied by
    /// [`SearchFreeSlots::dos_service_id`].
    RecommendedWithHealthcareService,
    /// Only the mandatory `_include=Slot:schedule`.
    ScheduleOnly,
}

/// A practitioner as shown with a slot or appointment. `Debug` by the SDK's one rule: the
/// id and gender, the name by presence.
#[derive(Clone, PartialEq, Eq)]
pub struct SlotPractitioner {
    /// Logical id.
    pub id: String,
    /// Display name (`prefix given family`).
    pub name: Option<String>,
    /// `male | female | other | unknown`.
    pub gender: Option<String>,
}

/// The location (surgery) of a slot. `Debug` by the SDK's one rule: the id, the name and
/// address by presence.
#[derive(Clone, PartialEq)]
pub struct SlotLocation {
    /// Logical id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Address.
    pub address: Option<Address>,
}

gpconnect_core::redacted_debug!(SlotPractitioner, id, gender [name]; SlotLocation, id [name, address]);

/// A free slot with what the spec says consumers must show (spec 4.1), and what booking
/// needs. Pass one or more adjacent slots to [`Appointments::book`](crate::Appointments::book).
/// `Debug` shows ids, times and codes (screened), not names or addresses.
#[derive(Clone)]
pub struct FreeSlot {
    /// Logical id (`Slot/<id>`).
    pub id: SlotId,
    /// Start.
    pub start: FhirDateTime,
    /// End.
    pub end: FhirDateTime,
    /// The schedule's logical id.
    pub schedule_id: Option<String>,
    /// Delivery channel (`Extension-GPConnect-DeliveryChannel-2`).
    pub delivery_channel: Option<DeliveryChannel>,
    /// Slot type (`Slot.serviceType.text`).
    pub service_type: Option<String>,
    /// Session / rota name (`Schedule.serviceCategory.text`).
    pub service_category: Option<String>,
    /// Practitioner role (`Extension-GPConnect-PractitionerRole-1` on the schedule).
    pub practitioner_role: Option<PractitionerRole>,
    /// The practitioner, when the schedule names one.
    pub practitioner: Option<SlotPractitioner>,
    /// The location, when the schedule names one (it should).
    pub location: Option<SlotLocation>,
    /// The organisation managing the location.
    pub organisation: Option<Organization>,
    /// The 1.2.8 healthcare service the schedule belongs to, when included.
    pub healthcare_service: Option<HealthcareService>,
    /// The logical id of the 1.2.8 healthcare service actor, when the schedule names one.
    pub healthcare_service_id: Option<String>,
    /// The organisation type sent in the search, which the booking organisation's `type`
    /// must equal.
    pub searched_organisation_type: Option<OrganisationType>,
    /// The ODS code sent in the search's `searchFilter`, which a booking of this slot
    /// sends as the booking organisation's (slots restricted to an ODS code are only
    /// bookable by it).
    pub searched_ods: Option<OdsCode>,
    /// The Slot's own problems.
    problems: Vec<Problem>,
}

impl fmt::Debug for FreeSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use gpconnect_core::ids::Screened;
        f.debug_struct("FreeSlot")
            .field("id", &self.id)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("schedule_id", &Screened(&self.schedule_id))
            .field("delivery_channel", &self.delivery_channel)
            .field("service_type", &Screened(&self.service_type))
            .field("service_category", &Screened(&self.service_category))
            .field("practitioner_id", &Screened(self.practitioner.as_ref().map(|p| &p.id)))
            .field("location_id", &Screened(self.location.as_ref().map(|l| &l.id)))
            .field("organisation", &Screened(self.organisation.as_ref().and_then(|o| o.ods_code())))
            .field("healthcare_service_id", &Screened(&self.healthcare_service_id))
            .field("searched_ods", &self.searched_ods)
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

impl FreeSlot {
    /// The Slot's fields that could not be read as the spec says (each problem names the
    /// field's path; the slot is kept with its other fields). Problems of the schedule,
    /// location and organisations it names are on [`FreeSlots::problems`], once.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

/// The answer to a free slot search.
///
/// One malformed field costs only that field: the slot stays with its other fields, and
/// [`problems`](Self::problems) (and the slot's own [`FreeSlot::problems`]) names the
/// field's path. A Slot is left out only when it has no id, start or end (it could be
/// neither shown nor booked), cannot be read, or repeats an id already listed; each is a
/// reported problem too.
#[derive(Debug, Clone)]
pub struct FreeSlots {
    /// The free slots, in the order the provider sent them.
    pub slots: Vec<FreeSlot>,
    /// The 1.2.8 service filtering status, when the provider reported one.
    pub service_filtering: Option<ServiceFilteringStatus>,
    problems: Vec<Problem>,
}

/// Searches for free slots; see [`Appointments::search_free_slots`](crate::Appointments::search_free_slots).
///
/// `GET /Slot?start=ge..&end=le..&status=free&_include=Slot:schedule&...`
/// (`urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1`, `organization/*.read`).
///
/// # Example
/// ```no_run
/// # use gpconnect_appointments::{AppointmentsExt, OrganisationType};
/// # async fn demo(p: gpconnect_core::Provider) -> gpconnect_core::Result<()> {
/// let today = chrono::Utc::now().date_naive();
/// let free = p
///     .appointments()
///     .search_free_slots(today, today + chrono::Duration::days(7))
///     .organisation_type(OrganisationType::UrgentCare)
///     .send()
///     .await?;
/// println!("{} free slots (Ssp-TraceID {})", free.slots.len(), free.trace_id);
/// # Ok(()) }
/// ```
///
/// # Errors
/// `InvalidInput` naming `start`/`end` for a window over 14 days or reversed (nothing
/// sent); `422 INVALID_PARAMETER`; `NO_RECORD_FOUND` when 1.2.8 service filtering is
/// on and the DOS service is unknown; transport errors. Safe to retry: a read.
#[derive(Debug)]
#[must_use = "an operation does nothing until `send()` is awaited"]
pub struct SearchFreeSlots {
    pub(crate) call: Call,
    pub(crate) start: SlotTime,
    pub(crate) end: SlotTime,
    pub(crate) consumer_ods: Option<OdsCode>,
    pub(crate) organisation_type: Option<OrganisationType>,
    pub(crate) dos_service_id: Option<String>,
    pub(crate) includes: Includes,
}

gpconnect_core::builder!(SearchFreeSlots);

impl SearchFreeSlots {
    /// The consumer ODS code sent in `searchFilter` (default: the requesting
    /// organisation, that is the user's [`organisation`](gpconnect_core::User::organisation)
    /// when set, else the client's consumer ODS). Bookings of the slots found use it.
    pub fn consumer_ods(mut self, ods: &OdsCode) -> Self {
        self.consumer_ods = Some(ods.clone());
        self
    }

    /// The consumer's organisation type sent in `searchFilter` (default: the client's
    /// [`Consumer::organisation_type`](gpconnect_core::Consumer::organisation_type), sent
    /// whenever the consumer has one). The booking organisation of a booking from these
    /// slots carries the same type.
    pub fn organisation_type(mut self, kind: OrganisationType) -> Self {
        self.organisation_type = Some(kind);
        self
    }

    /// 1.2.8: the DOS service id (`service.identifier=https://fhir.nhs.uk/Id/uec-dos-service-id|<id>`),
    /// which also asks for `_include:recurse=Schedule:actor:HealthcareService` (as
    /// [`Includes::RecommendedWithHealthcareService`]). Only for providers whose
    /// capability statement says 1.2.8 (spec 4.8).
    pub fn dos_service_id(mut self, id: impl Into<String>) -> Self {
        self.dos_service_id = Some(id.into());
        self
    }

    /// Which resources to include (default [`Includes::Recommended`]).
    pub fn includes(mut self, includes: Includes) -> Self {
        self.includes = includes;
        self
    }
}

impl Operation for SearchFreeSlots {
    type Answer = Response;
    type Output = FreeSlots;

    fn interaction(&self) -> InteractionId {
        InteractionId::SearchFreeSlots
    }

    fn request(&self) -> Result<Request> {
        check_window(self.start, self.end)?;
        if let Some(id) = &self.dos_service_id {
            if id.trim().is_empty() || id.contains('|') {
                return Err(InvalidInput::Parameter {
                    parameter: "service.identifier",
                    problem: "the DOS service id is empty or contains '|'".into(),
                }
                .into());
            }
        }
        if let Some(OrganisationType::Other(code)) = &self.searched_organisation_type() {
            if code.trim().is_empty() || code.contains('|') {
                return Err(InvalidInput::Parameter {
                    parameter: "searchFilter",
                    problem: "the organisation type code is empty or contains '|'".into(),
                }
                .into());
            }
        }
        let ods = self.searched_ods();
        let mut request = Request::get(InteractionId::SearchFreeSlots, "Slot")
            .query("start", format!("ge{}", self.start))
            .query("end", format!("le{}", self.end))
            .query("status", "free")
            .query("_include", "Slot:schedule");
        // In the order of the spec's 1.2.8 examples.
        let healthcare_service =
            self.includes == Includes::RecommendedWithHealthcareService || self.dos_service_id.is_some();
        if self.includes != Includes::ScheduleOnly {
            request = request
                .query("_include:recurse", "Schedule:actor:Practitioner")
                .query("_include:recurse", "Schedule:actor:Location");
        }
        if healthcare_service {
            request = request.query("_include:recurse", "Schedule:actor:HealthcareService");
        }
        if self.includes != Includes::ScheduleOnly {
            request = request.query("_include:recurse", "Location:managingOrganization");
        }
        request = request.query("searchFilter", format!("{}|{}", OdsCode::SYSTEM, ods.as_str()));
        if let Some(kind) = &self.searched_organisation_type() {
            request = request.query("searchFilter", format!("{ORGANISATION_TYPE_SYSTEM}|{}", kind.code()));
        }
        if let Some(id) = &self.dos_service_id {
            request = request.query("service.identifier", format!("{DOS_SERVICE_ID_SYSTEM}|{id}"));
        }
        Ok(request)
    }

    fn parse(&self, response: Response) -> Result<FreeSlots> {
        let mut found = parse_free_slots(&response, self.searched_organisation_type())?;
        let ods = self.searched_ods();
        for slot in &mut found.slots {
            slot.searched_ods = Some(ods.clone());
        }
        Ok(found)
    }
}

impl SearchFreeSlots {
    /// The ODS code this search sends: set on the search, else the requesting organisation.
    fn searched_ods(&self) -> OdsCode {
        self.consumer_ods.clone().unwrap_or_else(|| self.call.requesting_ods())
    }

    /// The organisation type this search sends: set on the search, else the consumer's.
    fn searched_organisation_type(&self) -> Option<OrganisationType> {
        self.organisation_type
            .clone()
            .or_else(|| self.call.provider().client().consumer().organisation_type().map(OrganisationType::from_code))
    }
}

impl FreeSlots {
    /// Builds the slots of a search answer already parsed (for other transports, such as
    /// the patient-facing API, and saved answers), with schedule, practitioner, location
    /// and organisation resolved. No service filtering status is read.
    ///
    /// # Errors
    /// None any more: every resource problem is reported in
    /// [`problems`](Self::problems) instead. The `Result` is kept so callers written for
    /// earlier versions still compile.
    pub fn from_bundle(bundle: &Bundle) -> std::result::Result<Self, serde_json::Error> {
        let (slots, problems) = free_slots_from_bundle(bundle, None);
        Ok(FreeSlots { slots, service_filtering: None, problems })
    }

    /// Everything in the answer that could not be read as the spec says: malformed fields
    /// of the slots kept (also on each [`FreeSlot::problems`]), slots left out (no
    /// identity, unreadable, a second copy), and malformed fields of the schedules,
    /// locations, practitioners, organisations and healthcare services, each once. Names
    /// paths, never values.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BundleMetaPeek {
    meta: Option<MetaPeek>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MetaPeek {
    #[serde(deserialize_with = "one_or_many")]
    extension: Vec<Extension>,
}

pub(crate) fn parse_free_slots(response: &Response, searched: Option<OrganisationType>) -> Result<FreeSlots> {
    let bundle: Bundle = response.resource()?;
    let mut problems = Vec::new();
    let peek = serde_json::from_slice::<BundleMetaPeek>(&response.body.0).unwrap_or_else(|_| {
        problems.push(Problem::new(None, Bundle::TYPE, ProblemKind::MalformedField { path: "meta".into() }));
        BundleMetaPeek::default()
    });
    let service_filtering = peek
        .meta
        .and_then(|m| m.extension.extension(SERVICE_FILTERING_STATUS_URL).and_then(|e| e.value_code.clone()))
        .map(|c| ServiceFilteringStatus::from_code(&c));
    let (slots, mut slot_problems) = free_slots_from_bundle(&bundle, searched);
    problems.append(&mut slot_problems);
    Ok(FreeSlots { slots, service_filtering, problems })
}

/// The Slot `status` codes (FHIR STU3 `slotstatus`).
const SLOT_STATUS: [&str; 5] = ["busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"];

/// Builds the typed slots of a search answer, resolving schedule, practitioner, location,
/// organisation and healthcare service (each parsed once), with the problems found.
pub(crate) fn free_slots_from_bundle(
    bundle: &Bundle,
    searched: Option<OrganisationType>,
) -> (Vec<FreeSlot>, Vec<Problem>) {
    let mut targets = Targets::new(bundle);
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    // Sized once: doubling a vector of large items would hold three times their room.
    let mut out = Vec::with_capacity(targets.entries::<SlotResource>().count());
    for (entry, raw) in targets.entries::<SlotResource>() {
        let mut own = Vec::new();
        let mut report = Report::new(SlotResource::TYPE, Some(entry), &mut own);
        let Some(slot) = report.read_with::<SlotResource>(targets.repairer(), raw.raw()) else {
            problems.append(&mut own);
            continue;
        };
        let id = slot.id.as_deref().and_then(|id| SlotId::parse(id).ok());
        let (Some(id), Some(start), Some(end)) = (id, slot.start.clone(), slot.end.clone()) else {
            report.push(ProblemKind::NoIdentity);
            problems.append(&mut own);
            continue;
        };
        if !seen.insert(id.clone()) {
            problems.push(Problem::new(Some(entry), SlotResource::TYPE, ProblemKind::Duplicate));
            continue;
        }
        report.code("status", slot.status.as_deref(), &SLOT_STATUS);
        report.code(DELIVERY_CHANNEL_PATH, delivery_channel_code(&slot.extension), &DELIVERY_CHANNELS);
        report.date("start", Some(&start), true);
        report.date("end", Some(&end), true);
        let schedule = slot.schedule.as_ref().and_then(|r| targets.copy::<ScheduleResource>(r));
        let actor = |ty: &str| -> Option<&Reference> {
            schedule.as_ref()?.actor.iter().find(|r| r.resource_type() == Some(ty))
        };
        let practitioner = actor("Practitioner").and_then(|r| practitioner_view(&mut targets, r));
        let location = actor("Location").and_then(|r| targets.copy::<Location>(r));
        let organisation = location
            .as_ref()
            .and_then(|l| l.managing_organization.as_ref())
            .and_then(|r| targets.copy::<Organization>(r));
        let healthcare_service = actor("HealthcareService").and_then(|r| targets.copy::<HealthcareService>(r));
        // A schedule whose location was not included still names it: keep its id.
        let location_id = actor("Location").and_then(|r| r.id()).map(str::to_owned);
        let location = match location {
            Some(l) => Some(SlotLocation {
                id: l.id.clone().or_else(|| location_id.clone()).unwrap_or_default(),
                name: l.name,
                address: l.address,
            }),
            None => location_id.map(|id| SlotLocation { id, name: None, address: None }),
        };
        problems.extend(own.iter().cloned());
        out.push(FreeSlot {
            id,
            start,
            end,
            schedule_id: slot.schedule.as_ref().and_then(|r| r.id()).map(str::to_owned),
            delivery_channel: DeliveryChannel::from_extensions(&slot.extension),
            service_type: slot.service_type.iter().find_map(|c| c.display_text().map(str::to_owned)),
            service_category: schedule
                .as_ref()
                .and_then(|s| s.service_category.as_ref())
                .and_then(|c| c.display_text().map(str::to_owned)),
            practitioner_role: schedule.as_ref().and_then(|s| PractitionerRole::from_extensions(&s.extension)),
            practitioner,
            location,
            organisation,
            healthcare_service,
            healthcare_service_id: actor("HealthcareService").and_then(|r| r.id()).map(str::to_owned),
            searched_organisation_type: searched.clone(),
            searched_ods: None,
            problems: own,
        });
    }
    problems.append(&mut targets.take_problems());
    out.shrink_to_fit();
    (out, problems)
}

/// The practitioner a schedule names: its id always, its name and gender when included.
fn practitioner_view(targets: &mut Targets<'_>, reference: &Reference) -> Option<SlotPractitioner> {
    let id = reference.id()?.to_owned();
    let found = targets.get::<Practitioner>(reference);
    Some(SlotPractitioner {
        id,
        name: found.and_then(|p| p.name.first()).map(|n| n.display()).filter(|n| !n.is_empty()),
        gender: found.and_then(|p| p.gender.clone()),
    })
}
