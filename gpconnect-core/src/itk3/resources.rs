//! The FHIR STU3 resources that ITK3 messages carry (Send Document and Update Record
//! payloads, the message header and its responses).

use std::fmt;

use super::model::{
    CodeableConcept, Coding, Dosage, Extension, FromXml, Identifier, Meta, Narrative, Period, Quantity, ReadContext,
    Reference, ToXml,
};
use super::xml::XmlNode;
use super::Itk3Error;
use crate::fhir::Annotation;
pub use crate::fhir::Binary;
pub use crate::fhir::OperationOutcome;
/// `OperationOutcome.issue`.
pub use crate::fhir::OperationOutcomeIssue as OutcomeIssue;
pub use crate::fhir::Organization;
pub use crate::fhir::Patient;
pub use crate::fhir::Practitioner;
pub use crate::fhir::PractitionerRole;

crate::fhir_type! {
    /// `MessageHeader.source`.
    #[derive(PartialEq)]
    pub struct MessageSource {
        /// The sender's MESH mailbox ID.
        endpoint: one String = "endpoint",
    }
}

crate::fhir_type! {
    /// `MessageHeader.response`: which message a response answers, and how.
    #[derive(PartialEq)]
    pub struct MessageResponse {
        /// The `MessageHeader.id` of the message answered.
        identifier: one String = "identifier",
        /// `ok`, `transient-error` or `fatal-error`.
        code: one String = "code",
        /// The ITK-Response-OperationOutcome-1 with the ITK response code.
        details: one Reference = "details",
    }
}

crate::fhir_type! {
    /// An ITK-MessageHeader-2.
    #[derive(PartialEq)]
    pub struct MessageHeader {
        /// The logical id.
        id: one String = "id",
        /// Profile and timestamps.
        meta: one Meta = "meta",
        /// The handling specification (Extension-ITK-MessageHandling-2).
        extension: many Extension = "extension",
        /// The ITK-MessageEvent-2 coding.
        event: one Coding = "event",
        /// Forbidden by the profile for GP Connect routing; kept when present.
        receiver: one Reference = "receiver",
        /// The sending organisation.
        sender: one Reference = "sender",
        /// When the message was generated.
        timestamp: one String = "timestamp",
        /// The sender's MESH mailbox.
        source: one MessageSource = "source",
        /// Set on responses.
        response: one MessageResponse = "response",
        /// The payload (document bundle or OperationOutcome).
        focus: many Reference = "focus",
    }
}

crate::fhir_type! {
    /// `Composition.relatesTo` (replacement documents).
    #[derive(PartialEq)]
    pub struct CompositionRelatesTo {
        /// `replaces`.
        code: one String = "code",
        /// The replaced document's identifier.
        target_identifier: one Identifier = "targetIdentifier",
    }
}

crate::fhir_type! {
    /// `Composition.event`.
    #[derive(PartialEq)]
    pub struct CompositionEvent {
        /// What happened.
        code: many CodeableConcept = "code",
        /// When.
        period: one Period = "period",
    }
}

crate::fhir_type! {
    /// `Composition.section`.
    #[derive(PartialEq)]
    pub struct CompositionSection [no_json] {
        /// The heading.
        title: one String = "title",
        /// The section code.
        code: one CodeableConcept = "code",
        /// Narrative (not allowed in Update Record).
        text: one Narrative = "text",
        /// The resources of this section.
        entry: many Reference = "entry",
    }
}

crate::fhir_type! {
    /// A CareConnect-Composition-1, the first entry of every document bundle.
    #[derive(PartialEq)]
    pub struct Composition [no_json] {
        /// The logical id.
        id: one String = "id",
        /// Profile and timestamps.
        meta: one Meta = "meta",
        /// Narrative.
        text: one Narrative = "text",
        /// Extensions (care setting type in Send Document v2).
        extension: many Extension = "extension",
        /// The document identifier.
        identifier: one Identifier = "identifier",
        /// `final`.
        status: one String = "status",
        /// The document type (SNOMED).
        type_: one CodeableConcept = "type",
        /// The document class.
        class: one CodeableConcept = "class",
        /// The patient.
        subject: one Reference = "subject",
        /// The encounter.
        encounter: one Reference = "encounter",
        /// When the document was made.
        date: one String = "date",
        /// Who wrote it.
        author: many Reference = "author",
        /// The title.
        title: one String = "title",
        /// `N` or `R`.
        confidentiality: one String = "confidentiality",
        /// The organisation that keeps it.
        custodian: one Reference = "custodian",
        /// Documents this one replaces.
        relates_to: many CompositionRelatesTo = "relatesTo",
        /// The clinical events documented.
        event: many CompositionEvent = "event",
        /// The sections.
        section: many CompositionSection = "section",
    }
}

crate::fhir_type! {
    /// `Encounter.participant`.
    #[derive(PartialEq)]
    pub struct EncounterParticipant {
        /// The participation type (`REC`).
        type_: many CodeableConcept = "type",
        /// Who.
        individual: one Reference = "individual",
    }
}

crate::fhir_type! {
    /// A CareConnect-GPC-Encounter-1.
    #[derive(PartialEq)]
    pub struct Encounter {
        /// The logical id.
        id: one String = "id",
        /// Profile and timestamps.
        meta: one Meta = "meta",
        /// Extensions (for example the service type).
        extension: many Extension = "extension",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// `finished`.
        status: one String = "status",
        /// Encounter types.
        type_: many CodeableConcept = "type",
        /// The patient.
        subject: one Reference = "subject",
        /// Who took part.
        participant: many EncounterParticipant = "participant",
        /// When.
        period: one Period = "period",
        /// Why.
        reason: many CodeableConcept = "reason",
        /// The organisation providing the service.
        service_provider: one Reference = "serviceProvider",
    }
}

crate::fhir_type! {
    /// `Observation.component`.
    #[derive(PartialEq)]
    pub struct ObservationComponent {
        /// What was measured.
        code: one CodeableConcept = "code",
        /// The measurement.
        value_quantity: one Quantity = "valueQuantity",
    }
}

crate::fhir_type! {
    /// A CareConnect-GPC-Observation-1.
    #[derive(PartialEq)]
    pub struct Observation {
        /// The logical id.
        id: one String = "id",
        /// Profile, timestamps and PRSB heading tags.
        meta: one Meta = "meta",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// `final`.
        status: one String = "status",
        /// `vital-signs`, `social-history`, ...
        category: many CodeableConcept = "category",
        /// What was observed (SNOMED).
        code: one CodeableConcept = "code",
        /// The patient.
        subject: one Reference = "subject",
        /// The encounter.
        context: one Reference = "context",
        /// When it was true.
        effective_date_time: one String = "effectiveDateTime",
        /// When it was recorded.
        issued: one String = "issued",
        /// Who observed it.
        performer: many Reference = "performer",
        /// A measurement.
        value_quantity: one Quantity = "valueQuantity",
        /// A coded result.
        value_codeable_concept: one CodeableConcept = "valueCodeableConcept",
        /// A text result.
        value_string: one String = "valueString",
        /// A comment.
        comment: one String = "comment",
        /// Where on the body.
        body_site: one CodeableConcept = "bodySite",
        /// Parts (systolic and diastolic blood pressure).
        component: many ObservationComponent = "component",
    }
}

crate::fhir_type! {
    /// `MedicationDispense.performer`.
    #[derive(PartialEq)]
    pub struct DispensePerformer {
        /// Who dispensed.
        actor: one Reference = "actor",
    }
}

crate::fhir_type! {
    /// A CareConnect-GPC-MedicationDispense-1: what the pharmacy supplied.
    #[derive(PartialEq)]
    pub struct MedicationDispense {
        /// The logical id.
        id: one String = "id",
        /// Profile, timestamps and tags.
        meta: one Meta = "meta",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// `completed`.
        status: one String = "status",
        /// `community`.
        category: one CodeableConcept = "category",
        /// The medicine (dm+d).
        medication_codeable_concept: one CodeableConcept = "medicationCodeableConcept",
        /// The patient.
        subject: one Reference = "subject",
        /// The encounter.
        context: one Reference = "context",
        /// Who dispensed.
        performer: many DispensePerformer = "performer",
        /// `prescription-dispensing` or `patient-group-direction`.
        type_: one CodeableConcept = "type",
        /// How much.
        quantity: one Quantity = "quantity",
        /// For how many days.
        days_supply: one Quantity = "daysSupply",
        /// When prepared.
        when_prepared: one String = "whenPrepared",
        /// When handed over.
        when_handed_over: one String = "whenHandedOver",
        /// How to take it.
        dosage_instruction: many Dosage = "dosageInstruction",
    }
}

crate::fhir_type! {
    /// A CareConnect-GPC-ClinicalImpression-1: a free-text summary under a PRSB heading.
    #[derive(PartialEq)]
    pub struct ClinicalImpression {
        /// The logical id.
        id: one String = "id",
        /// Profile, timestamps and the PRSB heading tag.
        meta: one Meta = "meta",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// `completed`.
        status: one String = "status",
        /// The patient.
        subject: one Reference = "subject",
        /// The encounter.
        context: one Reference = "context",
        /// When.
        date: one String = "date",
        /// Who assessed.
        assessor: one Reference = "assessor",
        /// The text.
        summary: one String = "summary",
    }
}

crate::fhir_type! {
    /// A CareConnect-GPC-Condition-1: a diagnosis.
    #[derive(PartialEq)]
    pub struct Condition {
        /// The logical id.
        id: one String = "id",
        /// Profile, timestamps and the PRSB heading tag.
        meta: one Meta = "meta",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// `active`, `resolved`, ...
        clinical_status: one String = "clinicalStatus",
        /// `confirmed`, `provisional`, ...
        verification_status: one String = "verificationStatus",
        /// Categories.
        category: many CodeableConcept = "category",
        /// The diagnosis (SNOMED).
        code: one CodeableConcept = "code",
        /// The patient.
        subject: one Reference = "subject",
        /// The encounter.
        context: one Reference = "context",
        /// When it started.
        onset_date_time: one String = "onsetDateTime",
        /// When it was recorded.
        asserted_date: one String = "assertedDate",
        /// Who recorded it.
        asserter: one Reference = "asserter",
    }
}

crate::fhir_type! {
    /// `AllergyIntolerance.reaction`.
    #[derive(PartialEq)]
    pub struct AllergyIntoleranceReaction {
        /// The specific substance.
        substance: one CodeableConcept = "substance",
        /// What happened (SNOMED).
        manifestation: many CodeableConcept = "manifestation",
        /// Free-text description.
        description: one String = "description",
        /// `mild`, `moderate` or `severe`.
        severity: one String = "severity",
    }
}

crate::fhir_type! {
    /// A CareConnect-GPC-AllergyIntolerance-1 (Update Record allows it, spec 4.3).
    #[derive(PartialEq)]
    pub struct AllergyIntolerance {
        /// The logical id.
        id: one String = "id",
        /// Profile and timestamps.
        meta: one Meta = "meta",
        /// Extensions (for example the allergy end).
        extension: many Extension = "extension",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// `active`, `inactive` or `resolved`.
        clinical_status: one String = "clinicalStatus",
        /// `unconfirmed`, `confirmed`, `refuted` or `entered-in-error`.
        verification_status: one String = "verificationStatus",
        /// `allergy` or `intolerance`.
        type_: one String = "type",
        /// `food`, `medication`, `environment` or `biologic`.
        category: many String = "category",
        /// `low`, `high` or `unable-to-assess`.
        criticality: one String = "criticality",
        /// The substance or allergy (SNOMED).
        code: one CodeableConcept = "code",
        /// The patient.
        patient: one Reference = "patient",
        /// When it started.
        onset_date_time: one String = "onsetDateTime",
        /// When it was recorded.
        asserted_date: one String = "assertedDate",
        /// Who recorded it.
        recorder: one Reference = "recorder",
        /// Who asserted it.
        asserter: one Reference = "asserter",
        /// Notes.
        note: many Annotation = "note",
        /// The reactions.
        reaction: many AllergyIntoleranceReaction = "reaction",
    }
}

crate::fhir_type! {
    /// `Procedure.performer`.
    #[derive(PartialEq)]
    pub struct ProcedurePerformer {
        /// Who performed it.
        actor: one Reference = "actor",
    }
}

crate::fhir_type! {
    /// A Procedure (CareConnect-Procedure-1; Update Record allows it, spec 4.3).
    #[derive(PartialEq)]
    pub struct Procedure {
        /// The logical id.
        id: one String = "id",
        /// Profile and timestamps.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// `completed`, `in-progress`, ...
        status: one String = "status",
        /// The category.
        category: one CodeableConcept = "category",
        /// The procedure (SNOMED).
        code: one CodeableConcept = "code",
        /// The patient.
        subject: one Reference = "subject",
        /// The encounter.
        context: one Reference = "context",
        /// When it was performed.
        performed_date_time: one String = "performedDateTime",
        /// Who performed it.
        performer: many ProcedurePerformer = "performer",
        /// Why.
        reason_code: many CodeableConcept = "reasonCode",
        /// Where on the body.
        body_site: many CodeableConcept = "bodySite",
        /// The outcome.
        outcome: one CodeableConcept = "outcome",
        /// Notes.
        note: many Annotation = "note",
    }
}

crate::fhir_type! {
    /// `ReferralRequest.requester`.
    #[derive(PartialEq)]
    pub struct ReferralRequester {
        /// Who asks.
        agent: one Reference = "agent",
        /// On behalf of which organisation.
        on_behalf_of: one Reference = "onBehalfOf",
    }
}

crate::fhir_type! {
    /// A CareConnect-GPC-ReferralRequest-1 (Update Record allows it, spec 4.3).
    #[derive(PartialEq)]
    pub struct ReferralRequest {
        /// The logical id.
        id: one String = "id",
        /// Profile and timestamps.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// `active`, `completed`, ...
        status: one String = "status",
        /// `proposal`, `plan`, `order`, ...
        intent: one String = "intent",
        /// The kind of referral.
        type_: one CodeableConcept = "type",
        /// `routine`, `urgent`, `asap` or `stat`.
        priority: one String = "priority",
        /// The services requested.
        service_requested: many CodeableConcept = "serviceRequested",
        /// The patient.
        subject: one Reference = "subject",
        /// The encounter.
        context: one Reference = "context",
        /// When it was written.
        authored_on: one String = "authoredOn",
        /// Who asks.
        requester: one ReferralRequester = "requester",
        /// The specialty asked for.
        specialty: one CodeableConcept = "specialty",
        /// Who is asked.
        recipient: many Reference = "recipient",
        /// Why.
        reason_code: many CodeableConcept = "reasonCode",
        /// Free-text description.
        description: one String = "description",
        /// Notes.
        note: many Annotation = "note",
    }
}

crate::fhir_type! {
    /// `Appointment.participant`.
    #[derive(PartialEq)]
    pub struct AppointmentParticipant {
        /// The role.
        type_: many CodeableConcept = "type",
        /// Who (the patient, a practitioner, a location).
        actor: one Reference = "actor",
        /// `required`, `optional` or `information-only`.
        required: one String = "required",
        /// `accepted`, `declined`, `tentative` or `needs-action`.
        status: one String = "status",
    }
}

crate::fhir_type! {
    /// A GPConnect-Appointment-1 (Update Record allows it, spec 4.3). The patient is a
    /// `participant`.
    #[derive(PartialEq)]
    pub struct Appointment {
        /// The logical id.
        id: one String = "id",
        /// Profile and timestamps.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// `proposed`, `booked`, `fulfilled`, ...
        status: one String = "status",
        /// The service.
        service_type: many CodeableConcept = "serviceType",
        /// Why.
        reason: many CodeableConcept = "reason",
        /// Free-text description.
        description: one String = "description",
        /// Start.
        start: one String = "start",
        /// End.
        end: one String = "end",
        /// When it was booked.
        created: one String = "created",
        /// A comment.
        comment: one String = "comment",
        /// The referrals it answers.
        incoming_referral: many Reference = "incomingReferral",
        /// Who takes part (the patient among them).
        participant: many AppointmentParticipant = "participant",
    }
}

crate::fhir_type! {
    /// A Flag (CareConnect-Flag-1; Update Record allows it, spec 4.3): a warning to show.
    #[derive(PartialEq)]
    pub struct Flag {
        /// The logical id.
        id: one String = "id",
        /// Profile and timestamps.
        meta: one Meta = "meta",
        /// Extensions.
        extension: many Extension = "extension",
        /// Identifiers.
        identifier: many Identifier = "identifier",
        /// The category.
        category: one CodeableConcept = "category",
        /// `active`, `inactive` or `entered-in-error`.
        status: one String = "status",
        /// When it applies.
        period: one Period = "period",
        /// The patient.
        subject: one Reference = "subject",
        /// The encounter.
        encounter: one Reference = "encounter",
        /// Who raised it.
        author: one Reference = "author",
        /// The warning.
        code: one CodeableConcept = "code",
    }
}

crate::fhir_type! {
    /// `Bundle.entry`.
    #[derive(PartialEq)]
    pub struct BundleEntry [no_json] {
        /// `urn:uuid:...`.
        full_url: one String = "fullUrl",
        /// The resource.
        resource: one Resource = "resource",
    }
}

crate::fhir_type! {
    /// A FHIR Bundle (the ITK3 message bundle or its document bundle).
    #[derive(PartialEq)]
    pub struct Bundle [no_json] {
        /// The logical id.
        id: one String = "id",
        /// Profile and timestamps.
        meta: one Meta = "meta",
        /// The bundle identifier.
        identifier: one Identifier = "identifier",
        /// `message` or `document`.
        type_: one String = "type",
        /// The entries.
        entry: many BundleEntry = "entry",
    }
}

impl Bundle {
    /// An empty document bundle (`type` `document`) with its id, meta and identifier.
    pub fn document(id: &str, meta: Meta, identifier: Identifier) -> Self {
        Bundle {
            id: Some(id.into()),
            meta: Some(meta),
            identifier: Some(identifier),
            type_: Some("document".into()),
            entry: Vec::new(),
        }
    }

    /// The first resource whose `fullUrl` is `url` (a linear search: for many look-ups
    /// build an index instead).
    pub fn resolve(&self, url: &str) -> Option<&Resource> {
        self.entry.iter().find(|e| e.full_url.as_deref() == Some(url)).and_then(|e| e.resource.as_ref())
    }

    /// The one Patient of a received document bundle, checked: exactly one Patient entry,
    /// the Composition's subject resolves to it, and every other resource that names a
    /// patient (`subject` or `patient`, an Appointment's patient participant) names it, by
    /// its `fullUrl` or as `Patient/{id}`. A
    /// resource that names no patient is taken to be about the message's one patient.
    ///
    /// # Errors
    /// [`Itk3Error::WrongPatient`] naming the element (never a value).
    pub fn the_patient(&self) -> Result<&Patient, Itk3Error> {
        let wrong = |path: &str, problem| Itk3Error::WrongPatient { path: path.into(), problem };
        let mut patients = self.entry.iter().filter_map(|e| match &e.resource {
            Some(Resource::Patient(p)) => Some((e.full_url.as_deref(), p)),
            _ => None,
        });
        let (url, patient) = match (patients.next(), patients.next()) {
            (Some(one), None) => one,
            (None, _) => return Err(wrong("Bundle.entry(Patient)", "no Patient")),
            (Some(_), Some(_)) => return Err(wrong("Bundle.entry(Patient)", "more than one Patient")),
        };
        let local = patient.id.as_deref().map(|id| format!("Patient/{id}"));
        let names_it = |r: &str| Some(r) == url || local.as_deref() == Some(r);
        for (i, resource) in self.resources().enumerate() {
            let subject = resource.subject_reference();
            let path = || format!("Bundle.entry[{i}]({}).subject", resource.type_name());
            match (resource, subject) {
                (Resource::Composition(_), None) => return Err(wrong(&path(), "names no patient")),
                (_, Some(r)) if !names_it(r) => return Err(wrong(&path(), "names another patient")),
                _ => {}
            }
            // An Appointment names its patient among its participants.
            if let Resource::Appointment(a) = resource {
                let patients = a
                    .participant
                    .iter()
                    .filter_map(|p| p.actor.as_ref()?.reference.as_deref())
                    .filter(|r| r.starts_with("Patient/") || matches!(self.resolve(r), Some(Resource::Patient(_))));
                for r in patients {
                    if !names_it(r) {
                        let path = format!("Bundle.entry[{i}](Appointment).participant.actor");
                        return Err(wrong(&path, "names another patient"));
                    }
                }
            }
        }
        Ok(patient)
    }

    /// The resources, in order.
    pub fn resources(&self) -> impl Iterator<Item = &Resource> {
        self.entry.iter().filter_map(|e| e.resource.as_ref())
    }

    /// Adds an entry with `fullUrl` `urn:uuid:{id}`.
    pub fn push(&mut self, id: &str, resource: Resource) {
        self.entry.push(BundleEntry { full_url: Some(format!("urn:uuid:{id}")), resource: Some(resource) });
    }
}

/// Any resource of an ITK3 message, typed where the SDK models it.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Resource {
    /// A MessageHeader.
    MessageHeader(MessageHeader),
    /// An Organization.
    Organization(Organization),
    /// A nested Bundle (the document bundle).
    Bundle(Box<Bundle>),
    /// A Composition.
    Composition(Composition),
    /// A Patient.
    Patient(Patient),
    /// A Practitioner.
    Practitioner(Practitioner),
    /// A PractitionerRole.
    PractitionerRole(PractitionerRole),
    /// An Encounter.
    Encounter(Encounter),
    /// An Observation.
    Observation(Observation),
    /// A MedicationDispense.
    MedicationDispense(MedicationDispense),
    /// A ClinicalImpression.
    ClinicalImpression(ClinicalImpression),
    /// A Condition.
    Condition(Condition),
    /// An AllergyIntolerance.
    AllergyIntolerance(AllergyIntolerance),
    /// A Procedure.
    Procedure(Procedure),
    /// A ReferralRequest.
    ReferralRequest(ReferralRequest),
    /// An Appointment.
    Appointment(Appointment),
    /// A Flag.
    Flag(Flag),
    /// A Binary.
    Binary(Binary),
    /// An OperationOutcome.
    OperationOutcome(OperationOutcome),
    /// A resource the SDK does not model (for example a MedicationStatement), kept
    /// as its element tree and written back unchanged.
    Other(XmlNode),
}

impl Resource {
    /// The reference to the patient this resource is about: its `subject` (or `patient`,
    /// for the resources the SDK keeps as element trees), when it has one.
    pub fn subject_reference(&self) -> Option<&str> {
        fn of(r: &Option<super::model::Reference>) -> Option<&str> {
            r.as_ref().and_then(|r| r.reference.as_deref())
        }
        match self {
            Resource::Composition(x) => of(&x.subject),
            Resource::Encounter(x) => of(&x.subject),
            Resource::Observation(x) => of(&x.subject),
            Resource::MedicationDispense(x) => of(&x.subject),
            Resource::ClinicalImpression(x) => of(&x.subject),
            Resource::Condition(x) => of(&x.subject),
            Resource::AllergyIntolerance(x) => of(&x.patient),
            Resource::Procedure(x) => of(&x.subject),
            Resource::ReferralRequest(x) => of(&x.subject),
            Resource::Flag(x) => of(&x.subject),
            Resource::Other(node) => ["subject", "patient"]
                .iter()
                .find_map(|name| node.first(name))
                .and_then(|r| r.first("reference"))
                .and_then(XmlNode::value),
            _ => None,
        }
    }
}

macro_rules! resource_dispatch {
    ($($variant:ident),*) => {
        impl Resource {
            /// The FHIR resource type name.
            pub fn type_name(&self) -> &str {
                match self {
                    $( Resource::$variant(_) => stringify!($variant), )*
                    Resource::Bundle(_) => "Bundle",
                    Resource::Other(n) => n.name(),
                }
            }

            /// The logical id.
            pub fn id(&self) -> Option<&str> {
                match self {
                    $( Resource::$variant(r) => r.id.as_deref(), )*
                    Resource::Bundle(b) => b.id.as_deref(),
                    Resource::Other(n) => n.first("id").and_then(XmlNode::value),
                }
            }

            /// The meta element.
            pub fn meta(&self) -> Option<&Meta> {
                match self {
                    $( Resource::$variant(r) => r.meta.as_ref(), )*
                    Resource::Bundle(b) => b.meta.as_ref(),
                    Resource::Other(_) => None,
                }
            }
        }

        impl FromXml for Resource {
            fn from_xml(node: &XmlNode, cx: &mut ReadContext) -> Result<Self, Itk3Error> {
                let mut inner = node.children().iter();
                let (Some(r), None) = (inner.next(), inner.next()) else {
                    return Err(Itk3Error::Invalid { path: "entry.resource".into(), problem: "not exactly one resource" });
                };
                Ok(match r.name() {
                    "Bundle" => Resource::Bundle(Box::new(Bundle::from_xml(r, cx)?)),
                    $( stringify!($variant) => Resource::$variant(FromXml::from_xml(r, cx)?), )*
                    _ => Resource::Other(r.clone()),
                })
            }
        }

        impl ToXml for Resource {
            fn to_xml(&self, name: &str) -> XmlNode {
                let inner = match self {
                    Resource::Bundle(b) => b.to_xml("Bundle"),
                    $( Resource::$variant(r) => r.to_xml(stringify!($variant)), )*
                    Resource::Other(n) => n.clone(),
                };
                XmlNode::new(name).child(inner)
            }
        }
    };
}

resource_dispatch!(
    MessageHeader,
    Organization,
    Composition,
    Patient,
    Practitioner,
    PractitionerRole,
    Encounter,
    Observation,
    MedicationDispense,
    ClinicalImpression,
    Condition,
    AllergyIntolerance,
    Procedure,
    ReferralRequest,
    Appointment,
    Flag,
    Binary,
    OperationOutcome
);

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Bundle(b) => b.fmt(f),
            Resource::Other(n) => write!(f, "Other({})", n.name()),
            _ => write!(f, "{}", self.type_name()),
        }
    }
}
