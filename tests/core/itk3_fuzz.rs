//! A seeded fuzz run of the ITK3 parser over the spec examples (the testkit's mutator).

use gpconnect_core::itk3::{Acknowledgement, Itk3Message, Limits};

const V1_REPORT: &str = include_str!("../send/fixtures/v1-consultation_report.xml");
const UPDATE_BP: &str = include_str!("../update/fixtures/blood-pressure-check-service--example-1.xml");
/// Patient identifiers and names in the fixtures: none may show in Debug or Display.
const SECRETS: [&str; 6] = ["9989453456", "4857773456", "Richard", "LERONE", "Smith", "1957-01-09"];

/// Seeded mutations of the spec examples: truncation, byte flips, deep nesting, spliced
/// copies. The parser must never panic, and nothing it returns or says may carry an NHS
/// number, a name or a birth date.
#[test]
fn fuzz_mutated_examples_never_panic_nor_leak() {
    let mut rng = gpconnect_testkit::fuzz::rng(0x17C3);
    let bases = [V1_REPORT.as_bytes(), UPDATE_BP.as_bytes()];
    let mut parsed = 0;
    for round in 0..1200 {
        let input = gpconnect_testkit::fuzz::mutate(&mut rng, bases[round % 2]);
        let shown = match Itk3Message::parse(&input, &Limits::MESSAGE) {
            Ok(m) => {
                parsed += 1;
                let ack = Acknowledgement::from_message(m.clone());
                format!("{m:?} {:?} {:?} {ack:?}", m.bundle(), m.handling())
            }
            Err(e) => {
                let core: gpconnect_core::Error = e.clone().into();
                format!("{e} {e:?} {core} {core:?}")
            }
        };
        for secret in SECRETS {
            assert!(!shown.contains(secret), "round {round} shows a patient detail");
        }
    }
    assert!(parsed > 50, "mutations should not all break the message ({parsed})");
}
