//! How the view turns coded FHIR values (concepts, quantities, extensions, observation
//! values, names) into the text it shows.

use super::*;

pub(in crate::view) fn notes(n: &[Annotation]) -> Vec<String> {
    n.iter().filter_map(|a| a.text.clone()).collect()
}

pub(in crate::view) fn name_of(c: Option<&CodeableConcept>) -> Option<String> {
    let c = c?;
    c.text
        .clone()
        .or_else(|| c.coding_in(SNOMED_SYSTEM).and_then(|x| x.display.clone()))
        .or_else(|| c.coding.iter().find_map(|x| x.display.clone()))
}

pub(in crate::view) fn code_of(c: Option<&CodeableConcept>) -> Option<Coding> {
    let c = c?;
    c.coding_in(SNOMED_SYSTEM).or(c.coding.first()).cloned()
}

pub(in crate::view) fn quantity_text(q: &Quantity) -> Option<String> {
    let v = q.value.as_ref()?.as_str().to_owned();
    Some(match q.unit.as_deref().or(q.code.as_deref()) {
        Some(u) => format!("{}{v} {u}", q.comparator.as_deref().unwrap_or("")),
        None => format!("{}{v}", q.comparator.as_deref().unwrap_or("")),
    })
}

pub(in crate::view) fn ext<'a>(exts: &'a [Extension], name: &str) -> Option<&'a Extension> {
    exts.iter().find(|e| {
        e.url
            .as_deref()
            .is_some_and(|u| same_url(u, &format!("{EXT}{name}")) || same_url(u, &format!("{UK_EXT}{name}")))
    })
}

pub(in crate::view) fn ext_code(e: &Extension) -> Option<String> {
    e.value_codeable_concept
        .as_deref()
        .and_then(|c| c.coding.first())
        .and_then(|c| c.code.clone())
        .or_else(|| e.value_coding.as_deref().and_then(|c| c.code.clone()))
        .or_else(|| e.value_code.clone())
}

pub(in crate::view) fn quantity_of(q: &Quantity) -> Option<String> {
    quantity_text(q).or_else(|| {
        ext(&q.extension, "Extension-CareConnect-GPC-MedicationQuantityText-1")
            .and_then(|e| e.value_text().map(str::to_owned))
    })
}

pub(in crate::view) fn range_text(r: &crate::resources::ReferenceRange) -> Option<String> {
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

pub(in crate::view) fn observation_value(o: &Observation) -> Option<String> {
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

pub(in crate::view) fn practitioner_name(p: &Practitioner) -> Option<String> {
    let n = p.name.iter().find(|n| n.use_.as_deref() == Some("official")).or(p.name.first())?;
    let s = n.display();
    (!s.trim().is_empty()).then_some(s)
}
