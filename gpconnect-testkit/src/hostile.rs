//! Hostile answers of about a given size, for the benches and tests of bounded parsing
//! (issue 9): deep nesting, self and mutual references, fan-out, wrong-shaped fields,
//! arrays where objects belong and huge strings. Each function returns named bodies.
//!
//! ```
//! for (name, body) in gpconnect_testkit::hostile::structured_records(64 * 1024) {
//!     assert!(body.len() >= 32 * 1024, "{name}");
//! }
//! ```

/// A named hostile body.
pub type Body = (&'static str, String);

fn bundle(kind: &str, resources: impl IntoIterator<Item = String>) -> String {
    let entries: Vec<String> = resources.into_iter().map(|r| format!(r#"{{"resource": {r}}}"#)).collect();
    format!(r#"{{"resourceType": "Bundle", "type": "{kind}", "entry": [{}]}}"#, entries.join(","))
}

/// A searchset of as many `item(i)` as fit in `size` at `per_item` bytes each.
fn searchset(size: usize, per_item: usize, item: impl Fn(usize) -> String) -> String {
    bundle("searchset", (0..size / per_item).map(item))
}

fn list(code: &str, refs: impl IntoIterator<Item = String>) -> String {
    let entries: Vec<String> = refs.into_iter().map(|r| format!(r#"{{"item": {{"reference": "{r}"}}}}"#)).collect();
    format!(
        r#"{{"resourceType": "List", "code": {{"coding": [{{"system": "http://snomed.info/sct", "code": "{code}"}}]}}, "entry": [{}]}}"#,
        entries.join(",")
    )
}

/// Extensions nested `depth` levels deep.
fn deep_extension(depth: usize) -> String {
    format!(r#"{}{{"url": "x"}}{}"#, r#"{"url": "n", "extension": ["#.repeat(depth), "]}".repeat(depth))
}

const PROBLEMS: &str = "717711000000103";
const MEDICATIONS: &str = "933361000000108";
const INVESTIGATIONS: &str = "887191000000108";

/// Structured record answers (`$gpc.getstructuredrecord`) of about `size` bytes.
pub fn structured_records(size: usize) -> Vec<Body> {
    let mut out = Vec::new();
    // One resource nested to the end of the body.
    let deep = format!(r#"{{"resourceType": "Condition", "id": "d", "extension": [{}]}}"#, deep_extension(size / 30));
    out.push(("deep_nesting", bundle("collection", [list(PROBLEMS, ["Condition/d".into()]), deep])));
    // An Observation that is its own member, thousands of times.
    let member = r#"{"type": "has-member", "target": {"reference": "Observation/g"}}"#;
    let group = format!(
        r#"{{"resourceType": "Observation", "id": "g", "related": [{}]}}"#,
        vec![member; size / member.len()].join(",")
    );
    let report = r#"{"resourceType": "DiagnosticReport", "id": "r", "result": [{"reference": "Observation/g"}]}"#;
    out.push((
        "self_reference",
        bundle("collection", [list(INVESTIGATIONS, ["DiagnosticReport/r".into()]), report.into(), group]),
    ));
    // Pairs of Observations that are each other's member, all results of one report.
    let n = size / 200;
    let results: Vec<String> = (0..n).map(|i| format!(r#"{{"reference": "Observation/a{i}"}}"#)).collect();
    let mut resources = vec![
        list(INVESTIGATIONS, ["DiagnosticReport/r".into()]),
        format!(r#"{{"resourceType": "DiagnosticReport", "id": "r", "result": [{}]}}"#, results.join(",")),
    ];
    for i in 0..n {
        for (me, other) in [("a", "b"), ("b", "a")] {
            resources.push(format!(
                r#"{{"resourceType": "Observation", "id": "{me}{i}", "related": [{{"type": "has-member", "target": {{"reference": "Observation/{other}{i}"}}}}]}}"#
            ));
        }
    }
    out.push(("mutual_reference", bundle("collection", resources)));
    // A practitioner of half the body named by every problem.
    let prac =
        format!(r#"{{"resourceType": "Practitioner", "id": "p", "name": [{{"text": "{}"}}]}}"#, "N".repeat(size / 2));
    let k = size / 2 / 120;
    let mut resources = vec![prac, list(PROBLEMS, (0..k).map(|i| format!("Condition/c{i}")))];
    resources.extend((0..k).map(|i| {
        format!(r#"{{"resourceType": "Condition", "id": "c{i}", "asserter": {{"reference": "Practitioner/p"}}}}"#)
    }));
    out.push(("fan_out", bundle("collection", resources)));
    // Wrong-shaped fields in every item, and arrays wrapped round every object.
    for (name, item) in [
        (
            "wrong_shapes",
            r#""status": 7, "effectivePeriod": [{"start": "2020"}], "dosage": {"text": ["a"]}, "taken": true, "note": 5, "dateAsserted": {"x": 1}"#,
        ),
        (
            "arrays_for_objects",
            r#""status": ["active"], "medicationCodeableConcept": [{"text": ["Aspirin"], "coding": [[{"code": ["1"]}]]}], "effectivePeriod": [[{"start": ["2020"]}]], "subject": [{"reference": ["Patient/1"]}]"#,
        ),
    ] {
        let k = size / (item.len() + 110);
        let mut resources = vec![list(MEDICATIONS, (0..k).map(|i| format!("MedicationStatement/m{i}")))];
        resources.extend((0..k).map(|i| format!(r#"{{"resourceType": "MedicationStatement", "id": "m{i}", {item}}}"#)));
        out.push((name, bundle("collection", resources)));
    }
    // One problem whose note is the whole body.
    let huge = format!(
        r#"{{"resourceType": "Condition", "id": "h", "note": [{{"text": "{}"}}], "code": {{"text": "{}"}}}}"#,
        "\\u00e9".repeat(size / 12),
        "x".repeat(size / 4)
    );
    out.push(("huge_strings", bundle("collection", [list(PROBLEMS, ["Condition/h".into()]), huge])));
    out
}

/// Bundles of any kind: the structured ones, plus entries of every wrong shape.
pub fn bundles(size: usize) -> Vec<Body> {
    let mut out = structured_records(size);
    let shapes = [
        r#"{"resource": [{"resourceType": "Patient", "id": "1"}]}"#,
        r#"{"resource": "Patient/1", "fullUrl": 5}"#,
        r#"{"fullUrl": {"a": [1]}, "resource": {"resourceType": ["Patient"], "id": {"x": 1}}}"#,
        r#"{"resource": {"resourceType": "Patient", "id": "dup"}, "fullUrl": "urn:uuid:dup"}"#,
        r#"[{"resource": {"resourceType": "Condition"}}]"#,
    ];
    let n = size / 90;
    let entries: Vec<&str> = (0..n).map(|i| shapes[i % shapes.len()]).collect();
    out.push((
        "wrong_entries",
        format!(r#"{{"resourceType": "Bundle", "type": "searchset", "entry": [{}]}}"#, entries.join(",")),
    ));
    out
}

/// Document search answers (DocumentReferences with their authors).
pub fn document_searches(size: usize) -> Vec<Body> {
    let doc = |i: usize, author: &str| {
        format!(
            r#"{{"resourceType": "DocumentReference", "id": "d{i}", "status": "current", "author": [{{"reference": "{author}"}}], "custodian": {{"reference": "Organization/o"}}, "content": [{{"attachment": {{"url": "https://p.example/Binary/{i}", "size": 10}}}}]}}"#
        )
    };
    let mut out = Vec::new();
    // One large organisation and practitioner named by every document.
    let k = size / 2 / 260;
    let mut resources = vec![
        format!(r#"{{"resourceType": "Organization", "id": "o", "name": "{}"}}"#, "O".repeat(size / 4)),
        format!(r#"{{"resourceType": "Practitioner", "id": "p", "name": [{{"text": "{}"}}]}}"#, "P".repeat(size / 4)),
    ];
    resources.extend((0..k).map(|i| doc(i, if i % 2 == 0 { "Practitioner/p" } else { "Organization/o" })));
    out.push(("fan_out", bundle("searchset", resources)));
    // Many practitioners, each with roles, each authoring documents.
    let k = size / 600;
    let mut resources = Vec::new();
    for i in 0..k {
        resources.push(format!(r#"{{"resourceType": "Practitioner", "id": "p{i}"}}"#));
        resources.push(format!(
            r#"{{"resourceType": "PractitionerRole", "id": "r{i}", "practitioner": {{"reference": "Practitioner/p{i}"}}, "organization": {{"reference": "Organization/x{i}"}}}}"#
        ));
        resources.push(doc(i, &format!("Practitioner/p{i}")));
    }
    out.push(("many_roles", bundle("searchset", resources)));
    // Documents that are their own authors and custodians, nested deep, wrong-shaped.
    out.push((
        "self_reference",
        searchset(size, 300, |i| {
            doc(i, &format!("DocumentReference/d{i}")).replace("Organization/o", &format!("DocumentReference/d{i}"))
        }),
    ));
    out.push((
        "deep_nesting",
        bundle(
            "searchset",
            [doc(0, "Practitioner/p").replacen(
                '{',
                &format!(r#"{{"extension": [{}], "#, deep_extension(size / 30)),
                1,
            )],
        ),
    ));
    out.push((
        "wrong_shapes",
        searchset(size, 200, |i| {
            format!(
                r#"{{"resourceType": "DocumentReference", "id": "d{i}", "status": [1], "author": {{"reference": 5}}, "content": {{"attachment": [{{"url": 7}}]}}, "created": {{}}}}"#
            )
        }),
    ));
    out
}

/// FHIR Binary answers of a document retrieval, for the streamed scanner.
pub fn binaries(size: usize) -> Vec<Body> {
    let b64 = |n: usize| "QUJD".repeat(n / 4);
    vec![
        (
            "large_content",
            format!(r#"{{"resourceType": "Binary", "contentType": "application/pdf", "content": "{}"}}"#, b64(size)),
        ),
        (
            "escaped_content",
            format!(r#"{{"resourceType": "Binary", "content": "{}"}}"#, "\\u0051\\u0055JD\\n".repeat(size / 20)),
        ),
        (
            "deep_skipped",
            format!(
                r#"{{"resourceType": "Binary", "meta": {}1{}, "content": "QUJD"}}"#,
                "[".repeat(size / 2),
                "]".repeat(size / 2)
            ),
        ),
        (
            "many_members",
            format!(
                r#"{{"resourceType": "Binary", {} "content": "QUJD"}}"#,
                (0..size / 24).map(|i| format!(r#""k{i}": {{"a": [1]}},"#)).collect::<String>()
            ),
        ),
        (
            "huge_strings",
            format!(
                r#"{{"resourceType": "{}", "id": "{}", "contentType": "{}", "content": "QUJD"}}"#,
                "B".repeat(size / 3),
                "i".repeat(size / 3),
                "t".repeat(size / 3)
            ),
        ),
    ]
}

fn participants(n: usize) -> String {
    (0..n)
        .map(|i| format!(r#"{{"actor": {{"reference": "Practitioner/{i}"}}, "status": "accepted"}}"#))
        .collect::<Vec<_>>()
        .join(",")
}

/// Appointment answers (read, book, amend, cancel).
pub fn appointments(size: usize) -> Vec<Body> {
    let base = r#""resourceType": "Appointment", "id": "a", "status": "booked", "start": "2020-01-01T10:00:00Z", "end": "2020-01-01T10:10:00Z""#;
    vec![
        ("many_participants", format!("{{{base}, \"participant\": [{}]}}", participants(size / 80))),
        ("deep_nesting", format!("{{{base}, \"extension\": [{}]}}", deep_extension(size / 30))),
        (
            "wrong_shapes",
            format!(
                r#"{{"resourceType": "Appointment", "id": ["a"], "status": 5, "start": {{"x": 1}}, "participant": {{"actor": 1}}, "slot": "Slot/1", "contained": [{}]}}"#,
                vec![r#"{"resourceType": "Organization", "id": 1, "name": [2]}"#; size / 60].join(",")
            ),
        ),
        (
            "huge_strings",
            format!(
                "{{{base}, \"description\": \"{}\", \"comment\": \"{}\"}}",
                "d".repeat(size / 2),
                "c".repeat(size / 2)
            ),
        ),
    ]
}

/// Free slot search answers (Slots with their schedules, locations and organisations).
pub fn slot_searches(size: usize) -> Vec<Body> {
    let slot = |i: usize, schedule: &str| {
        format!(
            r#"{{"resourceType": "Slot", "id": "s{i}", "status": "free", "start": "2020-01-01T10:00:00Z", "end": "2020-01-01T10:10:00Z", "schedule": {{"reference": "{schedule}"}}}}"#
        )
    };
    let schedule = |id: &str, pad: usize| {
        format!(
            r#"{{"resourceType": "Schedule", "id": "{id}", "actor": [{{"reference": "Location/l"}}, {{"reference": "Practitioner/p"}}, {{"reference": "HealthcareService/h"}}], "comment": "{}"}}"#,
            "c".repeat(pad)
        )
    };
    let location = |pad: usize| {
        format!(
            r#"{{"resourceType": "Location", "id": "l", "name": "{}", "managingOrganization": {{"reference": "Organization/o"}}}}"#,
            "L".repeat(pad)
        )
    };
    let mut out = Vec::new();
    // Large schedule, location, practitioner and organisation shared by every slot.
    let k = size / 2 / 200;
    let mut resources = vec![
        schedule("sc", size / 8),
        location(size / 8),
        format!(r#"{{"resourceType": "Practitioner", "id": "p", "name": [{{"text": "{}"}}]}}"#, "P".repeat(size / 8)),
        format!(r#"{{"resourceType": "Organization", "id": "o", "name": "{}"}}"#, "O".repeat(size / 8)),
    ];
    resources.extend((0..k).map(|i| slot(i, "Schedule/sc")));
    out.push(("fan_out", bundle("searchset", resources)));
    // Slots that are their own schedules.
    out.push(("self_reference", searchset(size, 220, |i| slot(i, &format!("Slot/s{i}")))));
    out.push((
        "deep_nesting",
        bundle(
            "searchset",
            [
                slot(0, "Schedule/sc"),
                schedule("sc", 0).replacen('{', &format!(r#"{{"extension": [{}], "#, deep_extension(size / 30)), 1),
            ],
        ),
    ));
    out.push((
        "wrong_shapes",
        searchset(size, 160, |i| {
            format!(
                r#"{{"resourceType": "Slot", "id": "s{i}", "start": [1], "end": {{"a": 1}}, "schedule": ["Schedule/sc"], "extension": 5}}"#
            )
        }),
    ));
    out
}

/// The four families of an answer that is a list: many good items, one nested `size / 2`
/// levels deep, many wrong-shaped ones and one huge string. `list` writes the answer
/// around its items; `deep` and `huge` write one item around a value.
fn list_families(
    size: usize,
    list: impl Fn(&str) -> String,
    (many, item): (&'static str, &str),
    wrong: &str,
    deep: impl Fn(&str) -> String,
    huge: impl Fn(&str) -> String,
) -> Vec<Body> {
    let repeated = |item: &str| vec![item; size / item.len()].join(",");
    vec![
        (many, list(&repeated(item))),
        ("deep_nesting", list(&deep(&format!("{}1{}", "[".repeat(size / 2), "]".repeat(size / 2))))),
        ("wrong_shapes", list(&repeated(wrong))),
        ("huge_strings", list(&huge(&"d".repeat(size)))),
    ]
}

/// OperationOutcome error answers.
pub fn operation_outcomes(size: usize) -> Vec<Body> {
    list_families(
        size,
        |issues| format!(r#"{{"resourceType": "OperationOutcome", "issue": [{issues}]}}"#),
        (
            "many_issues",
            r#"{"severity": "error", "code": "invalid", "details": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1", "code": "INVALID_RESOURCE"}]}, "diagnostics": "x"}"#,
        ),
        r#"{"severity": 1, "details": {"coding": "X"}, "diagnostics": ["a"]}"#,
        |nested| format!(r#"{{"details": {nested}}}"#),
        |text| format!(r#"{{"diagnostics": "{text}"}}"#),
    )
}

/// Spine Directory Service answers (Endpoint and Device searches).
pub fn sds_answers(size: usize) -> Vec<Body> {
    list_families(
        size,
        |entries| format!(r#"{{"resourceType": "Bundle", "entry": [{entries}]}}"#),
        (
            "many_entries",
            r#"{"resource": {"resourceType": "Endpoint", "address": "https://p.example/gpconnect", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhsMhsPartyKey", "value": "A1-1"}]}}"#,
        ),
        r#"{"resource": {"resourceType": 1, "address": ["x"], "identifier": "y"}}"#,
        |nested| format!(r#"{{"resource": {nested}}}"#),
        |text| format!(r#"{{"resource": {{"resourceType": "Endpoint", "address": "{text}"}}}}"#),
    )
}
