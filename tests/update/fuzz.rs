//! Seeded mutations of the spec's Update Record examples and of an acknowledgement: the
//! typed readers never panic and never show an NHS number or a name.

use gpconnect_core::itk3::{Acknowledgement, Itk3Message, Limits, Responder, ResponseCode};
use gpconnect_testkit::fuzz;
use gpconnect_update::UpdateRecordMessage;

const SECRETS: [&str; 4] = ["4857773456", "LERONE", "Toby", "1983-08-08"];

#[test]
fn mutated_messages_and_acks_never_panic_nor_leak() {
    let example = include_str!("fixtures/blood-pressure-check-service--example-1.xml");
    let message = Itk3Message::parse(example.as_bytes(), &Limits::MESSAGE).unwrap();
    let ack = Acknowledgement::build(
        &message,
        ResponseCode::from_code(20010),
        &Responder { ods: "B82617", mailbox: "X26ABC2", diagnostics: None },
    )
    .to_xml();
    let mut rng = fuzz::rng(0x5EED);
    let mut read = 0;
    for round in 0..800 {
        let base = if round % 3 == 0 { ack.as_bytes() } else { example.as_bytes() };
        let input = fuzz::mutate(&mut rng, base);
        let shown = match (UpdateRecordMessage::parse(&input), Acknowledgement::parse(&input)) {
            (Ok(m), _) => {
                read += 1;
                let checked = m.validate().map_err(gpconnect_core::Error::from);
                format!("{m:?} {:?} {:?} {checked:?}", m.items(), m.notes().count())
            }
            (Err(e), Ok(a)) => {
                read += 1;
                format!("{e} {e:?} {a} {a:?}")
            }
            (Err(e), Err(f)) => {
                let core = gpconnect_core::Error::from(e.clone());
                format!("{e:?} {f} {core} {core:?}")
            }
        };
        for secret in SECRETS {
            assert!(!shown.contains(secret), "round {round} shows a patient detail");
        }
    }
    assert!(read > 50, "{read}");
}
