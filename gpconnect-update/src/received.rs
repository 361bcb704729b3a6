//! An Update Record message read back into its typed parts.

use std::fmt;

use gpconnect_core::error::InvalidInput;
use gpconnect_core::itk3::resources::{
    Bundle, ClinicalImpression, Composition, Condition, Encounter, MedicationDispense, Observation, Organization,
    Patient, Practitioner, PractitionerRole,
};
use gpconnect_core::itk3::{Itk3Error, Itk3Message, Limits, MessageEvent, Resource};
use gpconnect_core::NhsNumber;

use crate::clinical::{check_dispense, check_observation, PrsbHeading, Service};
use crate::update_record::Item;

/// A parsed Update Record message: the service, the people and places, and the clinical
/// items in order.
#[derive(Clone, PartialEq)]
pub struct UpdateRecordMessage {
    message: Itk3Message,
    service: Service,
}

impl fmt::Debug for UpdateRecordMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateRecordMessage").field("service", &self.service).field("message", &self.message).finish()
    }
}

macro_rules! first_of {
    ($name:ident, $variant:ident, $ty:ty, $doc:literal) => {
        #[doc = $doc]
        pub fn $name(&self) -> Option<&$ty> {
            self.bundle().resources().find_map(|r| match r {
                Resource::$variant(x) => Some(x),
                _ => None,
            })
        }
    };
}

impl UpdateRecordMessage {
    /// Parses an Update Record message (within [`Limits::MESSAGE`]).
    ///
    /// # Errors
    /// The envelope's errors, [`Itk3Error::Invalid`] when it is not an `ITK014M`
    /// message with a document bundle whose Composition names one of the services, or
    /// [`Itk3Error::WrongPatient`] when the bundle does not hold exactly one Patient that
    /// the Composition and every item are about.
    pub fn parse(bytes: &[u8]) -> Result<Self, Itk3Error> {
        Self::from_message(Itk3Message::parse(bytes, &Limits::MESSAGE)?)
    }

    /// Checks an already parsed message.
    ///
    /// # Errors
    /// As [`UpdateRecordMessage::parse`].
    pub fn from_message(message: Itk3Message) -> Result<Self, Itk3Error> {
        if message.event() != MessageEvent::UpdateRecord {
            return Err(Itk3Error::invalid("MessageHeader.event", "not ITK014M"));
        }
        let (doc, c) = message.document_composition()?;
        doc.the_patient()?;
        let service = c
            .type_
            .as_ref()
            .and_then(|t| t.code_in(crate::SNOMED))
            .and_then(Service::from_code)
            .ok_or_else(|| Itk3Error::invalid("Composition.type", "not an Update Record service"))?;
        Ok(UpdateRecordMessage { message, service })
    }

    /// The whole message.
    pub fn message(&self) -> &Itk3Message {
        &self.message
    }

    fn bundle(&self) -> &Bundle {
        self.message.document().expect("checked on construction")
    }

    /// The service.
    pub fn service(&self) -> Service {
        self.service
    }

    /// The Composition.
    pub fn composition(&self) -> &Composition {
        self.message.document_composition().expect("checked on construction").1
    }

    first_of!(encounter, Encounter, Encounter, "The Encounter.");
    /// The one Patient the message and all its items are about (checked on parsing).
    pub fn patient(&self) -> Option<&Patient> {
        self.bundle().the_patient().ok()
    }
    first_of!(pharmacy, Organization, Organization, "The pharmacy Organization.");
    first_of!(pharmacist, Practitioner, Practitioner, "The Practitioner.");
    first_of!(role, PractitionerRole, PractitionerRole, "The PractitionerRole.");

    /// The clinical items, in bundle order.
    pub fn items(&self) -> Vec<Item> {
        self.bundle()
            .resources()
            .filter_map(|r| match r {
                Resource::Observation(o) => Some(Item::Observation(o.clone())),
                Resource::MedicationDispense(d) => Some(Item::Dispensed(d.clone())),
                Resource::Condition(c) => Some(Item::Condition(c.clone())),
                Resource::ClinicalImpression(n) => Some(Item::Note(n.clone())),
                Resource::AllergyIntolerance(a) => Some(Item::Allergy(a.clone())),
                Resource::Procedure(p) => Some(Item::Procedure(p.clone())),
                Resource::ReferralRequest(r) => Some(Item::Referral(r.clone())),
                Resource::Appointment(a) => Some(Item::Appointment(a.clone())),
                Resource::Flag(f) => Some(Item::Flag(f.clone())),
                _ => None,
            })
            .collect()
    }

    /// The observations.
    pub fn observations(&self) -> impl Iterator<Item = &Observation> {
        self.bundle().resources().filter_map(|r| match r {
            Resource::Observation(o) => Some(o),
            _ => None,
        })
    }

    /// The medicines supplied.
    pub fn dispensed(&self) -> impl Iterator<Item = &MedicationDispense> {
        self.bundle().resources().filter_map(|r| match r {
            Resource::MedicationDispense(d) => Some(d),
            _ => None,
        })
    }

    /// The diagnoses.
    pub fn conditions(&self) -> impl Iterator<Item = &Condition> {
        self.bundle().resources().filter_map(|r| match r {
            Resource::Condition(c) => Some(c),
            _ => None,
        })
    }

    /// The clinical notes with their PRSB heading.
    pub fn notes(&self) -> impl Iterator<Item = (Option<PrsbHeading>, &ClinicalImpression)> {
        self.bundle().resources().filter_map(|r| match r {
            Resource::ClinicalImpression(n) => {
                let heading = n.meta.iter().flat_map(|m| &m.tag).find_map(PrsbHeading::from_tag);
                Some((heading, n))
            }
            _ => None,
        })
    }

    /// Checks the content by the rules the builder applies (NHS number check digit, blood
    /// pressure triplets, dm+d codes). The spec's own examples fail it: their NHS numbers
    /// fail the check digit and blood pressure example 1 uses diastolic
    /// `1091811000000100` (spec 4.3 UNSURE).
    ///
    /// # Errors
    /// [`InvalidInput`] naming the first element that breaks a rule.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        let nhs = self
            .patient()
            .and_then(Patient::nhs_number)
            .ok_or(InvalidInput::parameter("Patient.identifier", "no NHS number"))?;
        NhsNumber::parse(nhs)?;
        for o in self.observations() {
            check_observation(o)?;
        }
        for d in self.dispensed() {
            check_dispense(d)?;
        }
        Ok(())
    }
}
