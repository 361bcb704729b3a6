//! The clinical content of a pharmacy consultation: services, PRSB headings, blood
//! pressure with its valid code triplets, vital signs, medicines dispensed (dm+d),
//! conditions and clinical notes.

use gpconnect_core::error::InvalidInput;
use gpconnect_core::itk3::model::{CodeableConcept, Coding, Dosage, Meta, Quantity};
use gpconnect_core::itk3::resources::{
    ClinicalImpression, Condition, MedicationDispense, Observation, ObservationComponent,
};

/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";
/// The dm+d code system.
pub const DMD: &str = "https://dmd.nhs.uk";
/// The PRSB record headings code system (`meta.tag`).
pub const PRSB_HEADINGS: &str = "https://fhir.nhs.uk/CodeSystem/RecordStandardHeadings";
/// The observation category code system.
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
/// The medication supply type code system.
pub const SUPPLY_TYPE: &str = "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-MedicationSupplyType-1";
const DISPENSE_CATEGORY: &str = "http://hl7.org/fhir/medication-dispense-category";
pub(crate) const OBSERVATION_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Observation-1";
pub(crate) const DISPENSE_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-MedicationDispense-1";
pub(crate) const CONDITION_PROFILE: &str = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Condition-1";
pub(crate) const IMPRESSION_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ClinicalImpression-1";

/// The community pharmacy service a consultation belongs to (`Composition.type`, spec 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Pharmacy First / CPCS minor illness (incl. common conditions): `1577041000000109`.
    PharmacyFirstMinorIllness,
    /// CPCS urgent supply of prescription items: `1577321000000100`.
    PharmacyFirstUrgentSupply,
    /// Blood Pressure Check Service (incl. ABPM): `1659111000000107`.
    BloodPressureCheck,
    /// Contraception Service: `1659121000000101`.
    Contraception,
}

impl Service {
    /// The SNOMED code.
    pub fn code(self) -> &'static str {
        match self {
            Service::PharmacyFirstMinorIllness => "1577041000000109",
            Service::PharmacyFirstUrgentSupply => "1577321000000100",
            Service::BloodPressureCheck => "1659111000000107",
            Service::Contraception => "1659121000000101",
        }
    }

    /// The SNOMED display.
    pub fn display(self) -> &'static str {
        match self {
            Service::PharmacyFirstMinorIllness => "Community Pharmacist Consultation Service for minor illness",
            Service::PharmacyFirstUrgentSupply => {
                "Community Pharmacist Consultation Service for urgent supply of prescription items"
            }
            Service::BloodPressureCheck => "Community Pharmacy Blood Pressure Check Service",
            Service::Contraception => "Community Pharmacy Contraception Service",
        }
    }

    /// The service with this SNOMED code.
    pub fn from_code(code: &str) -> Option<Self> {
        use Service::*;
        [PharmacyFirstMinorIllness, PharmacyFirstUrgentSupply, BloodPressureCheck, Contraception]
            .into_iter()
            .find(|s| s.code() == code)
    }

    pub(crate) fn coding(self) -> Coding {
        Coding::new(SNOMED, self.code(), self.display())
    }
}

/// A PRSB record heading (`meta.tag` of clinical notes, conditions and observations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PrsbHeading {
    /// `clinical-summary`.
    ClinicalSummary,
    /// `history`.
    History,
    /// `information-and-advice-given`.
    InformationAndAdviceGiven,
    /// `presenting-complaints-or-issues`.
    PresentingComplaintsOrIssues,
    /// `social-context`.
    SocialContext,
    /// `pregnancy-status`.
    PregnancyStatus,
}

impl PrsbHeading {
    /// Every heading the SDK knows.
    pub const ALL: [PrsbHeading; 6] = [
        PrsbHeading::ClinicalSummary,
        PrsbHeading::History,
        PrsbHeading::InformationAndAdviceGiven,
        PrsbHeading::PresentingComplaintsOrIssues,
        PrsbHeading::SocialContext,
        PrsbHeading::PregnancyStatus,
    ];

    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            PrsbHeading::ClinicalSummary => "clinical-summary",
            PrsbHeading::History => "history",
            PrsbHeading::InformationAndAdviceGiven => "information-and-advice-given",
            PrsbHeading::PresentingComplaintsOrIssues => "presenting-complaints-or-issues",
            PrsbHeading::SocialContext => "social-context",
            PrsbHeading::PregnancyStatus => "pregnancy-status",
        }
    }

    /// The display.
    pub fn display(self) -> &'static str {
        match self {
            PrsbHeading::ClinicalSummary => "Clinical summary",
            PrsbHeading::History => "History",
            PrsbHeading::InformationAndAdviceGiven => "Information and advice given",
            PrsbHeading::PresentingComplaintsOrIssues => "Presenting complaints or issues",
            PrsbHeading::SocialContext => "Social context",
            PrsbHeading::PregnancyStatus => "Pregnancy status",
        }
    }

    /// The heading of a `meta.tag` coding.
    pub fn from_tag(tag: &Coding) -> Option<Self> {
        if tag.system.as_deref() != Some(PRSB_HEADINGS) {
            return None;
        }
        Self::ALL.into_iter().find(|h| tag.code.as_deref() == Some(h.code()))
    }

    pub(crate) fn tag(self) -> Coding {
        Coding::new(PRSB_HEADINGS, self.code(), self.display())
    }
}

/// How a blood pressure was taken: its header code and the systolic/diastolic pair that
/// may go with it (spec 4.3, the valid triplets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BpTriplet {
    /// `163020007` O/E blood pressure with `72313002` systolic + `1091811000000102` diastolic.
    ExaminationArterial,
    /// `163020007` with `72313002` + `271650006` diastolic blood pressure.
    Examination,
    /// `163020007` with `271649006` systolic + `271650006` diastolic blood pressure.
    ExaminationSystolicDiastolic,
    /// `163033001` lying: `407556006` + `407557002`.
    Lying,
    /// `163034007` standing: `400974009` + `400975005`.
    Standing,
    /// `163035008` sitting: `407554009` + `407555005`.
    Sitting,
}

impl BpTriplet {
    /// Every valid triplet.
    pub const ALL: [BpTriplet; 6] = [
        BpTriplet::ExaminationArterial,
        BpTriplet::Examination,
        BpTriplet::ExaminationSystolicDiastolic,
        BpTriplet::Lying,
        BpTriplet::Standing,
        BpTriplet::Sitting,
    ];

    /// (header, systolic, diastolic) codings.
    pub fn codes(self) -> [(&'static str, &'static str); 3] {
        match self {
            BpTriplet::ExaminationArterial => [
                ("163020007", "On examination - blood pressure reading"),
                ("72313002", "Systolic arterial pressure"),
                ("1091811000000102", "Diastolic arterial pressure"),
            ],
            BpTriplet::Examination => [
                ("163020007", "On examination - blood pressure reading"),
                ("72313002", "Systolic arterial pressure"),
                ("271650006", "Diastolic blood pressure"),
            ],
            BpTriplet::ExaminationSystolicDiastolic => [
                ("163020007", "On examination - blood pressure reading"),
                ("271649006", "Systolic blood pressure"),
                ("271650006", "Diastolic blood pressure"),
            ],
            BpTriplet::Lying => [
                ("163033001", "Lying blood pressure reading"),
                ("407556006", "Lying systolic blood pressure"),
                ("407557002", "Lying diastolic blood pressure"),
            ],
            BpTriplet::Standing => [
                ("163034007", "Standing blood pressure reading"),
                ("400974009", "Standing systolic blood pressure"),
                ("400975005", "Standing diastolic blood pressure"),
            ],
            BpTriplet::Sitting => [
                ("163035008", "Sitting blood pressure reading"),
                ("407554009", "Sitting systolic blood pressure"),
                ("407555005", "Sitting diastolic blood pressure"),
            ],
        }
    }

    /// Whether `code` heads a blood pressure observation.
    pub fn is_header(code: &str) -> bool {
        Self::ALL.iter().any(|t| t.codes()[0].0 == code)
    }

    /// The triplet of these three codes, if it is a valid one.
    pub fn find(header: &str, systolic: &str, diastolic: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| {
            let [h, s, d] = t.codes();
            h.0 == header && s.0 == systolic && d.0 == diastolic
        })
    }
}

fn snomed(code: &str, display: &str) -> CodeableConcept {
    CodeableConcept::with_text(Coding::new(SNOMED, code, display))
}

fn category(code: &str, display: &str) -> CodeableConcept {
    CodeableConcept::with_text(Coding::new(OBSERVATION_CATEGORY, code, display))
}

fn mm_hg(value: u16) -> Quantity {
    Quantity::ucum(value, "millimeter of mercury", "mm[Hg]")
}

/// A blood pressure observation: header code and systolic/diastolic components in
/// `mm[Hg]`, from a valid triplet (so an invalid one cannot be built).
pub fn blood_pressure(triplet: BpTriplet, systolic: u16, diastolic: u16) -> Observation {
    let [h, s, d] = triplet.codes();
    Observation {
        meta: Some(Meta::profile(OBSERVATION_PROFILE)),
        status: Some("final".into()),
        category: vec![category("vital-signs", "Vital Signs")],
        code: Some(snomed(h.0, h.1)),
        component: vec![
            ObservationComponent { code: Some(snomed(s.0, s.1)), value_quantity: Some(mm_hg(systolic)) },
            ObservationComponent { code: Some(snomed(d.0, d.1)), value_quantity: Some(mm_hg(diastolic)) },
        ],
        ..Default::default()
    }
}

/// A vital sign measured with a value and unit (heart rate `364075005` with `{beats}/min`,
/// temperature `703421000` with `Cel`, height `50373000` with `cm`, weight `27113001` with
/// `kg`, BMI `60621009` with `kg/m2`, ...).
pub fn vital_sign(code: &str, display: &str, value: &str, unit: &str, ucum: &str) -> Observation {
    Observation {
        meta: Some(Meta::profile(OBSERVATION_PROFILE)),
        status: Some("final".into()),
        category: vec![category("vital-signs", "Vital Signs")],
        code: Some(snomed(code, display)),
        value_quantity: Some(Quantity::ucum(value, unit, ucum)),
        ..Default::default()
    }
}

/// A coded social-history finding under a PRSB heading (non-smoker `8392000` under
/// `social-context`, not pregnant `60001007` under `pregnancy-status`).
pub fn finding(code: &str, display: &str, heading: PrsbHeading) -> Observation {
    let mut meta = Meta::profile(OBSERVATION_PROFILE);
    meta.tag.push(heading.tag());
    Observation {
        meta: Some(meta),
        status: Some("final".into()),
        category: vec![category("social-history", "Social History")],
        code: Some(snomed(code, display)),
        ..Default::default()
    }
}

/// How a medicine was supplied (`MedicationDispense.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SupplyType {
    /// `prescription-dispensing`.
    PrescriptionDispensing,
    /// `patient-group-direction`.
    PatientGroupDirection,
}

impl SupplyType {
    fn coding(self) -> Coding {
        match self {
            SupplyType::PrescriptionDispensing => {
                Coding::new(SUPPLY_TYPE, "prescription-dispensing", "Prescription dispensing")
            }
            SupplyType::PatientGroupDirection => {
                Coding::new(SUPPLY_TYPE, "patient-group-direction", "Patient group direction")
            }
        }
    }
}

/// A medicine the pharmacy supplied: dm+d code and name, supply type, quantity (value,
/// unit and its SNOMED unit code), days' supply and the dosage instruction.
pub fn dispensed(
    dmd_code: &str,
    name: &str,
    supply: SupplyType,
    quantity: Quantity,
    days: u32,
    dosage: Dosage,
) -> MedicationDispense {
    MedicationDispense {
        meta: Some(Meta::profile(DISPENSE_PROFILE)),
        status: Some("completed".into()),
        category: Some(CodeableConcept::with_text(Coding::new(DISPENSE_CATEGORY, "community", "Community"))),
        medication_codeable_concept: Some(CodeableConcept::with_text(Coding::new(DMD, dmd_code, name))),
        type_: Some(CodeableConcept::with_text(supply.coding())),
        quantity: Some(quantity),
        days_supply: Some(Quantity::ucum(days, "day", "d")),
        dosage_instruction: vec![dosage],
        ..Default::default()
    }
}

/// A diagnosis (SNOMED) under `presenting-complaints-or-issues`.
pub fn diagnosis(code: &str, display: &str) -> Condition {
    let mut meta = Meta::profile(CONDITION_PROFILE);
    meta.tag.push(PrsbHeading::PresentingComplaintsOrIssues.tag());
    Condition {
        meta: Some(meta),
        clinical_status: Some("active".into()),
        code: Some(snomed(code, display)),
        ..Default::default()
    }
}

/// A free-text clinical note under a PRSB heading (a ClinicalImpression summary).
pub fn note(heading: PrsbHeading, text: &str) -> ClinicalImpression {
    let mut meta = Meta::profile(IMPRESSION_PROFILE);
    meta.tag.push(heading.tag());
    ClinicalImpression {
        meta: Some(meta),
        status: Some("completed".into()),
        summary: Some(text.into()),
        ..Default::default()
    }
}

/// Checks one observation: SNOMED coded, and a blood pressure only with a valid triplet.
///
/// # Errors
/// [`InvalidInput`] naming the element.
pub fn check_observation(o: &Observation) -> Result<(), InvalidInput> {
    let code = o
        .code
        .as_ref()
        .and_then(|c| c.code_in(SNOMED))
        .ok_or(InvalidInput::parameter("Observation.code", "missing SNOMED code"))?;
    if BpTriplet::is_header(code) {
        let comp = |i: usize| o.component.get(i).and_then(|c| c.code.as_ref()).and_then(|c| c.code_in(SNOMED));
        let (Some(s), Some(d), 2) = (comp(0), comp(1), o.component.len()) else {
            return Err(InvalidInput::parameter(
                "Observation.component",
                "blood pressure needs systolic and diastolic",
            ));
        };
        if BpTriplet::find(code, s, d).is_none() {
            return Err(InvalidInput::parameter(
                "Observation.component.code",
                format!("{code} with {s} and {d} is not a valid blood pressure triplet"),
            ));
        }
        for c in &o.component {
            let unit = c.value_quantity.as_ref().and_then(|q| q.code.as_deref());
            if unit != Some("mm[Hg]") {
                return Err(InvalidInput::parameter("Observation.component.valueQuantity", "not in mm[Hg]"));
            }
        }
    }
    if o.category.is_empty() {
        return Err(InvalidInput::parameter("Observation.category", "missing"));
    }
    Ok(())
}

/// Checks one dispense: dm+d coded, supply type, quantity.
///
/// # Errors
/// [`InvalidInput`] naming the element.
pub fn check_dispense(d: &MedicationDispense) -> Result<(), InvalidInput> {
    if d.medication_codeable_concept.as_ref().and_then(|c| c.code_in(DMD)).is_none() {
        return Err(InvalidInput::parameter("MedicationDispense.medicationCodeableConcept", "missing dm+d code"));
    }
    let supply = d.type_.as_ref().and_then(|t| t.code_in(SUPPLY_TYPE));
    if !matches!(supply, Some("prescription-dispensing" | "patient-group-direction")) {
        return Err(InvalidInput::parameter("MedicationDispense.type", "not a CareConnect medication supply type"));
    }
    if d.quantity.as_ref().and_then(|q| q.value.as_ref()).is_none() {
        return Err(InvalidInput::parameter("MedicationDispense.quantity", "missing"));
    }
    Ok(())
}
