//! Seeded mutations of the spec's Send Document example: the typed reader never panics
//! and never shows an NHS number or a name.

use gpconnect_send::ReceivedDocument;
use gpconnect_testkit::fuzz;

#[test]
fn mutated_documents_never_panic_nor_leak() {
    let example = include_str!("fixtures/v1-consultation_report.xml");
    let mut rng = fuzz::rng(0xD0C);
    let mut read = 0;
    for round in 0..600 {
        let input = fuzz::mutate(&mut rng, example.as_bytes());
        let shown = match ReceivedDocument::parse(&input) {
            Ok(d) => {
                read += 1;
                let sizes: Vec<_> = d.attachments().iter().map(|a| a.decode().map(|b| b.len())).collect();
                format!("{d:?} {:?} {sizes:?} {:?}", d.attachments(), d.author())
            }
            Err(e) => format!("{e} {e:?}"),
        };
        for secret in ["9989453456", "Richard", "Pritchard", "1957-01-09"] {
            assert!(!shown.contains(secret), "round {round} shows a patient detail");
        }
    }
    assert!(read > 50, "{read}");
}
