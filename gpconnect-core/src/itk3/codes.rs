//! The ITK3 code systems: message events, recipient types and response codes.

use std::fmt;

/// The ITK-MessageEvent-2 code system.
pub const EVENT_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2";
/// The ITK-RecipientType-1 code system.
pub const RECIPIENT_TYPE_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/ITK-RecipientType-1";
/// The ITK-ResponseCodes-1 code system.
pub const RESPONSE_CODE_SYSTEM: &str = "https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1";

/// An ITK3 message event (`MessageHeader.event`, ITK-MessageEvent-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageEvent {
    /// `ITK007C` ITK GP Connect Send Document.
    SendDocument,
    /// `ITK008M` ITK Response (acknowledgements).
    Response,
    /// `ITK014M` ITK Update Record.
    UpdateRecord,
}

impl MessageEvent {
    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            MessageEvent::SendDocument => "ITK007C",
            MessageEvent::Response => "ITK008M",
            MessageEvent::UpdateRecord => "ITK014M",
        }
    }

    /// The display the spec requires beside the code.
    pub fn display(self) -> &'static str {
        match self {
            MessageEvent::SendDocument => "ITK GP Connect Send Document",
            MessageEvent::Response => "ITK Response",
            MessageEvent::UpdateRecord => "ITK Update Record",
        }
    }

    /// The event with `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        [MessageEvent::SendDocument, MessageEvent::Response, MessageEvent::UpdateRecord]
            .into_iter()
            .find(|e| e.code() == code)
    }
}

/// Whether the recipient should act on the message (`RecipientType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipientType {
    /// `FA` For Action.
    ForAction,
    /// `FI` For Information.
    ForInformation,
}

impl RecipientType {
    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            RecipientType::ForAction => "FA",
            RecipientType::ForInformation => "FI",
        }
    }

    /// The display.
    pub fn display(self) -> &'static str {
        match self {
            RecipientType::ForAction => "For Action",
            RecipientType::ForInformation => "For Information",
        }
    }

    /// The type with `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "FA" => Some(RecipientType::ForAction),
            "FI" => Some(RecipientType::ForInformation),
            _ => None,
        }
    }
}

/// Which kind of acknowledgement a response code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckKind {
    /// Infrastructure acknowledgement (handling-spec codes 1xxxx and infrastructure codes 2xxxx).
    Infrastructure,
    /// Business acknowledgement (codes 3xxxx).
    Business,
}

macro_rules! response_codes {
    ($( $(#[$m:meta])* $variant:ident = $code:literal, $positive:literal, $meaning:literal; )*) => {
        /// An ITK3 response code (ITK-ResponseCodes-1), with its meaning.
        ///
        /// All codes are negative (final: nothing else follows) except `20013`, `30001`,
        /// `30004` and the referral outcomes' own semantics.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ResponseCode {
            $( $(#[$m])* #[doc = concat!("`", stringify!($code), "` ", $meaning)] $variant, )*
            /// A code of the code system's referral and registration range (30005..30025),
            /// not used by Send Document or Update Record.
            Referral(u16),
            /// A code not in the code system (`10006` of an old page, or anything else).
            Unrecognised(u32),
        }

        impl ResponseCode {
            /// The numeric code.
            pub fn code(self) -> u32 {
                match self {
                    $( ResponseCode::$variant => $code, )*
                    ResponseCode::Referral(c) => u32::from(c),
                    ResponseCode::Unrecognised(c) => c,
                }
            }

            /// The code system's display text.
            pub fn meaning(self) -> &'static str {
                match self {
                    $( ResponseCode::$variant => $meaning, )*
                    ResponseCode::Referral(_) => "Referral or registration outcome",
                    ResponseCode::Unrecognised(_) => "Not in the ITK3 response code system",
                }
            }

            /// Whether the code says the message was accepted (`20013`, `30001`, `30004`).
            pub fn is_positive(self) -> bool {
                match self {
                    $( ResponseCode::$variant => $positive, )*
                    ResponseCode::Referral(_) | ResponseCode::Unrecognised(_) => false,
                }
            }

            /// The code for the number `code`.
            pub fn from_code(code: u32) -> Self {
                match code {
                    $( $code => ResponseCode::$variant, )*
                    30005..=30025 => ResponseCode::Referral(code as u16),
                    other => ResponseCode::Unrecognised(other),
                }
            }
        }
    };
}

response_codes! {
    HandlingSpecificationError = 10001, false, "Handling Specification Error";
    InfAckValueError = 10002, false, "Infrastructure Level Response Value - Processing Error";
    BusAckValueError = 10003, false, "Business Level Response Value - Processing Error";
    MessageDefinitionError = 10004, false, "Message Definition Value - Processing Error";
    MessageDefinitionVersionError = 10005, false, "Message Definition Version Value - Processing Error";
    SenderReferenceError = 10007, false, "Sender Reference Value - Processing Error";
    HandlingSpecificationBusinessRuleError = 10008, false, "Handling Specification Business Rule Error";
    UnreadableMessage = 10009, false, "Unreadable message received";
    RecipientTypeError = 10010, false, "Recipient Type - Processing Error";
    UnrecognisedRecipientPerson = 20001, false, "Unrecognised Recipient Person";
    UnrecognisedRecipientOrganisation = 20002, false, "Unrecognised Recipient Organisation";
    UnrecognisedSender = 20003, false, "Unrecognised Sender";
    NonApprovedFileType = 20004, false, "Non-Approved file type received as an attachment";
    UnsupportedFileType = 20005, false, "Unsupported file type received as an attachment";
    HeaderValidationFailure = 20006, false, "ITK header validation failure";
    DuplicateMessage = 20007, false, "Duplicate Message received";
    DuplicateDocument = 20008, false, "Duplicate Document received";
    PayloadValidationFailure = 20009, false, "Payload validation failure";
    /// For Update Record: the practice has switched Update Record off; send the
    /// consultation another way.
    UnrecognisedPayloadRecipientOrganisation = 20010, false, "Unrecognised Payload Recipient Organisation";
    UnrecognisedPayloadRecipientPerson = 20011, false, "Unrecognised Payload Recipient Person";
    UnauthorisedSender = 20012, false, "Unauthorised Sender";
    Success = 20013, true, "Success";
    UnableToProcessReplacement = 20014, false, "Unable to Process Replacement Document";
    MessageTooLarge = 20015, false, "Message too large";
    PatientKnownHere = 30001, true, "Patient known here";
    PatientNotKnownHere = 30002, false, "Patient not known here";
    PatientNoLongerHere = 30003, false, "Patient no longer at this clinical setting";
    PatientRecentlyDeceased = 30004, true, "Patient known here and recently deceased";
}

impl ResponseCode {
    /// Infrastructure (1xxxx, 2xxxx) or business (3xxxx).
    pub fn kind(self) -> AckKind {
        if self.code() >= 30000 {
            AckKind::Business
        } else {
            AckKind::Infrastructure
        }
    }

    /// Whether the sender must deliver the content another way: `20010` for Update Record
    /// (the practice switched it off).
    pub fn must_send_another_way(self) -> bool {
        self == ResponseCode::UnrecognisedPayloadRecipientOrganisation
    }

    /// The FHIR `ResponseType` for `MessageHeader.response.code`.
    pub fn response_type(self) -> &'static str {
        if self.is_positive() {
            "ok"
        } else {
            "fatal-error"
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_the_code_system_is_known_with_its_display() {
        let cs = include_str!("../../tests/fixtures/itk3/CodeSystem-ITK-ResponseCodes-1.xml");
        let mut n = 0;
        for part in cs.split("<concept>").skip(1) {
            let code: u32 = part.split("<code value=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
            let display = part.split("<display value=\"").nth(1).unwrap().split('"').next().unwrap();
            let rc = ResponseCode::from_code(code);
            assert_eq!(rc.code(), code);
            assert!(!matches!(rc, ResponseCode::Unrecognised(_)), "{code}");
            if code < 30005 {
                assert!(display.starts_with(rc.meaning()), "{code}: {display}");
            }
            n += 1;
        }
        assert_eq!(n, 49);
        assert!(ResponseCode::Success.is_positive());
        assert!(ResponseCode::from_code(20010).must_send_another_way());
        assert_eq!(ResponseCode::from_code(10006), ResponseCode::Unrecognised(10006));
        assert_eq!(ResponseCode::PatientKnownHere.kind(), AckKind::Business);
    }
}
