//! Wire models of the Appointment Management resources (Slot, Schedule, Appointment) and
//! the typed views users get.

use std::fmt;

use gpconnect_core::fhir::lenient::{self, Problem, Report};
use gpconnect_core::fhir::FhirResource;
use gpconnect_core::fhir::{
    one_or_many, CodeableConcept, Extension, Extensions, FhirDateTime, Meta, Organization, Period, RawResource,
    Reference,
};
use gpconnect_core::PatientMismatch;
use serde::Deserialize;
use serde_json::Value;

/// `Extension-GPConnect-DeliveryChannel-2` (on Slot and Appointment).
pub const DELIVERY_CHANNEL_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2";
/// `Extension-GPConnect-PractitionerRole-1` (on Schedule and Appointment).
pub const PRACTITIONER_ROLE_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-PractitionerRole-1";
/// `Extension-GPConnect-BookingOrganisation-1` (on Appointment).
pub const BOOKING_ORGANISATION_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1";
/// `Extension-GPConnect-AppointmentCancellationReason-1` (on a cancelled Appointment).
pub const CANCELLATION_REASON_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-AppointmentCancellationReason-1";
/// `Extension-GPConnect-ServiceFilteringStatus-1` (on a 1.2.8 slot search Bundle's `meta`).
pub const SERVICE_FILTERING_STATUS_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-ServiceFilteringStatus-1";
/// The Appointment profile.
pub const APPOINTMENT_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1";
/// The booking Organization profile.
pub const ORGANIZATION_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Organization-1";
/// The organisation type code system used by `searchFilter` and the booking organisation.
pub const ORGANISATION_TYPE_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1";
/// The DOS service id identifier system (1.2.8 `service.identifier`).
pub const DOS_SERVICE_ID_SYSTEM: &str = "https://fhir.nhs.uk/Id/uec-dos-service-id";

/// The Appointment `status` codes (FHIR STU3 `appointmentstatus`).
const APPOINTMENT_STATUS: [&str; 8] =
    ["proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow", "entered-in-error"];
/// The delivery channel codes (`GPConnect-DeliveryChannel-2`).
pub(crate) const DELIVERY_CHANNELS: [&str; 3] = ["In-person", "Telephone", "Video"];
/// The path a problem with the delivery channel names.
pub(crate) const DELIVERY_CHANNEL_PATH: &str = "extension(DeliveryChannel).valueCode";

/// The delivery channel code of a resource's extensions.
pub(crate) fn delivery_channel_code(ext: &[Extension]) -> Option<&str> {
    ext.extension(DELIVERY_CHANNEL_URL).and_then(|e| e.value_code.as_deref())
}

/// The `Slot` resource (GPConnect-Slot-1), as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct SlotResource {
    pub id: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub extension: Vec<Extension>,
    #[serde(deserialize_with = "one_or_many")]
    pub service_type: Vec<CodeableConcept>,
    pub schedule: Option<Reference>,
    pub status: Option<String>,
    pub start: Option<FhirDateTime>,
    pub end: Option<FhirDateTime>,
}

impl FhirResource for SlotResource {
    const TYPE: &'static str = "Slot";
}

/// The `Schedule` resource (GPConnect-Schedule-1), as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ScheduleResource {
    #[serde(deserialize_with = "one_or_many")]
    pub extension: Vec<Extension>,
    pub service_category: Option<CodeableConcept>,
    #[serde(deserialize_with = "one_or_many")]
    pub actor: Vec<Reference>,
    #[allow(dead_code)]
    pub planning_horizon: Option<Period>,
}

impl FhirResource for ScheduleResource {
    const TYPE: &'static str = "Schedule";
}

/// The `Appointment` resource (GPConnect-Appointment-1), as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct AppointmentResource {
    pub id: Option<String>,
    pub meta: Option<Meta>,
    #[serde(deserialize_with = "one_or_many")]
    pub contained: Vec<RawResource>,
    #[serde(deserialize_with = "one_or_many")]
    pub extension: Vec<Extension>,
    pub status: Option<String>,
    pub service_category: Option<CodeableConcept>,
    #[serde(deserialize_with = "one_or_many")]
    pub service_type: Vec<CodeableConcept>,
    pub description: Option<String>,
    pub start: Option<FhirDateTime>,
    pub end: Option<FhirDateTime>,
    #[serde(deserialize_with = "one_or_many")]
    pub slot: Vec<Reference>,
    pub created: Option<FhirDateTime>,
    pub comment: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub participant: Vec<ParticipantResource>,
}

impl FhirResource for AppointmentResource {
    const TYPE: &'static str = "Appointment";
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ParticipantResource {
    pub actor: Option<Reference>,
}

/// How the patient attends (`Extension-GPConnect-DeliveryChannel-2`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryChannel {
    /// `In-person`.
    InPerson,
    /// `Telephone`.
    Telephone,
    /// `Video`.
    Video,
    /// Any other code, kept as sent.
    Other(String),
}

impl DeliveryChannel {
    /// Maps a `valueCode`.
    pub fn from_code(code: &str) -> Self {
        match code {
            "In-person" => DeliveryChannel::InPerson,
            "Telephone" => DeliveryChannel::Telephone,
            "Video" => DeliveryChannel::Video,
            other => DeliveryChannel::Other(other.to_owned()),
        }
    }

    /// The code as the spec writes it.
    pub fn as_str(&self) -> &str {
        match self {
            DeliveryChannel::InPerson => "In-person",
            DeliveryChannel::Telephone => "Telephone",
            DeliveryChannel::Video => "Video",
            DeliveryChannel::Other(s) => s,
        }
    }

    pub(crate) fn from_extensions(ext: &[Extension]) -> Option<Self> {
        delivery_channel_code(ext).map(Self::from_code)
    }
}

impl fmt::Display for DeliveryChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The practitioner role of a schedule or appointment (`Extension-GPConnect-PractitionerRole-1`,
/// a code from `CareConnect-SDSJobRoleName-1`, e.g. `R0260` "General Medical Practitioner").
#[derive(Clone, PartialEq, Eq)]
pub struct PractitionerRole {
    /// The SDS job role code.
    pub code: Option<String>,
    /// Its display text.
    pub display: Option<String>,
}

gpconnect_core::redacted_debug!(PractitionerRole, code[display]);

impl PractitionerRole {
    pub(crate) fn from_extensions(ext: &[Extension]) -> Option<Self> {
        let cc = ext.extension(PRACTITIONER_ROLE_URL)?.value_codeable_concept.as_deref()?;
        let coding = cc.coding.first();
        Some(PractitionerRole {
            code: coding.and_then(|c| c.code.clone()),
            display: cc.display_text().map(str::to_owned),
        })
    }
}

/// The 1.2.8 service filtering status a provider reports when `service.identifier` was sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServiceFilteringStatus {
    /// `enabled`: slots were filtered by the DOS service.
    Enabled,
    /// `organization-disabled`: the practice does not filter; the parameter was ignored.
    OrganizationDisabled,
    /// `supplier-disabled`: the supplier does not filter; the parameter was ignored.
    SupplierDisabled,
    /// Any other code, kept as sent.
    Other(String),
}

impl ServiceFilteringStatus {
    /// Maps a `valueCode`.
    pub fn from_code(code: &str) -> Self {
        match code {
            "enabled" => ServiceFilteringStatus::Enabled,
            "organization-disabled" => ServiceFilteringStatus::OrganizationDisabled,
            "supplier-disabled" => ServiceFilteringStatus::SupplierDisabled,
            other => ServiceFilteringStatus::Other(other.to_owned()),
        }
    }
}

/// The appointment status (`booked`, `cancelled`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AppointmentStatus {
    /// `booked`.
    Booked,
    /// `cancelled`.
    Cancelled,
    /// Any other status (`arrived`, `fulfilled`, `noshow`, ...), kept as sent.
    Other(String),
}

impl AppointmentStatus {
    fn from_code(code: &str) -> Self {
        match code {
            "booked" => AppointmentStatus::Booked,
            "cancelled" => AppointmentStatus::Cancelled,
            other => AppointmentStatus::Other(other.to_owned()),
        }
    }
}

/// An appointment as the provider holds it (GPConnect-Appointment-1).
///
/// Keeps the JSON as read, so [`amend`](crate::Appointments::amend) and
/// [`cancel`](crate::Appointments::cancel) send it back with only the allowed elements
/// changed (elements this SDK does not model are preserved). The fields are a view of
/// that JSON: changing `description`, `comment` or `status` here changes nothing that is
/// sent (use the amend and cancel setters); `id` and `version_id` address the request and
/// its `If-Match`. `Debug` redacts the free texts (description, comment, cancellation
/// reason), which may hold patient details.
#[derive(Clone)]
pub struct Appointment {
    /// Logical id.
    pub id: Option<String>,
    /// The version (`ETag` of the answer, else `meta.versionId`), sent back in `If-Match`.
    pub version_id: Option<String>,
    /// Status.
    pub status: Option<AppointmentStatus>,
    /// Start (UK local time with offset).
    pub start: Option<FhirDateTime>,
    /// End.
    pub end: Option<FhirDateTime>,
    /// When it was booked.
    pub created: Option<FhirDateTime>,
    /// Short description (at most 100 characters from consumers).
    pub description: Option<String>,
    /// Patient-specific comment (at most 500 characters from consumers).
    pub comment: Option<String>,
    /// Reason given when it was cancelled.
    pub cancellation_reason: Option<String>,
    /// The booked slots' logical ids.
    pub slot_ids: Vec<String>,
    /// The patient's logical id (the NHS number in the patient-facing API). Redacted in `Debug`.
    pub patient_id: Option<String>,
    /// The location's logical id.
    pub location_id: Option<String>,
    /// The practitioner's logical id, when one takes part.
    pub practitioner_id: Option<String>,
    /// The 1.2.8 healthcare service's logical id, when one takes part.
    pub healthcare_service_id: Option<String>,
    /// The booking organisation (the contained Organization the booking-organisation
    /// extension points at).
    pub booking_organisation: Option<Organization>,
    /// Delivery channel.
    pub delivery_channel: Option<DeliveryChannel>,
    /// Practitioner role.
    pub practitioner_role: Option<PractitionerRole>,
    /// Slot type (`serviceType.text`).
    pub service_type: Option<String>,
    /// Session / rota name (`serviceCategory.text`).
    pub service_category: Option<String>,
    /// Every distinct `Patient/{id}` participant (one in a conformant appointment).
    pub(crate) patient_ids: Vec<String>,
    pub(crate) problems: Vec<Problem>,
    /// The JSON text as read.
    pub(crate) raw: Box<serde_json::value::RawValue>,
}

impl fmt::Debug for Appointment {
    /// By the SDK's one rule: ids, codes and times screened; texts, the patient (the
    /// patient-facing API names them by NHS number) and the booking organisation by presence.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        gpconnect_core::redact::RedactedStruct::new(f, "Appointment")
            .screened("id", &self.id)
            .screened("version_id", &self.version_id)
            .screened("status", &self.status)
            .screened("start", &self.start)
            .screened("end", &self.end)
            .screened("created", &self.created)
            .present("description", self.description.is_some())
            .present("comment", self.comment.is_some())
            .present("cancellation_reason", self.cancellation_reason.is_some())
            .screened("slot_ids", &self.slot_ids)
            .present("patient_id", self.patient_id.is_some())
            .screened("location_id", &self.location_id)
            .screened("practitioner_id", &self.practitioner_id)
            .screened("healthcare_service_id", &self.healthcare_service_id)
            .screened("booking_organisation", &self.booking_organisation.as_ref().and_then(|o| o.ods_code()))
            .screened("delivery_channel", &self.delivery_channel)
            .present("service_type", self.service_type.is_some())
            .present("service_category", self.service_category.is_some())
            .screened("problems", &self.problems)
            .finish()
    }
}

impl Appointment {
    /// Parses an Appointment from JSON text, keeping the JSON for amend and cancel.
    ///
    /// One malformed field costs only that field: it is left empty (or read as its single
    /// element) and named in [`problems`](Self::problems).
    ///
    /// # Errors
    /// Only when the text is not JSON, not an object, or nested deeper than
    /// [`MAX_DEPTH`](gpconnect_core::fhir::lenient::MAX_DEPTH) levels.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        let mut problems = Vec::new();
        Self::read(json, None, &mut problems)
    }

    /// Reads the Appointment at `entry` of a Bundle (`None`: the whole answer), its
    /// problems pushed to `problems` as well as kept on the appointment.
    pub(crate) fn read(json: &str, entry: Option<usize>, all: &mut Vec<Problem>) -> Result<Self, serde_json::Error> {
        use serde::de::Error as _;
        let raw: Box<serde_json::value::RawValue> = serde_json::from_str(json)?;
        if !raw.get().starts_with('{') {
            return Err(serde_json::Error::custom("an Appointment is a JSON object"));
        }
        let mut problems = Vec::new();
        let mut report = Report::new(AppointmentResource::TYPE, entry, &mut problems);
        let wire: AppointmentResource =
            report.read(json).ok_or_else(|| serde_json::Error::custom("an Appointment nested too deep"))?;
        report.code("status", wire.status.as_deref(), &APPOINTMENT_STATUS);
        report.code(DELIVERY_CHANNEL_PATH, delivery_channel_code(&wire.extension), &DELIVERY_CHANNELS);
        report.date("start", wire.start.as_ref(), true);
        report.date("end", wire.end.as_ref(), true);
        report.date("created", wire.created.as_ref(), false);
        all.extend(problems.iter().cloned());
        Ok(Self::from_wire(wire, raw, problems))
    }

    fn from_wire(wire: AppointmentResource, raw: Box<serde_json::value::RawValue>, problems: Vec<Problem>) -> Self {
        let actor_id = |ty: &str| {
            wire.participant.iter().filter_map(|p| p.actor.as_ref()).find_map(|r| match r.parse() {
                Some((t, id)) if t == ty => Some(id.to_owned()),
                _ => None,
            })
        };
        let mut patient_ids: Vec<String> = Vec::new();
        for r in wire.participant.iter().filter_map(|p| p.actor.as_ref()) {
            if let Some(("Patient", id)) = r.parse() {
                if !patient_ids.iter().any(|known| known == id) {
                    patient_ids.push(id.to_owned());
                }
            }
        }
        let booking_ref = wire
            .extension
            .extension(BOOKING_ORGANISATION_URL)
            .and_then(|e| e.value_reference.as_deref())
            .and_then(|r| r.reference.as_deref())
            .map(|r| r.trim_start_matches('#').to_owned());
        let booking_organisation = wire
            .contained
            .iter()
            .filter(|r| r.resource_type() == Organization::TYPE)
            .find(|r| booking_ref.is_none() || r.id() == booking_ref.as_deref())
            .and_then(|r| lenient::parse_read::<Organization>(r.raw()).ok().map(|(o, _)| o));
        Appointment {
            id: wire.id.clone(),
            version_id: wire.meta.as_ref().and_then(|m| m.version_id.clone()),
            status: wire.status.as_deref().map(AppointmentStatus::from_code),
            start: wire.start.clone(),
            end: wire.end.clone(),
            created: wire.created.clone(),
            description: wire.description.clone(),
            comment: wire.comment.clone(),
            cancellation_reason: wire.extension.extension(CANCELLATION_REASON_URL).and_then(|e| e.value_string.clone()),
            slot_ids: wire.slot.iter().filter_map(|r| r.id().map(str::to_owned)).collect(),
            patient_id: patient_ids.first().cloned(),
            location_id: actor_id("Location"),
            practitioner_id: actor_id("Practitioner"),
            healthcare_service_id: actor_id("HealthcareService"),
            booking_organisation,
            delivery_channel: DeliveryChannel::from_extensions(&wire.extension),
            practitioner_role: PractitionerRole::from_extensions(&wire.extension),
            service_type: wire.service_type.iter().find_map(|c| c.display_text().map(str::to_owned)),
            service_category: wire.service_category.as_ref().and_then(|c| c.display_text().map(str::to_owned)),
            patient_ids,
            problems,
            raw,
        }
    }

    /// The fields that could not be read as the spec says (each problem names the field's
    /// path; the appointment is kept with its other fields).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Checks that the appointment is for the patient with logical id `asked` (when one
    /// was asked for): it must name exactly one patient participant, and that one.
    pub(crate) fn check_patient(&self, asked: Option<&str>) -> Result<(), PatientMismatch> {
        match (self.patient_ids.as_slice(), asked.map(str::trim)) {
            ([], _) => Err(PatientMismatch::NoPatient),
            ([one], Some(asked)) if one != asked => Err(PatientMismatch::OtherPatientId),
            ([_], _) => Ok(()),
            _ => Err(PatientMismatch::OtherPatientId),
        }
    }

    /// Whether the appointment is cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.status == Some(AppointmentStatus::Cancelled)
    }

    /// The JSON as read from the provider, parsed anew on each call (the appointment keeps
    /// the text: a tenth of the memory of a parsed `Value`). May contain personal data:
    /// keep it out of logs.
    pub fn raw_json(&self) -> Value {
        serde_json::from_str(self.raw.get()).unwrap_or_default()
    }
}
