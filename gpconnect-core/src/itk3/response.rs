//! ITK3 response messages (`ITK008M` infrastructure and business acknowledgements),
//! matched back to the message they answer, and MESH non-delivery reports.

use std::fmt;

use super::codes::{AckKind, MessageEvent, RecipientType, ResponseCode, RESPONSE_CODE_SYSTEM};
use super::message::{Envelope, HandlingSpec, Itk3Message};
use super::model::{CodeableConcept, Coding, Meta, Reference};
use super::resources::{MessageResponse, OperationOutcome, OutcomeIssue, Resource};
use super::xml::Limits;
use super::Itk3Error;
use crate::mesh::{MessageId, MessageMetadata, WorkflowId};

/// Profile of the acknowledgement OperationOutcome.
pub const RESPONSE_OUTCOME_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Response-OperationOutcome-1";

pub use crate::mesh::ids::MessageIds;

impl MessageIds {
    /// The identifiers of `message`.
    pub fn of(message: &Itk3Message) -> Self {
        MessageIds {
            header_id: message.header_id().unwrap_or_default().to_owned(),
            bundle_id: message.bundle_id().unwrap_or_default().to_owned(),
            sender_reference: message.handling().sender_reference.clone(),
            mesh_message_id: None,
        }
    }
}

/// An ITK3 acknowledgement: an `ITK008M` message with one ITK response code.
#[derive(Clone, PartialEq)]
pub struct Acknowledgement {
    message: Itk3Message,
    code: ResponseCode,
    diagnostics: Option<String>,
}

impl fmt::Debug for Acknowledgement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acknowledgement")
            .field("kind", &self.kind())
            .field("code", &self.code)
            .field("answers", &self.answers_header_id())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Acknowledgement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind() {
            AckKind::Infrastructure => "infrastructure",
            AckKind::Business => "business",
        };
        write!(f, "{kind} acknowledgement {}", self.code)
    }
}

impl Acknowledgement {
    /// Parses an acknowledgement (bounded by [`Limits::RESPONSE`]).
    ///
    /// # Errors
    /// A parse error, or [`Itk3Error::Invalid`] when the message is not an `ITK008M`
    /// response with an ITK-Response-OperationOutcome-1 carrying one ITK response code.
    pub fn parse(bytes: &[u8]) -> Result<Self, Itk3Error> {
        Self::from_message(Itk3Message::parse(bytes, &Limits::RESPONSE)?)
    }

    /// Reads an already parsed message as an acknowledgement.
    ///
    /// # Errors
    /// As [`Acknowledgement::parse`].
    pub fn from_message(message: Itk3Message) -> Result<Self, Itk3Error> {
        let invalid = Itk3Error::invalid;
        if message.event() != MessageEvent::Response {
            return Err(invalid("MessageHeader.event", "not ITK008M"));
        }
        let response =
            message.header().response.as_ref().ok_or_else(|| invalid("MessageHeader.response", "missing"))?;
        let details = response
            .details
            .as_ref()
            .and_then(|d| d.reference.as_deref())
            .ok_or_else(|| invalid("MessageHeader.response.details", "missing"))?;
        let Some(Resource::OperationOutcome(outcome)) = message.bundle().resolve(details) else {
            return Err(invalid("MessageHeader.response.details", "does not resolve to an OperationOutcome"));
        };
        let mut codes = outcome.issue.iter().filter_map(|i| {
            let code = i.details.as_ref()?.code_in(RESPONSE_CODE_SYSTEM)?;
            Some((code.parse::<u32>().ok(), i.diagnostics.clone()))
        });
        let (code, diagnostics) = match (codes.next(), codes.next()) {
            (Some((Some(code), diagnostics)), None) => (ResponseCode::from_code(code), diagnostics),
            (Some((None, _)), None) => return Err(invalid("OperationOutcome.issue.details", "code not a number")),
            _ => return Err(invalid("OperationOutcome.issue.details", "not exactly one ITK response code")),
        };
        Ok(Acknowledgement { message, code, diagnostics })
    }

    /// The response code.
    pub fn code(&self) -> ResponseCode {
        self.code
    }

    /// Infrastructure or business acknowledgement.
    pub fn kind(&self) -> AckKind {
        self.code.kind()
    }

    /// Whether the code is positive (`20013`, `30001`, `30004`).
    pub fn is_positive(&self) -> bool {
        self.code.is_positive()
    }

    /// `response.code`: `ok`, `transient-error` or `fatal-error`.
    pub fn response_type(&self) -> Option<&str> {
        self.message.header().response.as_ref()?.code.as_deref()
    }

    /// The `MessageHeader.id` of the message this answers (`response.identifier`).
    pub fn answers_header_id(&self) -> Option<&str> {
        self.message.header().response.as_ref()?.identifier.as_deref()
    }

    /// The echoed `SenderReference`.
    pub fn sender_reference(&self) -> &str {
        &self.message.handling().sender_reference
    }

    /// The responder's ODS code.
    pub fn responder_ods(&self) -> Option<&str> {
        self.message.sender_ods()
    }

    /// The responder's `diagnostics` text. Provider-supplied: keep it out of logs.
    pub fn diagnostics(&self) -> Option<&str> {
        self.diagnostics.as_deref()
    }

    /// The whole response message.
    pub fn message(&self) -> &Itk3Message {
        &self.message
    }

    /// Whether this answers `sent`: its `response.identifier` names the sent message
    /// (its `MessageHeader.id`, or the message `Bundle.id`, which some systems quote) and
    /// its `SenderReference` is the one sent. Ids compare without a `urn:uuid:` prefix and
    /// without regard to case. (A response that omits `response.identifier`, which the
    /// spec does not spell out, matches on the `SenderReference` alone.)
    pub fn answers(&self, sent: &MessageIds) -> bool {
        let id_ok = self.answers_header_id().is_none_or(|id| {
            same_id(id, &sent.header_id) || (!sent.bundle_id.is_empty() && same_id(id, &sent.bundle_id))
        });
        id_ok && same_id(self.sender_reference(), &sent.sender_reference)
    }

    /// Builds the acknowledgement `code` for `original`, as the receiving system sends it:
    /// both ack flags `false`, the same `SenderReference`, event `ITK008M`,
    /// `response.identifier` = the original `MessageHeader.id`.
    pub fn build(original: &Itk3Message, code: ResponseCode, responder: &Responder<'_>) -> Itk3Message {
        let handling = HandlingSpec {
            bus_ack_requested: false,
            inf_ack_requested: false,
            recipient_type: RecipientType::ForInformation,
            message_definition: original.handling().message_definition.clone(),
            sender_reference: original.handling().sender_reference.clone(),
            local_extension: "None".into(),
        };
        let mut envelope = Envelope::new(MessageEvent::Response, handling, responder.mailbox, responder.ods);
        let outcome_id = uuid::Uuid::new_v4().to_string();
        envelope.response = Some(MessageResponse {
            identifier: original.header_id().map(str::to_owned),
            code: Some(code.response_type().into()),
            details: Some(Reference::new(&format!("urn:uuid:{outcome_id}"))),
        });
        let (severity, issue_code) = match (code.is_positive(), code) {
            (true, _) => ("information", "informational"),
            (false, ResponseCode::UnrecognisedRecipientOrganisation | ResponseCode::UnrecognisedRecipientPerson) => {
                ("fatal", "not-found")
            }
            (false, _) => ("fatal", "processing"),
        };
        let outcome = OperationOutcome {
            id: Some(outcome_id.clone()),
            meta: Some(Meta::profile(RESPONSE_OUTCOME_PROFILE)),
            issue: vec![OutcomeIssue {
                severity: Some(severity.into()),
                code: Some(issue_code.into()),
                details: Some(CodeableConcept::of(Coding::new(
                    RESPONSE_CODE_SYSTEM,
                    &code.code().to_string(),
                    code.meaning(),
                ))),
                diagnostics: responder.diagnostics.map(str::to_owned),
                ..Default::default()
            }],
            ..Default::default()
        };
        envelope.wrap(&outcome_id, Resource::OperationOutcome(outcome))
    }
}

/// Two ids the same but for a `urn:uuid:` prefix, surrounding spaces and case.
fn same_id(a: &str, b: &str) -> bool {
    fn bare(id: &str) -> &str {
        let id = id.trim();
        match id.get(..9) {
            Some(p) if p.eq_ignore_ascii_case("urn:uuid:") => &id[9..],
            _ => id,
        }
    }
    bare(a).eq_ignore_ascii_case(bare(b))
}

/// An acknowledgement saves as its XML and is read back with [`Acknowledgement::parse`].
impl serde::Serialize for Acknowledgement {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.message.to_xml())
    }
}

impl<'de> serde::Deserialize<'de> for Acknowledgement {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let xml = <String as serde::Deserialize>::deserialize(d)?;
        Acknowledgement::parse(xml.as_bytes()).map_err(|_| serde::de::Error::custom("not an ITK3 acknowledgement"))
    }
}

/// Who answers a message (the GP practice's system, in tests and the examples).
#[derive(Debug, Clone, Copy)]
pub struct Responder<'a> {
    /// The responder's ODS code.
    pub ods: &'a str,
    /// The responder's MESH mailbox.
    pub mailbox: &'a str,
    /// Error context for negative codes; no patient-identifiable information (FHIR-BA-02).
    pub diagnostics: Option<&'a str>,
}

/// Where the answers to one sent message stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// Still waiting for a requested acknowledgement.
    Pending,
    /// Every requested acknowledgement arrived and is positive.
    Accepted,
    /// A negative code arrived (final: nothing else follows it).
    Rejected(ResponseCode),
    /// `20010`: the practice does not take this message (Update Record switched off);
    /// deliver the content another way.
    SendAnotherWay,
    /// MESH could not deliver it (a non-delivery report).
    Undelivered,
}

/// The acknowledgements received for one sent message.
///
/// Saves and restores with serde (for example as JSON): store it with every answer
/// recorded, before MESH is told the answer was received
/// ([`wait_with`](Acknowledgements::wait_with)), so that a restart loses nothing.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Acknowledgements {
    sent: MessageIds,
    wants_infrastructure: bool,
    wants_business: bool,
    /// The infrastructure acknowledgement, once received.
    pub infrastructure: Option<Acknowledgement>,
    /// The business acknowledgement, once received.
    pub business: Option<Acknowledgement>,
    /// The MESH non-delivery report, if one arrived.
    pub non_delivery: Option<NonDeliveryReport>,
    ack_workflow: Option<WorkflowId>,
    #[serde(default)]
    workflow: Option<WorkflowId>,
    #[serde(default)]
    sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// How long after sending each acknowledgement is due before
/// [`Acknowledgements::overdue`] names it. The spec says a person must be told when an
/// acknowledgement does not come, not when; the defaults are decisions: a day for the
/// infrastructure acknowledgement (MESH asks a mailbox to poll at least daily) and five
/// days for the business acknowledgement (MESH's own expiry, after which a non-delivery
/// report would come instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckDeadlines {
    /// Due time of the infrastructure acknowledgement.
    pub infrastructure: std::time::Duration,
    /// Due time of the business acknowledgement.
    pub business: std::time::Duration,
}

impl Default for AckDeadlines {
    fn default() -> Self {
        AckDeadlines {
            infrastructure: std::time::Duration::from_secs(24 * 3600),
            business: std::time::Duration::from_secs(5 * 24 * 3600),
        }
    }
}

/// Which acknowledgement of a message is later than its [`AckDeadlines`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overdue {
    /// The infrastructure acknowledgement is requested, missing and overdue.
    pub infrastructure: bool,
    /// The business acknowledgement is requested, missing and overdue.
    pub business: bool,
}

impl Acknowledgements {
    /// Tracks the answers to `message`, sent as `sent`.
    pub fn new(message: &Itk3Message, sent: MessageIds) -> Self {
        Acknowledgements {
            wants_infrastructure: message.handling().inf_ack_requested,
            wants_business: message.handling().bus_ack_requested,
            sent,
            infrastructure: None,
            business: None,
            non_delivery: None,
            ack_workflow: None,
            workflow: None,
            sent_at: None,
        }
    }

    /// The MESH data workflow the message went on (where MESH puts a non-delivery report
    /// for it), and when it was sent; set by the send.
    #[must_use]
    pub fn sent_on(mut self, workflow: WorkflowId, at: chrono::DateTime<chrono::Utc>) -> Self {
        self.workflow = Some(workflow);
        self.sent_at = Some(at);
        self
    }

    /// The MESH data workflow the message went on, when known.
    pub fn workflow(&self) -> Option<&WorkflowId> {
        self.workflow.as_ref()
    }

    /// When the message was sent, when known.
    pub fn sent_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.sent_at
    }

    /// Which requested acknowledgements are still missing later than `deadlines` after
    /// the send, at `now`; `None` when nothing is overdue (or the outcome is final, or the
    /// send time is unknown). Tell a person: the spec asks for it.
    pub fn overdue(&self, now: chrono::DateTime<chrono::Utc>, deadlines: &AckDeadlines) -> Option<Overdue> {
        if self.outcome() != DeliveryOutcome::Pending {
            return None;
        }
        let waited = now.signed_duration_since(self.sent_at?).to_std().unwrap_or_default();
        let overdue = Overdue {
            infrastructure: self.wants_infrastructure
                && self.infrastructure.is_none()
                && waited > deadlines.infrastructure,
            business: self.wants_business && self.business.is_none() && waited > deadlines.business,
        };
        (overdue.infrastructure || overdue.business).then_some(overdue)
    }

    /// The MESH workflow the answers come back on (`{workflow}_ACK`), which
    /// [`wait`](Acknowledgements::wait) reads; set by the send.
    #[must_use]
    pub fn answered_on(mut self, ack_workflow: WorkflowId) -> Self {
        self.ack_workflow = Some(ack_workflow);
        self
    }

    /// The MESH workflow the answers come back on, when known.
    pub fn ack_workflow(&self) -> Option<&WorkflowId> {
        self.ack_workflow.as_ref()
    }

    /// The message tracked.
    pub fn sent(&self) -> &MessageIds {
        &self.sent
    }

    /// Records `ack` if it answers the tracked message. The same acknowledgement again (a
    /// MESH redelivery after a lost acknowledge) is accepted and changes nothing.
    ///
    /// # Errors
    /// [`Itk3Error::Unmatched`] when it answers another message (give it to the
    /// tracker of that one); [`Itk3Error::DuplicateAck`] when a different one of its kind
    /// was already recorded (left for a person to look at).
    pub fn record(&mut self, ack: Acknowledgement) -> Result<(), Itk3Error> {
        if !ack.answers(&self.sent) {
            return Err(Itk3Error::Unmatched);
        }
        let slot = match ack.kind() {
            AckKind::Infrastructure => &mut self.infrastructure,
            AckKind::Business => &mut self.business,
        };
        match slot {
            Some(existing) if *existing == ack => return Ok(()),
            Some(_) => return Err(Itk3Error::DuplicateAck),
            None => {}
        }
        *slot = Some(ack);
        Ok(())
    }

    /// Records a MESH non-delivery report if it is about the tracked message.
    ///
    /// # Errors
    /// [`Itk3Error::Unmatched`] when it links to another MESH message.
    pub fn record_report(&mut self, report: NonDeliveryReport) -> Result<(), Itk3Error> {
        match (&self.sent.mesh_message_id, &report.linked_message_id) {
            (Some(a), Some(b)) if a == b => {
                self.non_delivery = Some(report);
                Ok(())
            }
            _ => Err(Itk3Error::Unmatched),
        }
    }

    /// Where the answers stand.
    pub fn outcome(&self) -> DeliveryOutcome {
        if self.non_delivery.is_some() {
            return DeliveryOutcome::Undelivered;
        }
        for ack in [&self.infrastructure, &self.business].into_iter().flatten() {
            if ack.code().must_send_another_way() {
                return DeliveryOutcome::SendAnotherWay;
            }
            if !ack.is_positive() {
                return DeliveryOutcome::Rejected(ack.code());
            }
        }
        let inf_done = !self.wants_infrastructure || self.infrastructure.is_some();
        let bus_done = !self.wants_business || self.business.is_some();
        if inf_done && bus_done {
            DeliveryOutcome::Accepted
        } else {
            DeliveryOutcome::Pending
        }
    }
}

/// Why MESH could not deliver a message (a MESH `REPORT`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum NonDeliveryReason {
    /// `EPL-150` ERROR_TOO_MANY_MAILBOX_MATCHES.
    TooManyMailboxMatches,
    /// `EPL-151` ERROR_NO_MAILBOX_MATCHES.
    NoMailboxMatches,
    /// `EPL-152` ERROR_INVALID_NHSNUMBER.
    InvalidNhsNumber,
    /// `EPL-153` ERROR_NHSNUMBER_NOT_FOUND.
    NhsNumberNotFound,
    /// `EPL-154` ERROR_NO_DEMOGRAPHICS_MATCH: the `GPPROVIDER` demographics do not match PDS.
    NoDemographicsMatch,
    /// `14`: not downloaded in time.
    Undelivered,
    /// Another MESH status code (its first letters, digits and dashes, at most 9).
    Other(String),
}

/// A MESH non-delivery report (`Mex-MessageType: REPORT`), read from its metadata.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NonDeliveryReport {
    /// The report's own MESH message ID.
    pub report_message_id: MessageId,
    /// `Mex-LinkedMsgID`: the message that failed.
    pub linked_message_id: Option<MessageId>,
    /// `Mex-WorkflowID`.
    pub workflow_id: Option<WorkflowId>,
    /// `Mex-StatusCode`.
    pub status_code: String,
    /// Why.
    pub reason: NonDeliveryReason,
    description: Option<String>,
}

impl fmt::Debug for NonDeliveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonDeliveryReport")
            .field("linked_message_id", &self.linked_message_id)
            .field("status_code", &crate::redact::Screened(&self.status_code))
            .field("reason", &crate::redact::Screened(&self.reason))
            .finish_non_exhaustive()
    }
}

impl NonDeliveryReport {
    /// Reads a MESH report from its metadata. `None` when the message is not a report or
    /// reports success.
    pub fn from_metadata(metadata: &MessageMetadata) -> Option<Self> {
        if !metadata.is_report() {
            return None;
        }
        let status = metadata.status.as_ref()?;
        let status_code = status.code.as_deref().unwrap_or_default().trim().to_owned();
        if status.success && (status_code.is_empty() || status_code == "00") {
            return None;
        }
        let text = format!("{status_code} {}", status.description.as_deref().unwrap_or_default()).to_ascii_uppercase();
        let has = |code: &str, name: &str| text.contains(code) || text.contains(name);
        let reason = if has("EPL-150", "ERROR_TOO_MANY_MAILBOX_MATCHES") {
            NonDeliveryReason::TooManyMailboxMatches
        } else if has("EPL-151", "ERROR_NO_MAILBOX_MATCHES") {
            NonDeliveryReason::NoMailboxMatches
        } else if has("EPL-152", "ERROR_INVALID_NHSNUMBER") {
            NonDeliveryReason::InvalidNhsNumber
        } else if has("EPL-153", "ERROR_NHSNUMBER_NOT_FOUND") {
            NonDeliveryReason::NhsNumberNotFound
        } else if has("EPL-154", "ERROR_NO_DEMOGRAPHICS_MATCH") {
            NonDeliveryReason::NoDemographicsMatch
        } else if status_code == "14" {
            NonDeliveryReason::Undelivered
        } else {
            // A code as MESH writes them (`EPL-153`, `14`): its leading letters, digits and
            // dashes, too short to hold an NHS number.
            NonDeliveryReason::Other(
                status_code.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').take(9).collect(),
            )
        };
        Some(NonDeliveryReport {
            report_message_id: metadata.message_id.clone(),
            linked_message_id: status.linked_message_id.clone(),
            workflow_id: metadata.workflow_id.clone(),
            status_code,
            reason,
            description: status.description.clone(),
        })
    }

    /// `Mex-StatusDescription` as MESH wrote it. Remote text: keep it out of logs.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::MessageMetadata;

    fn report(code: &str, description: &str) -> MessageMetadata {
        let mut headers = http::HeaderMap::new();
        for (k, v) in [
            ("mex-messagetype", "REPORT"),
            ("mex-statussuccess", "ERROR"),
            ("mex-statuscode", code),
            ("mex-statusdescription", description),
            ("mex-linkedmsgid", "20200529155357895317_3573F8"),
        ] {
            headers.insert(k, v.parse().unwrap());
        }
        MessageMetadata::from_headers(&headers, &"20200529155357895317_3573F9".parse().unwrap())
    }

    #[test]
    fn reads_routing_failure_reports() {
        let r = NonDeliveryReport::from_metadata(&report("EPL-154", "ERROR_NO_DEMOGRAPHICS_MATCH")).unwrap();
        assert_eq!(r.reason, NonDeliveryReason::NoDemographicsMatch);
        assert_eq!(r.linked_message_id.as_ref().map(MessageId::as_str), Some("20200529155357895317_3573F8"));
        assert!(!format!("{r:?}").contains("DEMOGRAPHICS"));
        let r = NonDeliveryReport::from_metadata(&report("14", "Undelivered message")).unwrap();
        assert_eq!(r.reason, NonDeliveryReason::Undelivered);
    }
}
