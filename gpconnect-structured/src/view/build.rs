//! Building the view: classify the Lists, resolve every reference, keep what cannot be
//! used as a reported problem.

use super::*;

fn notes(n: &[Annotation]) -> Vec<String> {
    n.iter().filter_map(|a| a.text.clone()).collect()
}

fn name_of(c: Option<&CodeableConcept>) -> Option<String> {
    let c = c?;
    c.text
        .clone()
        .or_else(|| c.coding_in(SNOMED_SYSTEM).and_then(|x| x.display.clone()))
        .or_else(|| c.coding.iter().find_map(|x| x.display.clone()))
}

fn code_of(c: Option<&CodeableConcept>) -> Option<Coding> {
    let c = c?;
    c.coding_in(SNOMED_SYSTEM).or(c.coding.first()).cloned()
}

fn quantity_text(q: &Quantity) -> Option<String> {
    let v = q.value.as_ref()?.as_str().to_owned();
    Some(match q.unit.as_deref().or(q.code.as_deref()) {
        Some(u) => format!("{}{v} {u}", q.comparator.as_deref().unwrap_or("")),
        None => format!("{}{v}", q.comparator.as_deref().unwrap_or("")),
    })
}

fn ext<'a>(exts: &'a [Extension], name: &str) -> Option<&'a Extension> {
    exts.iter().find(|e| {
        e.url
            .as_deref()
            .is_some_and(|u| same_url(u, &format!("{EXT}{name}")) || same_url(u, &format!("{UK_EXT}{name}")))
    })
}

fn ext_code(e: &Extension) -> Option<String> {
    e.value_codeable_concept
        .as_deref()
        .and_then(|c| c.coding.first())
        .and_then(|c| c.code.clone())
        .or_else(|| e.value_coding.as_deref().and_then(|c| c.code.clone()))
        .or_else(|| e.value_code.clone())
}

/// A resource's display name: the name of `code`, else `vaccineCode`, else `title`, else
/// `description`, else the first `type`. `None` if none of them names it, or if one of
/// them is malformed or repeated before the name is known.
///
/// Of each concept only what [`name_of`] reads is kept, and reading stops at `code` when
/// it gives a name (it wins over everything else), so most of a clinical item is never
/// read again after the Bundle was.
fn item_name(raw: &RawResource) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(field_identifier, rename_all = "camelCase")]
    enum Key {
        Code,
        VaccineCode,
        Title,
        Description,
        Type,
        #[serde(other)]
        Other,
    }

    #[derive(Deserialize)]
    struct Types(#[serde(deserialize_with = "gpconnect_core::fhir::one_or_many")] Vec<NameConcept>);

    #[derive(Default)]
    struct Named {
        code: Option<Option<NameConcept>>,
        vaccine_code: Option<Option<NameConcept>>,
        title: Option<Option<String>>,
        description: Option<Option<String>>,
        type_: Option<Types>,
        /// Set once the name is known (reading may stop before the end of the resource).
        done: Option<Option<String>>,
    }

    fn read<'de, A: MapAccess<'de>, T: Deserialize<'de>>(map: &mut A, slot: &mut Option<T>) -> Result<(), A::Error> {
        if slot.is_some() {
            return Err(A::Error::custom("repeated element"));
        }
        *slot = Some(map.next_value()?);
        Ok(())
    }

    impl<'de> Visitor<'de> for &mut Named {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a resource object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<Key>()? {
                match key {
                    Key::Code => {
                        read(&mut map, &mut self.code)?;
                        if let Some(name) = self.code.take().flatten().and_then(NameConcept::name) {
                            self.done = Some(Some(name));
                            return Ok(());
                        }
                        self.code = Some(None);
                    }
                    Key::VaccineCode => read(&mut map, &mut self.vaccine_code)?,
                    Key::Title => read(&mut map, &mut self.title)?,
                    Key::Description => read(&mut map, &mut self.description)?,
                    Key::Type => read(&mut map, &mut self.type_)?,
                    Key::Other => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            self.done = Some(
                self.vaccine_code
                    .take()
                    .flatten()
                    .and_then(NameConcept::name)
                    .or(self.title.take().flatten())
                    .or(self.description.take().flatten())
                    .or_else(|| self.type_.take()?.0.into_iter().next().and_then(NameConcept::name)),
            );
            Ok(())
        }
    }

    let mut named = Named::default();
    // Stopping early leaves the object unfinished, which the deserializer reports as an
    // error: whether the name is known is what counts.
    let _ = serde_json::Deserializer::from_str(raw.raw()).deserialize_map(&mut named);
    named.done.flatten()
}

/// The parts of a `CodeableConcept` that name it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NameConcept {
    #[serde(deserialize_with = "gpconnect_core::fhir::one_or_many")]
    coding: Vec<NameCoding>,
    text: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NameCoding {
    system: Option<String>,
    display: Option<String>,
}

impl NameConcept {
    /// Same choice as [`name_of`]: text, else the SNOMED display, else any display.
    fn name(self) -> Option<String> {
        let mut coding = self.coding;
        let snomed = coding.iter().position(|c| c.system.as_deref().is_some_and(|s| same_url(s, SNOMED_SYSTEM)));
        self.text
            .or_else(|| snomed.and_then(|i| coding[i].display.take()))
            .or_else(|| coding.into_iter().find_map(|c| c.display))
    }
}

enum ListClass {
    Primary(SectionKind),
    Secondary,
    Structure,
    Unknown,
}

const STRUCTURE_CODES: [&str; 3] = ["325851000000107", "25851000000105", "24781000000107"];

fn classify(list: &List, referenced: bool) -> ListClass {
    let codes: Vec<&str> = list
        .code
        .iter()
        .flat_map(|c| c.coding.iter())
        .filter_map(|c| c.code.as_deref())
        .chain(list.extension.iter().filter_map(|e| {
            e.value_codeable_concept
                .as_deref()
                .and_then(|c| c.coding.first())
                .and_then(|c| c.code.as_deref())
                .or_else(|| e.value_coding.as_deref().and_then(|c| c.code.as_deref()))
        }))
        .collect();
    if referenced || codes.iter().any(|c| STRUCTURE_CODES.contains(c)) {
        return ListClass::Structure;
    }
    if let Some(k) = codes.iter().find_map(|c| SectionKind::from_code(c)) {
        return ListClass::Primary(k);
    }
    let secondary_system = "https://fhir.hl7.org.uk/STU3/CodeSystem/GPConnect-SecondaryListValues-1";
    if list.code.iter().flat_map(|c| c.coding.iter()).any(|c| c.is_system(secondary_system))
        || codes.iter().any(|c| c.starts_with("consultations-") || c.starts_with("problems-"))
    {
        return ListClass::Secondary;
    }
    if let Some(k) = list.title.as_deref().and_then(SectionKind::from_title) {
        return ListClass::Primary(k);
    }
    let title = list.title.as_deref().unwrap_or("").to_ascii_lowercase();
    if ["linked to", "referenced from", "related to", "contained in"].iter().any(|p| title.contains(p)) {
        return ListClass::Secondary;
    }
    if list.encounter.is_some() {
        return ListClass::Structure;
    }
    ListClass::Unknown
}

fn list_info(list: &List) -> ListInfo {
    let warnings = list
        .extension
        .iter()
        .filter(|e| e.url.as_deref().is_some_and(|u| u.ends_with("ListWarningCode-1")))
        .filter_map(ext_code)
        .map(|c| ListWarning::from_code(&c))
        .collect();
    ListInfo {
        id: list.id.clone(),
        title: list.title.clone(),
        code: list.code.as_ref().and_then(|c| c.coding.first().cloned()),
        empty_reason: list.empty_reason.clone(),
        warnings,
        notes: notes(&list.note),
        date: list.date.clone(),
        items: list.entry.iter().filter_map(|e| e.item.as_ref()?.reference.clone()).collect(),
    }
}

pub(super) fn build(bundle: &Bundle) -> StructuredRecord {
    // Parse every List first (they own contained resources the index points into).
    let mut lists: Vec<List> = Vec::new();
    let mut unparsed_lists = Vec::new();
    for raw in bundle.resources_of(List::TYPE) {
        match raw.parse::<List>() {
            Ok(l) => lists.push(l),
            Err(e) => unparsed_lists.push((raw.id().map(str::to_owned), e.line(), e.column())),
        }
    }
    Builder::build_with(bundle, &lists, unparsed_lists)
}

struct Builder<'a> {
    index: ResourceIndex<'a>,
    problems: Vec<ViewProblem>,
    authors: HashMap<String, Author>,
    section: Option<SectionKind>,
}

impl<'a> Builder<'a> {
    fn problem(&mut self, lost_entry: bool, kind: ViewProblemKind) {
        self.problems.push(ViewProblem { section: self.section, lost_entry, kind });
    }

    /// Resolves a reference string; a bare id (no `Type/`) is matched by id alone.
    fn lookup(&self, reference: &str) -> Option<&'a RawResource> {
        self.index.resolve_str(reference).or_else(|| {
            if reference.contains('/') || reference.starts_with('#') {
                None
            } else {
                self.index.resolve_str(&format!("#{reference}"))
            }
        })
    }

    fn resolve(&mut self, from: &str, r: &Reference, lost_entry: bool) -> Option<&'a RawResource> {
        let reference = r.reference.as_deref()?;
        let found = self.lookup(reference);
        if found.is_none() {
            self.problem(
                lost_entry,
                ViewProblemKind::DanglingReference { from: from.to_owned(), reference: reference.to_owned() },
            );
        }
        found
    }

    fn parse<T: DeserializeOwned>(&mut self, raw: &RawResource, lost_entry: bool) -> Option<T> {
        match raw.parse::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(
                    lost_entry,
                    ViewProblemKind::UnparseableEntry {
                        resource_type: raw.resource_type().to_owned(),
                        id: raw.id().map(str::to_owned),
                        line: e.line(),
                        column: e.column(),
                    },
                );
                None
            }
        }
    }

    fn resolve_as<T: DeserializeOwned + FhirResource>(&mut self, from: &str, r: &Reference) -> Option<T> {
        let raw = self.resolve(from, r, false)?;
        if !raw.is::<T>() {
            return None;
        }
        self.parse(raw, false)
    }

    fn author(&mut self, from: &str, r: Option<&Reference>) -> Option<Author> {
        let r = r?;
        let Some(reference) = r.reference.clone() else {
            return r.display.clone().map(|name| Author { name: Some(name), ..Author::default() });
        };
        if let Some(a) = self.authors.get(&reference) {
            return Some(a.clone());
        }
        let mut author = Author { reference: Some(reference.clone()), name: r.display.clone(), ..Author::default() };
        if let Some(raw) = self.resolve(from, r, false) {
            author.resolved = true;
            match raw.resource_type() {
                Practitioner::TYPE => {
                    if let Some(p) = self.parse::<Practitioner>(raw, false) {
                        author.name = practitioner_name(&p).or(author.name);
                    }
                }
                PractitionerRole::TYPE => {
                    if let Some(role) = self.parse::<PractitionerRole>(raw, false) {
                        author.role = role.code.first().and_then(|c| name_of(Some(c)));
                        if let Some(p) = role.practitioner.as_ref() {
                            if let Some(p) = self.resolve_as::<Practitioner>(&reference, p) {
                                author.name = practitioner_name(&p).or(author.name);
                            }
                        }
                        if let Some(o) = role.organization.as_ref() {
                            if let Some(o) = self.resolve_as::<Organization>(&reference, o) {
                                author.organisation = o.name;
                            }
                        }
                    }
                }
                Organization::TYPE => {
                    if let Some(o) = self.parse::<Organization>(raw, false) {
                        author.organisation = o.name.clone();
                        author.name = o.name.or(author.name);
                    }
                }
                HealthcareService::TYPE => {
                    if let Some(s) = self.parse::<HealthcareService>(raw, false) {
                        author.name = s.name.or(author.name);
                    }
                }
                Location::TYPE => {
                    if let Some(l) = self.parse::<Location>(raw, false) {
                        author.name = l.name.or(author.name);
                    }
                }
                _ => {}
            }
        }
        self.authors.insert(reference, author.clone());
        Some(author)
    }

    fn linked(&mut self, from: &str, r: &Reference) -> Option<LinkedItem> {
        let reference = r.reference.clone()?;
        let mut item = LinkedItem { reference, name: r.display.clone(), ..LinkedItem::default() };
        if let Some(raw) = self.resolve(from, r, false) {
            item.resolved = true;
            item.resource_type = Some(raw.resource_type().to_owned());
            item.name = item_name(raw).or(item.name);
        }
        Some(item)
    }

    fn build_with(
        bundle: &'a Bundle,
        lists: &'a [List],
        unparsed_lists: Vec<(Option<String>, usize, usize)>,
    ) -> StructuredRecord {
        let mut index = bundle.index();
        for l in lists {
            for c in &l.contained {
                index.insert(c);
            }
        }
        let mut b = Builder { index, problems: Vec::new(), authors: HashMap::new(), section: None };
        for (id, line, column) in unparsed_lists {
            b.problem(false, ViewProblemKind::UnparseableEntry { resource_type: "List".into(), id, line, column });
        }
        let mut rec = StructuredRecord::default();

        // Patient and practice.
        if let Some(raw) = bundle.resources_of(Patient::TYPE).next() {
            rec.patient = b.parse::<Patient>(raw, false);
        }
        if let Some(p) = rec.patient.clone() {
            let refs = p.general_practitioner.iter().chain(p.managing_organization.iter());
            for r in refs {
                if b.lookup(r.reference.as_deref().unwrap_or("")).is_some_and(|raw| raw.is::<Organization>()) {
                    rec.registered_practice = b.resolve_as::<Organization>("Patient", r);
                    break;
                }
            }
        }

        // In-band warnings.
        for raw in bundle.resources_of(OperationOutcome::TYPE) {
            let Some(oo) = b.parse::<OperationOutcome>(raw, false) else { continue };
            for issue in &oo.issue {
                if issue.is_error() {
                    continue;
                }
                let text = issue.details.as_ref().and_then(|d| d.text.clone());
                let t = text.as_deref().unwrap_or("");
                let kind = if t.contains("unrecognised parameter") {
                    RecordWarningKind::UnrecognisedParameter
                } else if t.contains("has been disabled") {
                    RecordWarningKind::ClinicalAreaDisabled
                } else {
                    RecordWarningKind::Other
                };
                let parameter = issue.diagnostics.clone().or_else(|| t.split_whitespace().next().map(str::to_owned));
                let code = issue.codes().next().map(|c| c.code.to_owned());
                rec.warnings.push(RecordWarning { kind, parameter, code, text });
            }
        }

        // Which Lists are structure (referenced from other Lists).
        let mut referenced: HashSet<&str> = HashSet::new();
        for l in lists {
            for e in &l.entry {
                if let Some(r) = e.item.as_ref().and_then(|i| i.reference.as_deref()) {
                    if let Some(("List", id)) = gpconnect_core::fhir::parse_reference(r) {
                        referenced.insert(id);
                    }
                }
            }
        }
        let lists_by_id: HashMap<&str, &List> = lists.iter().filter_map(|l| Some((l.id.as_deref()?, l))).collect();
        let mut consultation_lists: HashMap<&str, &List> = HashMap::new();
        for l in lists {
            let is_consultation =
                l.code.iter().flat_map(|c| c.coding.iter()).any(|c| c.code.as_deref() == Some("325851000000107"));
            if let (true, Some(enc)) = (is_consultation, l.encounter.as_ref().and_then(|e| e.reference.as_deref())) {
                consultation_lists.entry(enc).or_insert(l);
            }
        }
        let mut meds = MedIndex::default();
        let mut seen: HashSet<(SectionKind, String)> = HashSet::new();

        for list in lists {
            let is_referenced = list.id.as_deref().is_some_and(|id| referenced.contains(id));
            let kind = match classify(list, is_referenced) {
                ListClass::Primary(k) => k,
                ListClass::Secondary => {
                    rec.secondary_lists.push(list_info(list));
                    continue;
                }
                ListClass::Structure => continue,
                ListClass::Unknown => {
                    b.section = None;
                    b.problem(
                        false,
                        ViewProblemKind::UnknownList {
                            title: list.title.clone(),
                            code: list.code.as_ref().and_then(|c| c.coding.first()).and_then(|c| c.code.clone()),
                        },
                    );
                    rec.secondary_lists.push(list_info(list));
                    continue;
                }
            };
            b.section = Some(kind);
            if kind == SectionKind::Medications && !meds.built {
                meds.build(&mut b, bundle);
            }
            let info = list_info(list);
            let mut lost = 0;
            for entry in &list.entry {
                let Some(item) = entry.item.as_ref().filter(|i| i.reference.is_some()) else {
                    b.problem(true, ViewProblemKind::EntryWithoutItem);
                    lost += 1;
                    continue;
                };
                let reference = item.reference.clone().unwrap_or_default();
                if !seen.insert((kind, reference.clone())) {
                    continue; // the same item in two Lists of one area
                }
                let Some(raw) = b.resolve("List", item, true) else {
                    lost += 1;
                    continue;
                };
                let added = match kind {
                    SectionKind::Allergies | SectionKind::EndedAllergies => b.allergy(raw).map(|mut a| {
                        a.ended = kind == SectionKind::EndedAllergies;
                        let s = if a.ended { &mut rec.ended_allergies } else { &mut rec.allergies };
                        s.items.push(a);
                    }),
                    SectionKind::Medications => b.medication(raw, &meds).map(|m| rec.medications.items.push(m)),
                    SectionKind::Problems => b.condition(raw).map(|p| rec.problems.items.push(p)),
                    SectionKind::Consultations => {
                        b.consultation(raw, &consultation_lists, &lists_by_id).map(|c| rec.consultations.items.push(c))
                    }
                    SectionKind::Immunisations => b.immunisation(raw).map(|i| rec.immunisations.items.push(i)),
                    SectionKind::Uncategorised => b.uncategorised(raw).map(|u| rec.uncategorised.items.push(u)),
                    SectionKind::Investigations => b.investigation(raw).map(|i| rec.investigations.items.push(i)),
                    SectionKind::Referrals => b.referral(raw).map(|r| rec.referrals.items.push(r)),
                    SectionKind::DiaryEntries => b.diary_entry(raw).map(|d| rec.diary_entries.items.push(d)),
                };
                if added.is_none() {
                    lost += 1;
                }
            }
            macro_rules! attach {
                ($s:expr) => {{
                    $s.lists.push(info);
                    $s.unresolved += lost;
                }};
            }
            match kind {
                SectionKind::Allergies => attach!(rec.allergies),
                SectionKind::EndedAllergies => attach!(rec.ended_allergies),
                SectionKind::Medications => attach!(rec.medications),
                SectionKind::Problems => attach!(rec.problems),
                SectionKind::Consultations => attach!(rec.consultations),
                SectionKind::Immunisations => attach!(rec.immunisations),
                SectionKind::Uncategorised => attach!(rec.uncategorised),
                SectionKind::Investigations => attach!(rec.investigations),
                SectionKind::Referrals => attach!(rec.referrals),
                SectionKind::DiaryEntries => attach!(rec.diary_entries),
            }
        }
        rec.view_problems = b.problems;
        rec
    }

    /// Parses a List entry as `T`, reporting a wrong type or bad JSON as a lost entry.
    fn entry<T: DeserializeOwned + FhirResource>(&mut self, raw: &RawResource) -> Option<T> {
        if !raw.is::<T>() {
            self.problem(
                true,
                ViewProblemKind::UnexpectedResource {
                    reference: format!("{}/{}", raw.resource_type(), raw.id().unwrap_or("")),
                    resource_type: raw.resource_type().to_owned(),
                },
            );
            return None;
        }
        self.parse(raw, true)
    }

    fn allergy(&mut self, raw: &RawResource) -> Option<Allergy> {
        let a: AllergyIntolerance = self.entry(raw)?;
        let from = format!("AllergyIntolerance/{}", a.id.as_deref().unwrap_or(""));
        let end = ext(&a.extension, "Extension-CareConnect-AllergyIntoleranceEnd-1");
        Some(Allergy {
            name: name_of(a.code.as_ref()),
            code: code_of(a.code.as_ref()),
            clinical_status: a.clinical_status,
            verification_status: a.verification_status,
            allergy_type: a.type_,
            category: a.category,
            criticality: a.criticality,
            onset: a.onset_date_time.or(a.onset_period.and_then(|p| p.start)),
            asserted_date: a.asserted_date,
            recorder: self.author(&from, a.recorder.as_ref()),
            reactions: a
                .reaction
                .iter()
                .map(|r| Reaction {
                    manifestations: r.manifestation.iter().filter_map(|c| name_of(Some(c))).collect(),
                    severity: r.severity.clone(),
                    description: r.description.clone(),
                })
                .collect(),
            notes: notes(&a.note),
            end_date: end.and_then(|e| e.sub("endDate")).and_then(|e| e.value_any_date().cloned()),
            end_reason: end.and_then(|e| e.sub("reasonEnded")).and_then(|e| e.value_text().map(str::to_owned)),
            ended: false,
            id: a.id,
        })
    }

    fn medication_name(
        &mut self,
        from: &str,
        r: Option<&Reference>,
        cc: Option<&CodeableConcept>,
    ) -> (Option<String>, Option<Coding>) {
        if let Some(m) = r.and_then(|r| self.resolve_as::<Medication>(from, r)) {
            return (name_of(m.code.as_ref()), code_of(m.code.as_ref()));
        }
        (name_of(cc).or_else(|| r.and_then(|r| r.display.clone())), code_of(cc))
    }

    fn medication(&mut self, raw: &RawResource, meds: &MedIndex) -> Option<MedicationItem> {
        let s: MedicationStatement = self.entry(raw)?;
        let from = format!("MedicationStatement/{}", s.id.as_deref().unwrap_or(""));
        let plan_ref = s.based_on.first();
        let plan = plan_ref.and_then(|r| {
            let id = r.id().or(r.reference.as_deref())?;
            meds.plans.get(id).cloned()
        });
        if plan.is_none() {
            if let Some(r) = plan_ref {
                if self.lookup(r.reference.as_deref().unwrap_or("")).is_none() {
                    self.problem(
                        false,
                        ViewProblemKind::DanglingReference {
                            from: from.clone(),
                            reference: r.reference.clone().unwrap_or_default(),
                        },
                    );
                }
            }
        }
        let (name, code) = match (&s.medication_reference, &s.medication_codeable_concept, &plan) {
            (None, None, Some(p)) => {
                self.medication_name(&from, p.medication_reference.as_ref(), p.medication_codeable_concept.as_ref())
            }
            _ => self.medication_name(&from, s.medication_reference.as_ref(), s.medication_codeable_concept.as_ref()),
        };
        let dosage = s.dosage.first().or_else(|| plan.as_ref().and_then(|p| p.dosage_instruction.first()));
        let mut item = MedicationItem {
            name,
            code,
            dosage: dosage.and_then(|d| d.text.clone()),
            patient_instruction: dosage.and_then(|d| d.patient_instruction.clone()),
            status: s.status.clone(),
            start: s.effective_period.as_ref().and_then(|p| p.start.clone()).or(s.effective_date_time.clone()),
            end: s.effective_period.as_ref().and_then(|p| p.end.clone()),
            date_asserted: s.date_asserted.clone(),
            prescribing_agency: ext(&s.extension, "Extension-CareConnect-GPC-PrescribingAgency-1").and_then(ext_code),
            last_issue_date: ext(&s.extension, "Extension-CareConnect-GPC-MedicationStatementLastIssueDate-1")
                .and_then(|e| e.value_any_date().cloned()),
            notes: notes(&s.note),
            ..MedicationItem::default()
        };
        if let Some(p) = &plan {
            let pfrom = format!("MedicationRequest/{}", p.id.as_deref().unwrap_or(""));
            item.plan_id = p.id.clone();
            item.quantity = p.dispense_request.as_ref().and_then(|d| d.quantity.as_ref()).and_then(quantity_of);
            item.supply_duration =
                p.dispense_request.as_ref().and_then(|d| d.expected_supply_duration.as_ref()).and_then(|q| {
                    let v = q.value.as_ref()?.as_str();
                    Some(match q.unit.as_deref().or(q.code.as_deref()) {
                        Some(u) => format!("{v} {u}"),
                        None => v.to_owned(),
                    })
                });
            item.prescription_type = ext(&p.extension, "Extension-CareConnect-GPC-PrescriptionType-1")
                .and_then(ext_code)
                .map(|c| match c.as_str() {
                    "acute" => PrescriptionType::Acute,
                    "repeat" => PrescriptionType::Repeat,
                    "repeat-dispensing" => PrescriptionType::RepeatDispensing,
                    "delayed-prescribing" => PrescriptionType::DelayedPrescribing,
                    _ => PrescriptionType::Other(c),
                });
            if let Some(r) = ext(&p.extension, "Extension-CareConnect-GPC-MedicationRepeatInformation-1") {
                let num =
                    |e: &Extension| e.value_unsigned_int.or(e.value_positive_int).or(e.value_integer.map(|i| i as u64));
                item.repeats_allowed = r.sub("numberOfRepeatPrescriptionsAllowed").and_then(num);
                item.repeats_issued = r.sub("numberOfRepeatPrescriptionsIssued").and_then(num);
            }
            if item.repeats_allowed.is_none() {
                item.repeats_allowed =
                    p.dispense_request.as_ref().and_then(|d| d.number_of_repeats_allowed).map(u64::from);
            }
            let who = p.requester.as_ref().and_then(|r| r.agent.as_ref()).or(p.recorder.as_ref());
            item.prescriber = self.author(&pfrom, who);
            if let Some(id) = &p.id {
                let mut issues: Vec<&MedicationRequest> =
                    meds.orders.get(id.as_str()).map(|v| v.iter().collect()).unwrap_or_default();
                issues.sort_by(|a, b| {
                    a.authored_on.as_ref().map(|d| d.as_str()).cmp(&b.authored_on.as_ref().map(|d| d.as_str()))
                });
                for o in issues {
                    let ofrom = format!("MedicationRequest/{}", o.id.as_deref().unwrap_or(""));
                    let who = o.requester.as_ref().and_then(|r| r.agent.as_ref()).or(o.recorder.as_ref());
                    item.issues.push(MedicationIssue {
                        id: o.id.clone(),
                        date: o.authored_on.clone(),
                        status: o.status.clone(),
                        quantity: o.dispense_request.as_ref().and_then(|d| d.quantity.as_ref()).and_then(quantity_of),
                        prescriber: self.author(&ofrom, who),
                    });
                }
            }
        }
        item.id = s.id;
        Some(item)
    }

    fn condition(&mut self, raw: &RawResource) -> Option<Problem> {
        let c: Condition = self.entry(raw)?;
        let from = format!("Condition/{}", c.id.as_deref().unwrap_or(""));
        let mut p = Problem {
            name: name_of(c.code.as_ref()),
            code: code_of(c.code.as_ref()),
            status: c.clinical_status.clone(),
            significance: ext(&c.extension, "Extension-CareConnect-ProblemSignificance-1").and_then(ext_code),
            onset: c.onset_date_time.clone().or(c.onset_period.as_ref().and_then(|p| p.start.clone())),
            end: c.abatement_date_time.clone().or(c.abatement_period.as_ref().and_then(|p| p.end.clone())),
            asserted_date: c.asserted_date.clone(),
            asserter: self.author(&from, c.asserter.as_ref()),
            notes: notes(&c.note),
            ..Problem::default()
        };
        for e in &c.extension {
            let Some(url) = e.url.as_deref() else { continue };
            if url.ends_with("Extension-CareConnect-ActualProblem-1") {
                if let Some(r) = e.value_reference.as_deref() {
                    p.actual_problem = self.linked(&from, r);
                }
            } else if url.ends_with("Extension-CareConnect-RelatedClinicalContent-1") {
                if let Some(l) = e.value_reference.as_deref().and_then(|r| self.linked(&from, r)) {
                    p.linked_items.push(l);
                }
            } else if url.ends_with("Extension-CareConnect-RelatedProblemHeader-1") {
                let ty = e.sub("type").and_then(|t| t.value_text()).unwrap_or("related").to_owned();
                let target = e.sub("target").and_then(|t| t.value_reference.as_deref());
                if let Some(l) = target.and_then(|r| self.linked(&from, r)) {
                    p.related_problems.push((ty, l));
                }
            }
        }
        p.id = c.id;
        Some(p)
    }

    fn structure_items(&mut self, from: &str, list: &List) -> Vec<LinkedItem> {
        list.entry.iter().filter_map(|e| e.item.as_ref()).filter_map(|r| self.linked(from, r)).collect()
    }

    fn consultation(
        &mut self,
        raw: &RawResource,
        by_encounter: &HashMap<&str, &List>,
        lists: &HashMap<&str, &List>,
    ) -> Option<Consultation> {
        let e: Encounter = self.entry(raw)?;
        let from = format!("Encounter/{}", e.id.as_deref().unwrap_or(""));
        let performer = e
            .participant
            .iter()
            .find(|p| p.type_.iter().flat_map(|t| t.coding.iter()).any(|c| c.code.as_deref() == Some("PPRF")))
            .or(e.participant.first())
            .and_then(|p| p.individual.as_ref());
        let mut c = Consultation {
            kind: e.type_.first().and_then(|t| name_of(Some(t))),
            status: e.status.clone(),
            start: e.period.as_ref().and_then(|p| p.start.clone()),
            end: e.period.as_ref().and_then(|p| p.end.clone()),
            clinician: self.author(&from, performer),
            location: e
                .location
                .first()
                .and_then(|l| l.location.as_ref())
                .and_then(|l| self.author(&from, Some(l)))
                .and_then(|a| a.name),
            ..Consultation::default()
        };
        if let Some(list) = by_encounter.get(from.as_str()) {
            c.title = list.title.clone();
            for entry in list.entry.iter().filter_map(|x| x.item.as_ref()) {
                let topic_list =
                    entry.reference.as_deref().and_then(|r| match gpconnect_core::fhir::parse_reference(r) {
                        Some(("List", id)) => lists.get(id).copied(),
                        _ => None,
                    });
                let Some(topic_list) = topic_list else {
                    // A flat item directly under the consultation: its own untitled topic.
                    if let Some(l) = self.linked(&from, entry) {
                        c.topics.push(ConsultationTopic { items: vec![l], ..ConsultationTopic::default() });
                    }
                    continue;
                };
                let mut topic = ConsultationTopic { title: topic_list.title.clone(), ..ConsultationTopic::default() };
                if let Some(x) = ext(&topic_list.extension, "Extension-CareConnect-RelatedProblemHeader-1") {
                    let target =
                        x.sub("target").and_then(|t| t.value_reference.as_deref()).or(x.value_reference.as_deref());
                    topic.problem = target.and_then(|r| self.linked(&from, r));
                }
                for item in topic_list.entry.iter().filter_map(|x| x.item.as_ref()) {
                    let heading =
                        item.reference.as_deref().and_then(|r| match gpconnect_core::fhir::parse_reference(r) {
                            Some(("List", id)) => lists.get(id).copied(),
                            _ => None,
                        });
                    match heading {
                        Some(h) => {
                            let items = self.structure_items(&from, h);
                            topic.headings.push(ConsultationHeading { title: h.title.clone(), items });
                        }
                        None => {
                            if let Some(l) = self.linked(&from, item) {
                                topic.items.push(l);
                            }
                        }
                    }
                }
                c.topics.push(topic);
            }
        }
        c.id = e.id;
        Some(c)
    }

    fn immunisation(&mut self, raw: &RawResource) -> Option<Immunisation> {
        if raw.is::<Observation>() {
            let o: Observation = self.parse(raw, true)?;
            return Some(Immunisation {
                kind: ImmunisationKind::Status,
                name: name_of(o.code.as_ref()),
                code: code_of(o.code.as_ref()),
                date: o.effective_date_time.clone().or(o.effective_period.as_ref().and_then(|p| p.start.clone())),
                status: o.status.clone(),
                notes: o.comment.clone().into_iter().collect(),
                id: o.id,
                ..Immunisation::default()
            });
        }
        let i: Immunization = self.entry(raw)?;
        let from = format!("Immunization/{}", i.id.as_deref().unwrap_or(""));
        Some(Immunisation {
            kind: ImmunisationKind::Vaccination,
            name: name_of(i.vaccine_code.as_ref()),
            code: code_of(i.vaccine_code.as_ref()),
            procedure: ext(&i.extension, "Extension-CareConnect-VaccinationProcedure-1")
                .and_then(|e| name_of(e.value_codeable_concept.as_deref())),
            date: i.date.clone(),
            status: i.status.clone(),
            not_given: i.not_given,
            dose_sequence: i.vaccination_protocol.first().and_then(|p| p.dose_sequence),
            lot_number: i.lot_number.clone(),
            site: name_of(i.site.as_ref()),
            route: name_of(i.route.as_ref()),
            dose: i.dose_quantity.as_ref().and_then(quantity_text),
            practitioner: self.author(&from, i.practitioner.first().and_then(|p| p.actor.as_ref())),
            manufacturer: self.author(&from, i.manufacturer.as_ref()),
            location: self.author(&from, i.location.as_ref()).and_then(|a| a.name),
            reason_not_given: i
                .explanation
                .iter()
                .flat_map(|e| e.reason_not_given.iter())
                .filter_map(|c| name_of(Some(c)))
                .collect(),
            notes: notes(&i.note),
            id: i.id,
        })
    }

    fn test_result(&mut self, from: &str, r: &Reference, depth: u8) -> Option<TestResult> {
        let raw = self.resolve(from, r, false)?;
        if !raw.is::<Observation>() {
            return None;
        }
        let o: Observation = self.parse(raw, false)?;
        let ofrom = format!("Observation/{}", o.id.as_deref().unwrap_or(""));
        let mut t = TestResult {
            name: name_of(o.code.as_ref()),
            code: code_of(o.code.as_ref()),
            value: observation_value(&o),
            quantity: o.value_quantity.clone(),
            interpretation: name_of(o.interpretation.as_ref()),
            reference_range: o.reference_range.first().and_then(range_text),
            comment: o.comment.clone(),
            status: o.status.clone(),
            effective: o.effective_date_time.clone().or(o.effective_period.as_ref().and_then(|p| p.start.clone())),
            ..TestResult::default()
        };
        if depth < 3 {
            for rel in o.related.iter().filter(|x| x.type_.as_deref() == Some("has-member")) {
                if let Some(m) = rel.target.as_ref().and_then(|r| self.test_result(&ofrom, r, depth + 1)) {
                    t.members.push(m);
                }
            }
        }
        t.id = o.id;
        Some(t)
    }

    fn investigation(&mut self, raw: &RawResource) -> Option<Investigation> {
        let d: DiagnosticReport = self.entry(raw)?;
        let from = format!("DiagnosticReport/{}", d.id.as_deref().unwrap_or(""));
        let mut inv = Investigation {
            name: name_of(d.code.as_ref()),
            status: d.status.clone(),
            issued: d.issued.clone(),
            effective: d.effective_date_time.clone().or(d.effective_period.as_ref().and_then(|p| p.start.clone())),
            performer: self.author(&from, d.performer.first().and_then(|p| p.actor.as_ref())),
            conclusion: d.conclusion.clone(),
            ..Investigation::default()
        };
        if let Some(p) = d.based_on.first().and_then(|r| self.resolve_as::<ProcedureRequest>(&from, r)) {
            inv.request = name_of(p.code.as_ref()).or(notes(&p.note).into_iter().next());
            inv.requester = self.author(&from, p.requester.as_ref().and_then(|r| r.agent.as_ref()));
        }
        for s in &d.specimen {
            if let Some(s) = self.resolve_as::<Specimen>(&from, s) {
                inv.specimens.push(SpecimenSummary {
                    kind: name_of(s.type_.as_ref()),
                    collected: s.collection.as_ref().and_then(|c| {
                        c.collected_date_time.clone().or(c.collected_period.as_ref().and_then(|p| p.start.clone()))
                    }),
                    received: s.received_time.clone(),
                    id: s.id,
                });
            }
        }
        for r in &d.result {
            if let Some(t) = self.test_result(&from, r, 0) {
                inv.results.push(t);
            }
        }
        inv.id = d.id;
        Some(inv)
    }

    fn referral(&mut self, raw: &RawResource) -> Option<Referral> {
        let r: ReferralRequest = self.entry(raw)?;
        let from = format!("ReferralRequest/{}", r.id.as_deref().unwrap_or(""));
        let recipients = r.recipient.iter().filter_map(|x| self.author(&from, Some(x))).collect();
        Some(Referral {
            name: r
                .reason_code
                .first()
                .and_then(|c| name_of(Some(c)))
                .or_else(|| r.service_requested.first().and_then(|c| name_of(Some(c))))
                .or_else(|| name_of(r.type_.as_ref())),
            description: r.description.clone(),
            status: r.status.clone(),
            priority: r.priority.clone(),
            authored_on: r.authored_on.clone(),
            requester: self.author(&from, r.requester.as_ref().and_then(|x| x.agent.as_ref())),
            recipients,
            specialty: name_of(r.specialty.as_ref()),
            ubrn: r
                .identifier
                .iter()
                .find(|i| i.system.as_deref().is_some_and(|s| same_url(s, "https://fhir.nhs.uk/Id/UBRN")))
                .and_then(|i| i.value.clone()),
            notes: notes(&r.note),
            id: r.id,
        })
    }

    fn diary_entry(&mut self, raw: &RawResource) -> Option<DiaryEntry> {
        let p: ProcedureRequest = self.entry(raw)?;
        let from = format!("ProcedureRequest/{}", p.id.as_deref().unwrap_or(""));
        Some(DiaryEntry {
            name: name_of(p.code.as_ref()),
            code: code_of(p.code.as_ref()),
            status: p.status.clone(),
            date: p.occurrence_date_time.clone().or(p.occurrence_period.as_ref().and_then(|x| x.start.clone())),
            authored_on: p.authored_on.clone(),
            requester: self.author(&from, p.requester.as_ref().and_then(|x| x.agent.as_ref())),
            reasons: p.reason_code.iter().filter_map(|c| name_of(Some(c))).collect(),
            notes: notes(&p.note),
            id: p.id,
        })
    }

    fn uncategorised(&mut self, raw: &RawResource) -> Option<Uncategorised> {
        let o: Observation = self.entry(raw)?;
        let from = format!("Observation/{}", o.id.as_deref().unwrap_or(""));
        Some(Uncategorised {
            name: name_of(o.code.as_ref()),
            code: code_of(o.code.as_ref()),
            date: o.effective_date_time.clone().or(o.effective_period.as_ref().and_then(|p| p.start.clone())),
            status: o.status.clone(),
            value: observation_value(&o),
            components: o
                .component
                .iter()
                .filter_map(|c| {
                    let v = c
                        .value_quantity
                        .as_ref()
                        .and_then(quantity_text)
                        .or_else(|| name_of(c.value_codeable_concept.as_ref()))
                        .or(c.value_string.clone())?;
                    Some((name_of(c.code.as_ref()).unwrap_or_default(), v))
                })
                .collect(),
            performer: self.author(&from, o.performer.first()),
            comment: o.comment.clone(),
            id: o.id,
        })
    }
}

fn quantity_of(q: &Quantity) -> Option<String> {
    quantity_text(q).or_else(|| {
        ext(&q.extension, "Extension-CareConnect-GPC-MedicationQuantityText-1")
            .and_then(|e| e.value_text().map(str::to_owned))
    })
}

fn range_text(r: &crate::resources::ReferenceRange) -> Option<String> {
    if let Some(t) = &r.text {
        return Some(t.clone());
    }
    match (r.low.as_ref().and_then(quantity_text), r.high.as_ref().and_then(quantity_text)) {
        (Some(l), Some(h)) => Some(format!("{l} - {h}")),
        (Some(l), None) => Some(format!(">= {l}")),
        (None, Some(h)) => Some(format!("<= {h}")),
        (None, None) => None,
    }
}

fn period_text(p: &Period) -> String {
    format!(
        "{} - {}",
        p.start.as_ref().map(|d| d.as_str()).unwrap_or(""),
        p.end.as_ref().map(|d| d.as_str()).unwrap_or("")
    )
}

fn observation_value(o: &Observation) -> Option<String> {
    o.value_quantity
        .as_ref()
        .and_then(quantity_text)
        .or_else(|| name_of(o.value_codeable_concept.as_ref()))
        .or_else(|| o.value_string.clone())
        .or_else(|| o.value_boolean.map(|b| b.to_string()))
        .or_else(|| {
            o.value_range.as_ref().and_then(|r| {
                range_text(&crate::resources::ReferenceRange {
                    low: r.low.clone(),
                    high: r.high.clone(),
                    ..Default::default()
                })
            })
        })
        .or_else(|| {
            o.value_ratio.as_ref().map(|r| {
                format!(
                    "{}/{}",
                    r.numerator.as_ref().and_then(quantity_text).unwrap_or_default(),
                    r.denominator.as_ref().and_then(quantity_text).unwrap_or_default()
                )
            })
        })
        .or_else(|| o.value_date_time.as_ref().map(|d| d.as_str().to_owned()))
        .or_else(|| o.value_period.as_ref().map(period_text))
}

fn practitioner_name(p: &Practitioner) -> Option<String> {
    let n = p.name.iter().find(|n| n.use_.as_deref() == Some("official")).or(p.name.first())?;
    let s = n.display();
    (!s.trim().is_empty()).then_some(s)
}

/// Plans by id and orders by plan id, parsed once per record.
#[derive(Default)]
struct MedIndex {
    built: bool,
    plans: HashMap<String, MedicationRequest>,
    orders: HashMap<String, Vec<MedicationRequest>>,
}

impl MedIndex {
    fn build(&mut self, b: &mut Builder<'_>, bundle: &Bundle) {
        self.built = true;
        for raw in bundle.resources_of(MedicationRequest::TYPE) {
            let Some(req) = b.parse::<MedicationRequest>(raw, false) else { continue };
            if req.intent.as_deref() == Some("order") {
                for r in &req.based_on {
                    if let Some(id) = r.id() {
                        self.orders.entry(id.to_owned()).or_default().push(req.clone());
                    }
                }
            } else if let Some(id) = req.id.clone() {
                self.plans.insert(id, req);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(json: &str) -> Option<String> {
        item_name(&RawResource::from_json(json).unwrap())
    }

    #[test]
    fn item_name_follows_name_of_order() {
        let snomed = r#"{"coding": [{"system": "http://x", "display": "Other"},
            {"system": "https://snomed.info/sct", "display": "Snomed", "extension": [{"url": "u", "valueId": "1"}]}]}"#;
        assert_eq!(
            name(&format!(r#"{{"resourceType": "Observation", "code": {snomed}, "title": "T"}}"#)).as_deref(),
            Some("Snomed")
        );
        assert_eq!(name(r#"{"code": {"coding": {"display": "One"}, "text": "Text"}}"#).as_deref(), Some("Text"));
        assert_eq!(
            name(r#"{"code": {"coding": [{"system": "http://snomed.info/sct"}, {"display": "Any"}]}}"#).as_deref(),
            Some("Any")
        );
        // Code first wins even when it comes last; otherwise vaccineCode, title, description, type.
        assert_eq!(name(r#"{"title": "T", "code": {"text": "C"}}"#).as_deref(), Some("C"));
        assert_eq!(
            name(r#"{"code": {"coding": []}, "description": "D", "vaccineCode": {"text": "V"}}"#).as_deref(),
            Some("V")
        );
        assert_eq!(name(r#"{"type": {"text": "Ty"}, "description": "D", "title": "T"}"#).as_deref(), Some("T"));
        assert_eq!(name(r#"{"type": [{"text": "Ty"}, {"text": "2"}], "description": "D"}"#).as_deref(), Some("D"));
        assert_eq!(name(r#"{"type": [{"coding": [{"display": "Ty"}]}], "code": null}"#).as_deref(), Some("Ty"));
        assert_eq!(name(r#"{"resourceType": "Encounter", "id": "e"}"#), None);
        // A malformed or repeated naming element before the name is known: no name.
        assert_eq!(name(r#"{"title": 5, "code": {"text": "C"}}"#), None);
        assert_eq!(name(r#"{"title": "A", "title": "B"}"#), None);
        assert_eq!(name(r#""text""#), None);
    }
}
