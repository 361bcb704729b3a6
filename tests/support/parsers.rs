//! Every parser of provider bytes reachable from the public API, as a function from a body
//! to what it made of it: shared by the fuzz harness (`tests/fuzz.rs`) and the hostile
//! bodies bench (`benches/hostile_bodies.rs`).

use std::fmt;

use gpconnect::fhir::{Bundle, OperationOutcome};
use gpconnect::structured::StructuredRecord;
use gpconnect::GpcCode;

/// An error as its `Display` and `Debug`.
pub trait ErrorText: fmt::Display + fmt::Debug {}
impl<T: fmt::Display + fmt::Debug> ErrorText for T {}

/// What a parser made of a body.
pub type Outcome = Result<Box<dyn fmt::Debug>, Box<dyn ErrorText>>;

/// A parser of provider bytes.
pub type Parser = fn(&[u8]) -> Outcome;

/// The text of an outcome: `Debug` of the result, `Display` and `Debug` of the error.
pub fn text(outcome: &Outcome) -> String {
    match outcome {
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("{e} {e:?}"),
    }
}

fn boxed<T: fmt::Debug + 'static, E: ErrorText + 'static>(r: Result<T, E>) -> Outcome {
    match r {
        Ok(v) => Ok(Box::new(v)),
        Err(e) => Err(Box::new(e)),
    }
}

/// The record, its section summaries, its view problems and its medications.
struct Record(StructuredRecord);

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.0;
        write!(f, "{r:?}")?;
        for kind in gpconnect::structured::SectionKind::ALL {
            write!(f, "{:?}", r.section_summary(kind))?;
        }
        write!(f, "{:?}{:?}", r.view_problems(), r.medications().items)
    }
}

/// The structured record view.
pub fn structured_view(b: &[u8]) -> Outcome {
    boxed(StructuredRecord::from_slice(b).map(Record))
}

/// [`structured_view`], checked against the view of the same Bundle read the general way
/// (`Bundle::from_slice`: no shared body, nesting not measured by the split).
pub fn structured_view_checked(b: &[u8]) -> Outcome {
    let view = StructuredRecord::from_slice(b).map(Record);
    if let (Ok(view), Ok(bundle)) = (&view, Bundle::from_slice(b)) {
        let general = Record(StructuredRecord::from_bundle(bundle, bytes::Bytes::copy_from_slice(b)));
        assert_eq!(format!("{view:?}"), format!("{general:?}"), "the shared body changed the view");
    }
    boxed(view)
}

/// A Bundle, indexed, each resource looked up by type and id.
pub fn bundle(b: &[u8]) -> Outcome {
    boxed(Bundle::from_slice(b).map(|bundle| {
        let index = bundle.index();
        let found = bundle.resources().filter(|r| index.get(r.resource_type(), r.id().unwrap_or("")).is_some()).count();
        format!("{found} {:?}", bundle.resources().collect::<Vec<_>>())
    }))
}

/// A Bundle read from shared text (`Bundle::from_text`: one pass that splits the body), checked
/// against the general reader (`Bundle::from_slice`) on the same bytes: the same answer (every
/// field, every resource's text, type and id) or the same error.
pub fn bundle_text(b: &[u8]) -> Outcome {
    let general = Bundle::from_slice(b);
    let Ok(text) = std::str::from_utf8(b) else { return boxed(general) };
    let shared = Bundle::from_text(std::sync::Arc::from(text));
    match (&shared, &general) {
        (Ok(s), Ok(g)) => {
            assert_eq!(serde_json::to_string(s).ok(), serde_json::to_string(g).ok(), "the split changed the Bundle");
            let each = |b: &Bundle| {
                b.resources()
                    .map(|r| (r.raw().to_owned(), r.resource_type().to_owned(), r.id().map(str::to_owned)))
                    .collect::<Vec<_>>()
            };
            assert!(each(s) == each(g), "the split changed a resource");
        }
        (Err(s), Err(g)) => assert_eq!(s.to_string(), g.to_string(), "the split changed the error"),
        _ => panic!("the split changed whether the body reads: {:?} {:?}", shared.is_ok(), general.is_ok()),
    }
    boxed(shared.map(|bundle| bundle.resources().count()))
}

/// The reader of checked JSON text behind every lenient typed parse, against serde_json:
/// on a well-formed body both give the same tree and, read as a Patient and as a List
/// (through their `Deserialize` and through their own [`checked::FromChecked`] reading),
/// the same value or an error at the same place; on any other body (which it is never
/// given) it must still not panic.
pub fn checked_reader(b: &[u8]) -> Outcome {
    use gpconnect::fhir::checked;
    use gpconnect::fhir::{List, Patient};
    use serde_json::Value;
    let Ok(text) = std::str::from_utf8(b) else { return boxed(Err::<(), _>("not UTF-8")) };
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return boxed(checked::from_str::<Value>(text).map(|_| "read"));
    }
    fn same<T: serde::de::DeserializeOwned + serde::Serialize>(
        text: &str,
        checked: fn(&str) -> Result<T, checked::Error>,
    ) {
        let by_serde_json =
            serde_json::from_str::<T>(text).map(|v| serde_json::to_value(v).ok()).map_err(|e| (e.line(), e.column()));
        let by_checked = checked(text).map(|v| serde_json::to_value(v).ok()).map_err(|e| e.line_column(text));
        assert!(
            by_serde_json == by_checked,
            "the checked reader differs from serde_json on {}",
            std::any::type_name::<T>()
        );
    }
    same::<Value>(text, |t| checked::from_str(t));
    same::<Patient>(text, |t| checked::from_str(t));
    same::<Patient>(text, checked::read);
    same::<List>(text, |t| checked::from_str(t));
    same::<List>(text, checked::read);
    // As the resource of a Bundle read by its split, passing over what it does not read
    // by the split's jumps: the same as without them.
    let body = format!(r#"{{"entry": [{{"resource": {text}}}]}}"#);
    if let Some(raw) = Bundle::from_text(body.into()).ok().and_then(|b| b.resources().next().cloned()) {
        fn unchanged<T: checked::FromChecked + serde::Serialize>(raw: &gpconnect::fhir::RawResource) -> bool {
            let seen =
                |read: Result<T, checked::Error>| read.map(|v| serde_json::to_value(v).ok()).map_err(|e| e.offset());
            seen(checked::read_jumping(raw.raw(), raw.jumps())) == seen(checked::read(raw.raw()))
        }
        assert!(unchanged::<Patient>(&raw), "jumps changed a Patient");
        assert!(unchanged::<List>(&raw), "jumps changed a List");
    }
    boxed(checked::from_str::<Value>(text).map(|v| v.is_object()))
}

/// A document search answer.
pub fn document_list(b: &[u8]) -> Outcome {
    match Bundle::from_slice(b) {
        Ok(bundle) => boxed(
            gpconnect::documents::DocumentList::from_bundle(&bundle).map_err(|(path, e)| format!("{path} {e} {e:?}")),
        ),
        Err(e) => Err(Box::new(e)),
    }
}

/// A retrieved FHIR Binary, streamed in pieces of 16 KB.
pub fn binary(b: &[u8]) -> Outcome {
    let mut out = Vec::new();
    boxed(gpconnect::documents::decode_binary(b.chunks(16 * 1024), &mut out).map(|r| (r, out.len())))
}

/// An Appointment answer (read, book, amend, cancel), one resource.
pub fn appointment(b: &[u8]) -> Outcome {
    match std::str::from_utf8(b) {
        Ok(s) => boxed(gpconnect::appointments::Appointment::from_json(s)),
        Err(e) => Err(Box::new(e)),
    }
}

/// A free slot search answer.
pub fn slot_search(b: &[u8]) -> Outcome {
    match Bundle::from_slice(b) {
        Ok(bundle) => boxed(gpconnect::appointments::FreeSlots::from_bundle(&bundle)),
        Err(e) => Err(Box::new(e)),
    }
}

/// An OperationOutcome and the error code it maps to.
pub fn operation_outcome(b: &[u8]) -> Outcome {
    boxed(serde_json::from_slice::<OperationOutcome>(b).map(|oo| {
        let code = GpcCode::from_outcome(&oo);
        (oo, code)
    }))
}

/// A Spine Directory Service search answer.
pub fn sds_answer(b: &[u8]) -> Outcome {
    boxed(gpconnect_core::sds::parse_answer(b))
}
