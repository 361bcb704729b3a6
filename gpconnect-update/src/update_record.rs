//! The Update Record operation: builder, validation, the ITK3 message and its MESH envelope.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate};
use gpconnect_core::error::InvalidInput;
use gpconnect_core::itk3::model::{
    CodeableConcept, Coding, Extension, ExtensionValue, HumanName, Identifier, Meta, Reference,
};
use gpconnect_core::itk3::resources::{
    Bundle, ClinicalImpression, Composition, CompositionSection, Condition, DispensePerformer, Encounter,
    EncounterParticipant, MedicationDispense, Observation, Organization, Patient, Practitioner, PractitionerRole,
};
use gpconnect_core::itk3::{
    fhir_instant, Acknowledgements, Addressing, Envelope, HandlingSpec, MessageEvent, PatientDemographics, Prepared,
    RecipientType, Resource, DOCUMENT_BUNDLE_PROFILE, ODS_SYSTEM, RFC4122,
};
use gpconnect_core::mesh::{MailboxId, MeshClient, WorkflowId};
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
    /// Family name.
    pub family: String,
    /// Given names.
    pub given: Vec<String>,
    /// Prefixes.
    pub prefix: Vec<String>,
    /// Identifiers (system, value), for example the GPhC number.
    pub identifiers: Vec<(String, String)>,
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
        Pharmacist {
            family: family.into(),
            given: given.iter().map(|g| (*g).to_owned()).collect(),
            prefix: Vec::new(),
            identifiers: Vec::new(),
            role: ("R1290".into(), "Pharmacist".into()),
        }
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
        self.prefix.push(prefix.into());
        self
    }

    /// An identifier such as `https://fhir.hl7.org.uk/Id/gphc-number`.
    #[must_use]
    pub fn identifier(mut self, system: &str, value: &str) -> Self {
        self.identifiers.push((system.into(), value.into()));
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
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Observation(_) => f.write_str("Observation"),
            Item::Dispensed(_) => f.write_str("Dispensed"),
            Item::Condition(_) => f.write_str("Condition"),
            Item::Note(_) => f.write_str("Note"),
        }
    }
}

/// Sends a community pharmacy consultation to the patient's GP practice (GP Connect
/// Update Record, ITK3 event `ITK014M`, workflow `GPCONNECT_UPDATE_RECORD`).
///
/// The builder makes the envelope, the Composition (type = the service, one section
/// listing every resource), the Encounter, the pharmacy Organization, the Practitioner and
/// PractitionerRole and the Patient, and wires the clinical items to them (subject,
/// context, performer, dates), then validates everything (an invalid blood pressure
/// triplet or a missing mandatory element is an `InvalidInput` naming it).
///
/// # Example
/// ```no_run
/// use chrono::NaiveDate;
/// use gpconnect_core::itk3::PatientDemographics;
/// use gpconnect_update::{blood_pressure, note, BpTriplet, Pharmacist, Pharmacy, PrsbHeading, Service, UpdateRecord};
///
/// # async fn demo(mesh: gpconnect_core::mesh::MeshClient) -> gpconnect_core::Result<()> {
/// let patient = PatientDemographics::new(
///     "9690937286".parse()?, "Lerone", &["Toby"], NaiveDate::from_ymd_opt(1983, 8, 8).unwrap());
/// let seen = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
/// let answers = UpdateRecord::new(Service::BloodPressureCheck, patient, seen)
///     .pharmacy(Pharmacy::new(&"FA123".parse()?, "The Dispensers"))
///     .pharmacist(Pharmacist::new("Spencer", &["Di"]))
///     .observation(blood_pressure(BpTriplet::Sitting, 125, 84))
///     .note(note(PrsbHeading::ClinicalSummary, "Blood pressure normal."))
///     .send(&mesh, &"FA123".parse()?)
///     .await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// `Error::InvalidInput` naming the element before anything is sent; the MESH client's
/// errors after.
#[must_use = "a builder does nothing until sent"]
#[derive(Clone)]
pub struct UpdateRecord {
    service: Service,
    patient: PatientDemographics,
    seen: NaiveDate,
    pharmacy: Option<Pharmacy>,
    pharmacist: Option<Pharmacist>,
    items: Vec<Item>,
    title: Option<String>,
    outcome: Option<(String, String)>,
    recipient_type: RecipientType,
    addressing: Addressing,
    ids: UpdateIds,
    identifier_base: Option<String>,
    timestamp: Option<DateTime<FixedOffset>>,
    last_updated: Option<gpconnect_core::fhir::FhirDateTime>,
    version: u32,
    today: Option<NaiveDate>,
}

impl fmt::Debug for UpdateRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateRecord")
            .field("service", &self.service)
            .field("patient", &self.patient)
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

impl UpdateRecord {
    /// A consultation of `service` with `patient`, seen on `seen`.
    pub fn new(service: Service, patient: PatientDemographics, seen: NaiveDate) -> Self {
        UpdateRecord {
            service,
            patient,
            seen,
            pharmacy: None,
            pharmacist: None,
            items: Vec::new(),
            title: None,
            outcome: None,
            recipient_type: RecipientType::ForInformation,
            addressing: Addressing::RegisteredPractice,
            ids: UpdateIds::fresh(),
            identifier_base: None,
            timestamp: None,
            last_updated: None,
            version: 1,
            today: None,
        }
    }

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
        self.recipient_type = t;
        self
    }

    /// Where it goes (default: the registered practice via `GPPROVIDER`).
    pub fn addressing(mut self, a: Addressing) -> Self {
        self.addressing = a;
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
        self.identifier_base = Some(base.trim_end_matches('/').into());
        self
    }

    /// When the message was generated (default now).
    pub fn timestamp(mut self, at: DateTime<FixedOffset>) -> Self {
        self.timestamp = Some(at);
        self
    }

    /// `meta.lastUpdated` of the resources the builder makes.
    pub fn last_updated(mut self, at: &str) -> Self {
        self.last_updated = Some(at.into());
        self
    }

    /// The version shown in `Mex-Subject` (default 1).
    pub fn version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }

    /// The date validation treats as today (default the current UTC date).
    pub fn today(mut self, today: NaiveDate) -> Self {
        self.today = Some(today);
        self
    }

    fn validate(&self) -> Result<(&Pharmacy, &Pharmacist), InvalidInput> {
        let today = self.today.unwrap_or_else(|| chrono::Utc::now().date_naive());
        self.patient.validate(today)?;
        if self.seen > today {
            return Err(InvalidInput::parameter("Encounter.period.start", "in the future"));
        }
        let pharmacy = self.pharmacy.as_ref().ok_or(InvalidInput::parameter("Encounter.serviceProvider", "missing"))?;
        if pharmacy.name.trim().is_empty() {
            return Err(InvalidInput::parameter("Organization.name", "missing"));
        }
        let pharmacist = self.pharmacist.as_ref().ok_or(InvalidInput::parameter("Composition.author", "missing"))?;
        if pharmacist.family.trim().is_empty() {
            return Err(InvalidInput::parameter("Practitioner.name.family", "missing"));
        }
        if self.items.is_empty() {
            return Err(InvalidInput::parameter("Composition.section.entry", "no clinical content"));
        }
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

    fn meta(&self, profile: &str) -> Meta {
        let mut m = Meta::profile(profile);
        m.last_updated.clone_from(&self.last_updated);
        m
    }

    fn local(&self, kind: &str, value: &str) -> Option<Identifier> {
        self.identifier_base.as_ref().map(|b| Identifier::new(format!("{b}/{kind}"), value))
    }

    /// [`UpdateRecord::local`], else a UUID identifier.
    fn local_or_uuid(&self, kind: &str, value: &str) -> Identifier {
        self.local(kind, value).unwrap_or_else(|| Identifier::new(RFC4122, value))
    }

    /// Validates the input and builds the message and its MESH envelope; nothing is sent.
    /// `sender` is the pharmacy's mailbox, `sender_ods` the header organisation and
    /// `Mex-LocalID`.
    ///
    /// # Errors
    /// `Error::InvalidInput` naming the element that breaks a rule.
    pub fn request(&self, sender: &MailboxId, sender_ods: &OdsCode) -> gpconnect_core::Result<Prepared> {
        let (pharmacy, pharmacist) = self.validate()?;
        let ids = &self.ids;
        let urn = |id: &str| format!("urn:uuid:{id}");
        let to = |id: &str| Some(Reference::new(&urn(id)));
        let seen = self.seen.format("%Y-%m-%d").to_string();
        let title = self.title.clone().unwrap_or_else(|| format!("{} - {}", pharmacy.name, self.service.display()));

        let handling = HandlingSpec::acknowledged(self.recipient_type, MESSAGE_DEFINITION, urn(&ids.encounter), "None");
        let timestamp = fhir_instant(&self.timestamp.unwrap_or_else(|| chrono::Utc::now().fixed_offset()));
        let mut envelope = Envelope::new(MessageEvent::UpdateRecord, handling, sender.as_str(), sender_ods.as_str())
            .with_ids(
                &ids.bundle,
                self.local_or_uuid("bundle", &ids.bundle_identifier),
                &ids.header,
                &ids.sender,
                timestamp,
            );
        envelope.bundle_meta.last_updated.clone_from(&self.last_updated);
        envelope.header_meta.last_updated.clone_from(&self.last_updated);
        envelope.sender_meta.last_updated.clone_from(&self.last_updated);

        let service = CodeableConcept::with_text(self.service.coding());
        let encounter = Encounter {
            id: Some(ids.encounter.clone()),
            meta: Some(self.meta(ENCOUNTER_PROFILE)),
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
            identifier: self.local("encounter", &ids.encounter).into_iter().collect(),
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
        let organisation = Organization {
            id: Some(ids.organisation.clone()),
            meta: Some(self.meta(ORGANIZATION_PROFILE)),
            identifier: vec![Identifier::new(ODS_SYSTEM, &pharmacy.ods)],
            name: Some(pharmacy.name.clone()),
            ..Default::default()
        };
        let practitioner = Practitioner {
            id: Some(ids.practitioner.clone()),
            meta: Some(self.meta(PRACTITIONER_PROFILE)),
            identifier: self
                .local("staff", &ids.practitioner)
                .into_iter()
                .chain(pharmacist.identifiers.iter().map(|(s, v)| Identifier::new(s, v)))
                .collect(),
            name: vec![HumanName {
                family: Some(pharmacist.family.clone()),
                given: pharmacist.given.clone(),
                prefix: pharmacist.prefix.clone(),
                ..Default::default()
            }],
            telecom: Vec::new(),
            ..Default::default()
        };
        let role = PractitionerRole {
            id: Some(ids.role.clone()),
            meta: Some(self.meta(ROLE_PROFILE)),
            practitioner: to(&ids.practitioner),
            organization: to(&ids.organisation),
            code: vec![CodeableConcept::with_text(Coding::new(JOB_ROLE, &pharmacist.role.0, &pharmacist.role.1))],
            ..Default::default()
        };
        let patient = self.patient_resource();

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
        let composition = Composition {
            id: Some(ids.composition.clone()),
            meta: Some(self.meta(COMPOSITION_PROFILE)),
            identifier: self.local("composition", &ids.composition),
            status: Some("final".into()),
            type_: Some(service),
            subject: to(&ids.patient),
            encounter: to(&ids.encounter),
            date: Some(seen.clone()),
            author: vec![Reference::new(&urn(&ids.practitioner))],
            title: Some(title.clone()),
            section: vec![CompositionSection {
                entry: entries.iter().map(|(id, _)| Reference::new(&urn(id))).collect(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let identifier = self.local_or_uuid("bundle", &ids.document_bundle);
        let mut document = Bundle::document(&ids.document_bundle, self.meta(DOCUMENT_BUNDLE_PROFILE), identifier);
        document.push(&ids.composition, Resource::Composition(composition));
        for (id, r) in entries {
            document.push(&id, r);
        }
        let message = envelope.wrap(&ids.document_bundle, Resource::Bundle(Box::new(document)));

        let recipient = self.addressing.recipient(&self.patient)?;
        let subject = format!(
            "{title} for {}, NHS Number: {}, seen at {}, ODS code: {}, version {}",
            self.patient.display_name(),
            self.patient.nhs_number.expose(),
            pharmacy.name,
            pharmacy.ods,
            self.version
        );
        Ok(Prepared::new(message, recipient, workflow(), subject, sender_ods.as_str())?)
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
                    o.identifier.extend(self.local("observation", &id));
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
                    d.identifier.extend(self.local("medication-dispense", &id));
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
                    c.identifier.extend(self.local("condition", &id));
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
                    n.identifier.extend(self.local("clinical-impression", &id));
                }
                n.subject = n.subject.or_else(|| to(&ids.patient));
                n.context = n.context.or_else(|| to(&ids.encounter));
                n.date.get_or_insert_with(|| seen.to_owned());
                n.assessor = n.assessor.or_else(|| to(&ids.practitioner));
                (id, Resource::ClinicalImpression(n))
            }
        }
    }

    fn patient_resource(&self) -> Patient {
        let verified = Coding::new(NHS_VERIFICATION_SYSTEM, "01", "Number present and verified");
        let verification = Extension::value(
            NHS_VERIFICATION_URL,
            ExtensionValue::CodeableConcept(CodeableConcept::with_text(verified)),
        );
        let local = self.local("patient", &self.ids.patient);
        self.patient.resource(&self.ids.patient, self.meta(PATIENT_PROFILE), verification, local)
    }

    /// Validates, builds and sends the consultation once over `mesh` from its mailbox,
    /// with `sender_ods` as the sending organisation. Returns the tracker of its
    /// acknowledgements (read them with [`gpconnect_core::itk3::receive_answers`] on
    /// [`ack_workflow`]); a `20010` answer means the practice has Update Record switched
    /// off ([`DeliveryOutcome::SendAnotherWay`](gpconnect_core::itk3::DeliveryOutcome)).
    ///
    /// # Errors
    /// As [`UpdateRecord::request`], then the MESH client's errors.
    pub async fn send(self, mesh: &MeshClient, sender_ods: &OdsCode) -> gpconnect_core::Result<Acknowledgements> {
        self.request(mesh.mailbox(), sender_ods)?.send(mesh).await
    }
}
