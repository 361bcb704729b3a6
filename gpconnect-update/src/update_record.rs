//! The Update Record operation: builder, validation, the ITK3 message and its MESH envelope.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::itk3::model::{CodeableConcept, Coding, Extension, ExtensionValue, Identifier, Meta, Reference};
use gpconnect_core::itk3::resources::{
    AllergyIntolerance, Appointment, AppointmentParticipant, ClinicalImpression, Composition, CompositionRelatesTo,
    CompositionSection, Condition, DispensePerformer, Encounter, EncounterParticipant, Flag, MedicationDispense,
    Observation, PractitionerRole, Procedure, ProcedurePerformer, ReferralRequest, ReferralRequester,
};
use gpconnect_core::itk3::{
    Acknowledgements, Addressing, Author, EnvelopeIds, MessageBuilder, MessageEvent, PatientDemographics, Payload,
    Prepared, RecipientType, Resource, RFC4122,
};
use gpconnect_core::mesh::{MeshClient, SendProgress, Tracked, WorkflowId};
use gpconnect_core::OdsCode;

use crate::clinical::{
    check_dispense, check_observation, BpTriplet, PrsbHeading, Service, CONDITION_PROFILE, DISPENSE_PROFILE,
    IMPRESSION_PROFILE, OBSERVATION_PROFILE, SNOMED,
};

/// The Update Record MessageDefinition (a placeholder: no real definition exists, spec 4.2).
pub const MESSAGE_DEFINITION: &str = "https://fhir.nhs.uk/MessageDefinition";
const ENCOUNTER_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Encounter-1";
const ORGANIZATION_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Organization-1";
const PRACTITIONER_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Practitioner-1";
const ROLE_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-PractitionerRole-1";
const PATIENT_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1";
const COMPOSITION_PROFILE: &str = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Composition-1";
const NHS_VERIFICATION_URL: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-NHSNumberVerificationStatus-1";
const NHS_VERIFICATION_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1";
const PARTICIPANT_TYPE: &str = "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-ParticipantType-1";
const JOB_ROLE: &str = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1";
const OUTCOME_URL: &str =
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-OutcomeOfAttendance-1";
const OUTCOME_SYSTEM: &str = "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-OutcomeOfAttendance-1";
// The other kinds the guide allows (spec 4.3). The guide names no profile for them: the
// GP Connect profiles where GP Connect has one, else Care Connect's.
const ALLERGY_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1";
const PROCEDURE_PROFILE: &str = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Procedure-1";
const REFERRAL_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ReferralRequest-1";
const APPOINTMENT_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1";
const FLAG_PROFILE: &str = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Flag-1";

/// The Update Record data workflow.
pub fn workflow() -> WorkflowId {
    WorkflowId::parse("GPCONNECT_UPDATE_RECORD").expect("a valid workflow ID")
}

/// The Update Record acknowledgement workflow.
pub fn ack_workflow() -> WorkflowId {
    workflow().ack()
}

/// The pharmacy where the patient was seen.
#[derive(Clone, PartialEq, Eq)]
pub struct Pharmacy {
    /// ODS code (as written: the spec's examples use a placeholder).
    pub ods: String,
    /// The name.
    pub name: String,
}

impl fmt::Debug for Pharmacy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pharmacy").field("ods", &self.ods).finish_non_exhaustive()
    }
}

impl Pharmacy {
    /// A pharmacy with its ODS code and name.
    pub fn new(ods: &OdsCode, name: &str) -> Self {
        Pharmacy { ods: ods.as_str().into(), name: name.into() }
    }
}

/// The pharmacist (or technician) who saw the patient, with their SDS job role.
#[derive(Clone, PartialEq, Eq)]
pub struct Pharmacist {
    /// Name and identifiers (the Practitioner).
    pub person: Author,
    /// SDS job role code and display (`R1290` Pharmacist, `R5220` Pharmacy Technician).
    pub role: (String, String),
}

impl fmt::Debug for Pharmacist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pharmacist").field("role", &self.role.0).finish_non_exhaustive()
    }
}

impl Pharmacist {
    /// A pharmacist (`R1290`).
    pub fn new(family: &str, given: &[&str]) -> Self {
        Pharmacist { person: Author::new(family, given), role: ("R1290".into(), "Pharmacist".into()) }
    }

    /// Another SDS job role.
    #[must_use]
    pub fn role(mut self, code: &str, display: &str) -> Self {
        self.role = (code.into(), display.into());
        self
    }

    /// A name prefix.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.person = self.person.prefix(prefix);
        self
    }

    /// An identifier such as `https://fhir.hl7.org.uk/Id/gphc-number`.
    #[must_use]
    pub fn identifier(mut self, system: &str, value: &str) -> Self {
        self.person = self.person.identifier(system, value);
        self
    }
}

/// The ids of the resources the builder makes. [`UpdateIds::fresh`] gives new UUIDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateIds {
    /// `Bundle.id` of the message bundle.
    pub bundle: String,
    /// `Bundle.identifier` value of the message bundle.
    pub bundle_identifier: String,
    /// `MessageHeader.id`.
    pub header: String,
    /// The header Organization.
    pub sender: String,
    /// The document bundle.
    pub document_bundle: String,
    /// The Composition.
    pub composition: String,
    /// The Encounter (its `urn:uuid:` is the `SenderReference`).
    pub encounter: String,
    /// The pharmacy Organization.
    pub organisation: String,
    /// The Practitioner.
    pub practitioner: String,
    /// The PractitionerRole.
    pub role: String,
    /// The Patient.
    pub patient: String,
}

impl UpdateIds {
    /// Fresh UUIDs.
    pub fn fresh() -> Self {
        let u = || uuid::Uuid::new_v4().to_string();
        UpdateIds {
            bundle: u(),
            bundle_identifier: u(),
            header: u(),
            sender: u(),
            document_bundle: u(),
            composition: u(),
            encounter: u(),
            organisation: u(),
            practitioner: u(),
            role: u(),
            patient: u(),
        }
    }
}

/// One clinical item of the consultation.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Item {
    /// An observation (vital sign, blood pressure, finding).
    Observation(Observation),
    /// A medicine supplied.
    Dispensed(MedicationDispense),
    /// A diagnosis.
    Condition(Condition),
    /// A free-text note under a PRSB heading.
    Note(ClinicalImpression),
    /// An allergy or intolerance (`code` mandatory).
    Allergy(AllergyIntolerance),
    /// A procedure done (`code` mandatory).
    Procedure(Procedure),
    /// A referral made (`status` and `intent` mandatory).
    Referral(ReferralRequest),
    /// An appointment booked (`status` mandatory; the patient is added as a participant).
    Appointment(Appointment),
    /// A warning flag (`code` mandatory).
    Flag(Flag),
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Observation(_) => f.write_str("Observation"),
            Item::Dispensed(_) => f.write_str("Dispensed"),
            Item::Condition(_) => f.write_str("Condition"),
            Item::Note(_) => f.write_str("Note"),
            Item::Allergy(_) => f.write_str("Allergy"),
            Item::Procedure(_) => f.write_str("Procedure"),
            Item::Referral(_) => f.write_str("Referral"),
            Item::Appointment(_) => f.write_str("Appointment"),
            Item::Flag(_) => f.write_str("Flag"),
        }
    }
}

/// Sends a community pharmacy consultation to the patient's GP practice (GP Connect
/// Update Record, ITK3 event `ITK014M`, workflow `GPCONNECT_UPDATE_RECORD`); from
/// [`UpdateRecordExt::update_record`] on the MESH client.
///
/// The builder makes the shared envelope, the Composition (type = the service, one section
/// listing every resource), the Encounter, the pharmacy Organization, the Practitioner and
/// PractitionerRole and the Patient, and wires the clinical items to them (subject,
/// context, performer, dates), then validates everything (an invalid blood pressure
/// triplet or a missing mandatory element is an `InvalidInput` naming it). The sender is
/// the MESH client's mailbox and its configured ODS code
/// ([`MeshConfig::ods_code`](gpconnect_core::mesh::MeshConfig::ods_code)).
///
/// # Example
/// ```no_run
/// use std::time::Duration;
/// use chrono::NaiveDate;
/// use gpconnect_core::itk3::PatientDemographics;
/// use gpconnect_update::{
///     blood_pressure, note, BpTriplet, DeliveryOutcome, Pharmacist, Pharmacy, PrsbHeading, Service, UpdateRecordExt,
/// };
///
/// # async fn demo(mesh: gpconnect_core::mesh::MeshClient) -> gpconnect_core::Result<()> {
/// let patient = PatientDemographics::new(
///     "9690937286".parse()?, "Lerone", &["Toby"], NaiveDate::from_ymd_opt(1983, 8, 8).unwrap());
/// let seen = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
/// let mut sent = mesh
///     .update_record(Service::BloodPressureCheck, patient, seen)
///     .pharmacy(Pharmacy::new(&"FA123".parse()?, "The Dispensers"))
///     .pharmacist(Pharmacist::new("Spencer", &["Di"]))
///     .observation(blood_pressure(BpTriplet::Sitting, 125, 84))
///     .note(note(PrsbHeading::ClinicalSummary, "Blood pressure normal."))
///     .send()
///     .await?;
/// sent.wait(&mesh, Duration::from_secs(3600)).await?;
/// if sent.outcome() == DeliveryOutcome::SendAnotherWay {
///     // the practice has Update Record switched off
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// `Error::InvalidInput` naming the element before anything is sent; the MESH client's
/// errors after.
#[must_use = "a builder does nothing until sent"]
#[derive(Clone)]
pub struct UpdateRecord {
    message: MessageBuilder,
    service: Service,
    seen: NaiveDate,
    pharmacy: Option<Pharmacy>,
    pharmacist: Option<Pharmacist>,
    items: Vec<Item>,
    title: Option<String>,
    outcome: Option<(String, String)>,
    replaces: Option<uuid::Uuid>,
    ids: UpdateIds,
}

impl fmt::Debug for UpdateRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateRecord")
            .field("service", &self.service)
            .field("message", &self.message)
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

/// Adds Update Record to the MESH client.
pub trait UpdateRecordExt {
    /// Update Record: a consultation of `service` with `patient`, seen on `seen`, to the
    /// patient's registered practice.
    fn update_record(&self, service: Service, patient: PatientDemographics, seen: NaiveDate) -> UpdateRecord;
}

impl UpdateRecordExt for MeshClient {
    fn update_record(&self, service: Service, patient: PatientDemographics, seen: NaiveDate) -> UpdateRecord {
        UpdateRecord {
            message: MessageBuilder::new(self, patient, RecipientType::ForInformation),
            service,
            seen,
            pharmacy: None,
            pharmacist: None,
            items: Vec::new(),
            title: None,
            outcome: None,
            replaces: None,
            ids: UpdateIds::fresh(),
        }
    }
}

impl UpdateRecord {
    /// The pharmacy (mandatory).
    pub fn pharmacy(mut self, pharmacy: Pharmacy) -> Self {
        self.pharmacy = Some(pharmacy);
        self
    }

    /// The pharmacist (mandatory).
    pub fn pharmacist(mut self, pharmacist: Pharmacist) -> Self {
        self.pharmacist = Some(pharmacist);
        self
    }

    /// Adds an observation ([`crate::blood_pressure`], [`crate::vital_sign`], [`crate::finding`]).
    pub fn observation(mut self, o: Observation) -> Self {
        self.items.push(Item::Observation(o));
        self
    }

    /// Adds a medicine supplied ([`crate::dispensed`]).
    pub fn dispensed(mut self, d: MedicationDispense) -> Self {
        self.items.push(Item::Dispensed(d));
        self
    }

    /// Adds a diagnosis ([`crate::diagnosis`]).
    pub fn condition(mut self, c: Condition) -> Self {
        self.items.push(Item::Condition(c));
        self
    }

    /// Adds a clinical note ([`crate::note`]).
    pub fn note(mut self, n: ClinicalImpression) -> Self {
        self.items.push(Item::Note(n));
        self
    }

    /// Adds any item, in order.
    pub fn item(mut self, item: Item) -> Self {
        self.items.push(item);
        self
    }

    /// `Composition.title` (default `{pharmacy name} - {service}`).
    pub fn title(mut self, title: &str) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The encounter's outcome of attendance (CareConnect-OutcomeOfAttendance-1 code and text).
    pub fn outcome_of_attendance(mut self, code: &str, text: &str) -> Self {
        self.outcome = Some((code.into(), text.into()));
        self
    }

    /// `RecipientType` (default `FI`, as the spec's examples).
    pub fn recipient_type(mut self, t: RecipientType) -> Self {
        self.message.set_recipient_type(t);
        self
    }

    /// Where it goes (default: the registered practice via `GPPROVIDER`).
    pub fn addressing(mut self, a: Addressing) -> Self {
        self.message.set_addressing(a);
        self
    }

    /// The ids of the resources the builder makes (default fresh UUIDs).
    pub fn ids(mut self, ids: UpdateIds) -> Self {
        self.ids = ids;
        self
    }

    /// Your identifier systems under `base` (`{base}/bundle`, `{base}/encounter`, ...), as
    /// the spec's examples show; default `https://tools.ietf.org/html/rfc4122` UUIDs.
    pub fn local_identifiers(mut self, base: &str) -> Self {
        self.message.set_local_identifiers(base);
        self
    }

    /// When the message was generated (default now).
    pub fn timestamp(mut self, at: DateTime<FixedOffset>) -> Self {
        self.message.set_timestamp(at);
        self
    }

    /// `meta.lastUpdated` of the resources the builder makes.
    pub fn last_updated(mut self, at: &str) -> Self {
        self.message.set_last_updated(at);
        self
    }

    /// Sends this consultation as version `version` (2 or later) of an Update Record sent
    /// before, whose document bundle id was `original_document`
    /// ([`UpdateIds::document_bundle`]): `Composition.relatesTo` `replaces` with that id
    /// as its `targetIdentifier` (RFC 4122, as Send Document's replacements, spec 3.4),
    /// `Composition.meta.versionId` and `Mex-Subject` carry the version, and `status` stays
    /// `final` (the guide gives replacements no other status).
    pub fn replaces(mut self, original_document: uuid::Uuid, version: u32) -> Self {
        self.replaces = Some(original_document);
        self.message.set_version(version);
        self
    }

    /// The version shown in `Mex-Subject` (default 1).
    pub fn version(mut self, version: u32) -> Self {
        self.message.set_version(version);
        self
    }

    /// The date validation treats as today (default the current UTC date).
    pub fn today(mut self, today: NaiveDate) -> Self {
        self.message.set_today(today);
        self
    }

    /// Called after each chunk MESH confirmed (for a progress bar).
    pub fn progress(mut self, progress: impl Fn(SendProgress) + Send + Sync + 'static) -> Self {
        self.message.set_progress(progress);
        self
    }

    fn validate(&self) -> Result<(&Pharmacy, &Pharmacist), InvalidInput> {
        let today = self.message.validate_patient()?;
        if self.seen > today {
            return Err(InvalidInput::parameter("Encounter.period.start", "in the future"));
        }
        let pharmacy = self.pharmacy.as_ref().ok_or(InvalidInput::parameter("Encounter.serviceProvider", "missing"))?;
        if pharmacy.name.trim().is_empty() {
            return Err(InvalidInput::parameter("Organization.name", "missing"));
        }
        let pharmacist = self.pharmacist.as_ref().ok_or(InvalidInput::parameter("Composition.author", "missing"))?;
        if pharmacist.person.family.trim().is_empty() {
            return Err(InvalidInput::parameter("Practitioner.name.family", "missing"));
        }
        if self.items.is_empty() {
            return Err(InvalidInput::parameter("Composition.section.entry", "no clinical content"));
        }
        if let Some(original) = self.replaces {
            if self.message.version() < 2 {
                return Err(InvalidInput::parameter(
                    "Composition.meta.versionId",
                    "a replacement is version 2 or later",
                ));
            }
            if original.to_string().eq_ignore_ascii_case(&self.ids.document_bundle) {
                return Err(InvalidInput::parameter("Composition.relatesTo.targetIdentifier", "replaces itself"));
            }
        }
        let coded = |c: &Option<CodeableConcept>| c.as_ref().is_some_and(|c| !c.coding.is_empty() || c.text.is_some());
        for item in &self.items {
            match item {
                Item::Observation(o) => check_observation(o)?,
                Item::Dispensed(d) => check_dispense(d)?,
                Item::Condition(c) => {
                    if c.code.as_ref().and_then(|c| c.code_in(SNOMED)).is_none() {
                        return Err(InvalidInput::parameter("Condition.code", "missing SNOMED code"));
                    }
                }
                Item::Note(n) => {
                    let tagged = n.meta.iter().flat_map(|m| &m.tag).any(|t| PrsbHeading::from_tag(t).is_some());
                    if !tagged {
                        return Err(InvalidInput::parameter("ClinicalImpression.meta.tag", "no PRSB heading"));
                    }
                    if n.summary.as_deref().is_none_or(|s| s.trim().is_empty()) {
                        return Err(InvalidInput::parameter("ClinicalImpression.summary", "missing"));
                    }
                }
                Item::Allergy(a) if !coded(&a.code) => {
                    return Err(InvalidInput::parameter("AllergyIntolerance.code", "missing"))
                }
                Item::Procedure(p) if !coded(&p.code) => {
                    return Err(InvalidInput::parameter("Procedure.code", "missing"))
                }
                Item::Referral(r) if r.intent.is_none() => {
                    return Err(InvalidInput::parameter("ReferralRequest.intent", "missing"))
                }
                Item::Appointment(a) if a.status.is_none() => {
                    return Err(InvalidInput::parameter("Appointment.status", "missing"))
                }
                Item::Flag(f) if !coded(&f.code) => return Err(InvalidInput::parameter("Flag.code", "missing")),
                Item::Allergy(_) | Item::Procedure(_) | Item::Referral(_) | Item::Appointment(_) | Item::Flag(_) => {}
            }
        }
        let has_bp = self.items.iter().any(|i| match i {
            Item::Observation(o) => o
                .code
                .as_ref()
                .and_then(|c| c.code_in(SNOMED))
                .is_some_and(|c| BpTriplet::is_header(c) || c == "314463006"),
            _ => false,
        });
        if self.service == Service::BloodPressureCheck && !has_bp {
            return Err(InvalidInput::parameter("Observation", "a Blood Pressure Check needs a blood pressure"));
        }
        let has_supply = self.items.iter().any(|i| matches!(i, Item::Dispensed(_)));
        if self.service == Service::PharmacyFirstUrgentSupply && !has_supply {
            return Err(InvalidInput::parameter("MedicationDispense", "an urgent supply needs the medicine supplied"));
        }
        Ok((pharmacy, pharmacist))
    }

    /// Validates the input and builds the message and its MESH envelope; nothing is sent
    /// (for a look at the message, or tests).
    ///
    /// # Errors
    /// `Error::InvalidInput` naming the element that breaks a rule, or when the MESH
    /// client has no ODS code configured.
    pub fn prepare(&self) -> gpconnect_core::Result<Prepared> {
        let payload = self.payload()?;
        self.message.prepare(payload)
    }

    /// Validates, builds and sends the consultation once over the MESH client. Returns the
    /// tracker of its acknowledgements with the MESH message ID; wait for them with
    /// [`Acknowledgements::wait`]. A `20010` answer means the practice has Update Record
    /// switched off ([`DeliveryOutcome::SendAnotherWay`](gpconnect_core::itk3::DeliveryOutcome)).
    ///
    /// # Errors
    /// As [`UpdateRecord::prepare`], then the MESH client's errors.
    ///
    /// After a failure whose outcome is unknown
    /// ([`may_have_been_sent`](gpconnect_core::Error::may_have_been_sent)), track the message
    /// ([`MeshError::itk3_ids`](gpconnect_core::mesh::MeshError::itk3_ids)) and, if it must
    /// go again, call `send` again on this builder: the same ids go out, so that the
    /// recipient recognises a repeat (code 20007).
    pub async fn send(&self) -> gpconnect_core::Result<Tracked<Acknowledgements>> {
        let payload = self.payload()?;
        self.message.send(payload).await
    }

    /// The document bundle and what the envelope needs.
    fn payload(&self) -> gpconnect_core::Result<Payload> {
        let (pharmacy, pharmacist) = self.validate()?;
        let m = &self.message;
        let ids = &self.ids;
        let urn = |id: &str| format!("urn:uuid:{id}");
        let to = |id: &str| Some(Reference::new(&urn(id)));
        let seen = self.seen.format("%Y-%m-%d").to_string();
        let title = self.title.clone().unwrap_or_else(|| format!("{} - {}", pharmacy.name, self.service.display()));

        let service = CodeableConcept::with_text(self.service.coding());
        let encounter = Encounter {
            id: Some(ids.encounter.clone()),
            meta: Some(m.meta(ENCOUNTER_PROFILE)),
            extension: self
                .outcome
                .iter()
                .map(|(code, text)| {
                    Extension::value(
                        OUTCOME_URL,
                        ExtensionValue::CodeableConcept(CodeableConcept {
                            coding: vec![Coding::code(OUTCOME_SYSTEM, code)],
                            text: Some(text.clone()),
                        }),
                    )
                })
                .collect(),
            identifier: m.local("encounter", &ids.encounter).into_iter().collect(),
            status: Some("finished".into()),
            type_: vec![CodeableConcept::with_text(Coding::new(
                SNOMED,
                "307778003",
                "Seen in primary care establishment",
            ))],
            subject: to(&ids.patient),
            participant: vec![EncounterParticipant {
                type_: vec![CodeableConcept {
                    coding: vec![Coding::code(PARTICIPANT_TYPE, "REC")],
                    text: Some("recorder".into()),
                }],
                individual: to(&ids.practitioner),
            }],
            period: Some(gpconnect_core::itk3::model::Period { start: Some(seen.clone().into()), end: None }),
            reason: vec![service.clone()],
            service_provider: to(&ids.organisation),
        };
        let organisation = m.organization(&ids.organisation, ORGANIZATION_PROFILE, &pharmacy.ods, &pharmacy.name, None);
        let practitioner = m.practitioner(&ids.practitioner, PRACTITIONER_PROFILE, &pharmacist.person, None);
        let role = PractitionerRole {
            id: Some(ids.role.clone()),
            meta: Some(m.meta(ROLE_PROFILE)),
            practitioner: to(&ids.practitioner),
            organization: to(&ids.organisation),
            code: vec![CodeableConcept::with_text(Coding::new(JOB_ROLE, &pharmacist.role.0, &pharmacist.role.1))],
            ..Default::default()
        };
        let verification = MessageBuilder::nhs_number_verified(NHS_VERIFICATION_URL, NHS_VERIFICATION_SYSTEM, true);
        let patient = m.patient_resource(&ids.patient, PATIENT_PROFILE, verification);

        let mut entries: Vec<(String, Resource)> = vec![
            (ids.encounter.clone(), Resource::Encounter(encounter)),
            (ids.organisation.clone(), Resource::Organization(organisation)),
            (ids.practitioner.clone(), Resource::Practitioner(practitioner)),
            (ids.role.clone(), Resource::PractitionerRole(role)),
            (ids.patient.clone(), Resource::Patient(patient)),
        ];
        for item in &self.items {
            entries.push(self.wire(item, &seen));
        }
        let mut composition_meta = m.meta(COMPOSITION_PROFILE);
        if self.replaces.is_some() {
            composition_meta.version_id = Some(m.version().to_string());
        }
        let composition = Composition {
            id: Some(ids.composition.clone()),
            meta: Some(composition_meta),
            identifier: m.local("composition", &ids.composition),
            status: Some("final".into()),
            type_: Some(service),
            subject: to(&ids.patient),
            encounter: to(&ids.encounter),
            date: Some(seen.clone()),
            author: vec![Reference::new(&urn(&ids.practitioner))],
            title: Some(title.clone()),
            relates_to: self
                .replaces
                .iter()
                .map(|original| CompositionRelatesTo {
                    code: Some("replaces".into()),
                    target_identifier: Some(Identifier::new(RFC4122, original.to_string())),
                })
                .collect(),
            section: vec![CompositionSection {
                entry: entries.iter().map(|(id, _)| Reference::new(&urn(id))).collect(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut document = m.document(&ids.document_bundle, m.local_or_uuid("bundle", &ids.document_bundle));
        document.push(&ids.composition, Resource::Composition(composition));
        for (id, r) in entries {
            document.push(&id, r);
        }
        let subject = format!(
            "{title} for {}, NHS Number: {}, seen at {}, ODS code: {}, version {}",
            m.patient().display_name(),
            m.patient().nhs_number.expose(),
            pharmacy.name,
            pharmacy.ods,
            m.version()
        );
        Ok(Payload {
            event: MessageEvent::UpdateRecord,
            workflow: workflow(),
            message_definition: MESSAGE_DEFINITION.into(),
            sender_reference: urn(&ids.encounter),
            local_extension: "None".into(),
            ids: EnvelopeIds {
                bundle: ids.bundle.clone(),
                bundle_identifier: ids.bundle_identifier.clone(),
                header: ids.header.clone(),
                sender: ids.sender.clone(),
            },
            timestamp: m.instant(),
            document_id: ids.document_bundle.clone(),
            document,
            subject,
        })
    }

    /// One clinical item with its id, identifier, references and dates filled in where
    /// the caller left them out.
    fn wire(&self, item: &Item, seen: &str) -> (String, Resource) {
        let ids = &self.ids;
        let to = |id: &str| Some(Reference::new(&format!("urn:uuid:{id}")));
        let fresh = || uuid::Uuid::new_v4().to_string();
        let or_profile = |meta: &mut Option<Meta>, profile: &str| {
            meta.get_or_insert_with(|| Meta::profile(profile));
        };
        match item.clone() {
            Item::Observation(mut o) => {
                let id = o.id.get_or_insert_with(fresh).clone();
                or_profile(&mut o.meta, OBSERVATION_PROFILE);
                if o.identifier.is_empty() {
                    o.identifier.extend(self.message.local("observation", &id));
                }
                o.subject = o.subject.or_else(|| to(&ids.patient));
                o.context = o.context.or_else(|| to(&ids.encounter));
                o.effective_date_time.get_or_insert_with(|| seen.to_owned());
                if o.performer.is_empty() {
                    o.performer.extend(to(&ids.practitioner));
                }
                (id, Resource::Observation(o))
            }
            Item::Dispensed(mut d) => {
                let id = d.id.get_or_insert_with(fresh).clone();
                or_profile(&mut d.meta, DISPENSE_PROFILE);
                if d.identifier.is_empty() {
                    d.identifier.extend(self.message.local("medication-dispense", &id));
                }
                d.subject = d.subject.or_else(|| to(&ids.patient));
                d.context = d.context.or_else(|| to(&ids.encounter));
                if d.performer.is_empty() {
                    d.performer.push(DispensePerformer { actor: to(&ids.practitioner) });
                }
                d.when_prepared.get_or_insert_with(|| seen.to_owned());
                d.when_handed_over.get_or_insert_with(|| seen.to_owned());
                (id, Resource::MedicationDispense(d))
            }
            Item::Condition(mut c) => {
                let id = c.id.get_or_insert_with(fresh).clone();
                or_profile(&mut c.meta, CONDITION_PROFILE);
                if c.identifier.is_empty() {
                    c.identifier.extend(self.message.local("condition", &id));
                }
                c.subject = c.subject.or_else(|| to(&ids.patient));
                c.context = c.context.or_else(|| to(&ids.encounter));
                c.asserted_date.get_or_insert_with(|| seen.to_owned());
                c.asserter = c.asserter.or_else(|| to(&ids.practitioner));
                (id, Resource::Condition(c))
            }
            Item::Note(mut n) => {
                let id = n.id.get_or_insert_with(fresh).clone();
                or_profile(&mut n.meta, IMPRESSION_PROFILE);
                if n.identifier.is_empty() {
                    n.identifier.extend(self.message.local("clinical-impression", &id));
                }
                n.subject = n.subject.or_else(|| to(&ids.patient));
                n.context = n.context.or_else(|| to(&ids.encounter));
                n.date.get_or_insert_with(|| seen.to_owned());
                n.assessor = n.assessor.or_else(|| to(&ids.practitioner));
                (id, Resource::ClinicalImpression(n))
            }
            Item::Allergy(mut a) => {
                let id = a.id.get_or_insert_with(fresh).clone();
                or_profile(&mut a.meta, ALLERGY_PROFILE);
                if a.identifier.is_empty() {
                    a.identifier.extend(self.message.local("allergy-intolerance", &id));
                }
                a.clinical_status.get_or_insert_with(|| "active".into());
                a.verification_status.get_or_insert_with(|| "unconfirmed".into());
                a.patient = a.patient.or_else(|| to(&ids.patient));
                a.asserted_date.get_or_insert_with(|| seen.to_owned());
                a.recorder = a.recorder.or_else(|| to(&ids.practitioner));
                (id, Resource::AllergyIntolerance(a))
            }
            Item::Procedure(mut p) => {
                let id = p.id.get_or_insert_with(fresh).clone();
                or_profile(&mut p.meta, PROCEDURE_PROFILE);
                if p.identifier.is_empty() {
                    p.identifier.extend(self.message.local("procedure", &id));
                }
                p.status.get_or_insert_with(|| "completed".into());
                p.subject = p.subject.or_else(|| to(&ids.patient));
                p.context = p.context.or_else(|| to(&ids.encounter));
                p.performed_date_time.get_or_insert_with(|| seen.to_owned());
                if p.performer.is_empty() {
                    p.performer.push(ProcedurePerformer { actor: to(&ids.practitioner) });
                }
                (id, Resource::Procedure(p))
            }
            Item::Referral(mut r) => {
                let id = r.id.get_or_insert_with(fresh).clone();
                or_profile(&mut r.meta, REFERRAL_PROFILE);
                if r.identifier.is_empty() {
                    r.identifier.extend(self.message.local("referral-request", &id));
                }
                r.status.get_or_insert_with(|| "active".into());
                r.subject = r.subject.or_else(|| to(&ids.patient));
                r.context = r.context.or_else(|| to(&ids.encounter));
                r.authored_on.get_or_insert_with(|| seen.to_owned());
                r.requester.get_or_insert_with(|| ReferralRequester {
                    agent: to(&ids.practitioner),
                    on_behalf_of: to(&ids.organisation),
                });
                (id, Resource::ReferralRequest(r))
            }
            Item::Appointment(mut a) => {
                let id = a.id.get_or_insert_with(fresh).clone();
                or_profile(&mut a.meta, APPOINTMENT_PROFILE);
                if a.identifier.is_empty() {
                    a.identifier.extend(self.message.local("appointment", &id));
                }
                a.created.get_or_insert_with(|| seen.to_owned());
                let patient = format!("urn:uuid:{}", ids.patient);
                let named = a
                    .participant
                    .iter()
                    .any(|p| p.actor.as_ref().and_then(|r| r.reference.as_deref()) == Some(&patient));
                if !named {
                    a.participant.push(AppointmentParticipant {
                        actor: to(&ids.patient),
                        status: Some("accepted".into()),
                        ..Default::default()
                    });
                }
                (id, Resource::Appointment(a))
            }
            Item::Flag(mut f) => {
                let id = f.id.get_or_insert_with(fresh).clone();
                or_profile(&mut f.meta, FLAG_PROFILE);
                if f.identifier.is_empty() {
                    f.identifier.extend(self.message.local("flag", &id));
                }
                f.status.get_or_insert_with(|| "active".into());
                f.subject = f.subject.or_else(|| to(&ids.patient));
                f.encounter = f.encounter.or_else(|| to(&ids.encounter));
                f.author = f.author.or_else(|| to(&ids.practitioner));
                (id, Resource::Flag(f))
            }
        }
    }
}
