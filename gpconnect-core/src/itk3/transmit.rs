//! Sending ITK3 messages over MESH and taking their acknowledgements back: the one path
//! Send Document and Update Record share.

use std::fmt;
use std::time::Duration;

use chrono::NaiveDate;

use super::model::{Address, Extension, HumanName, Identifier, Meta};
use super::resources::Patient;
use super::response::{Acknowledgement, Acknowledgements, NonDeliveryReport};
use super::Itk3Error;
use crate::error::InvalidInput;
use crate::mesh::{HandlerError, IncomingMessage, MailboxId, MeshClient, ReceiveSummary, Recipient, WorkflowFilter};
use crate::NhsNumber;

/// A patient's demographics as GP Connect messages need them: the NHS number, the
/// official name and the date of birth (which also make the `GPPROVIDER` address).
///
/// `Debug` shows the masked NHS number only.
#[derive(Clone, PartialEq, Eq)]
pub struct PatientDemographics {
    /// The NHS number (check digit verified).
    pub nhs_number: NhsNumber,
    /// The official family name.
    pub family: String,
    /// Given names.
    pub given: Vec<String>,
    /// Name prefixes (`Mr`, `Dr`).
    pub prefix: Vec<String>,
    /// The date of birth.
    pub birth_date: NaiveDate,
    /// Administrative gender (`male`, `female`, `other`, `unknown`), when known.
    pub gender: Option<Gender>,
    /// The home postcode, when known.
    pub postcode: Option<String>,
}

/// FHIR administrative gender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    /// `male`.
    Male,
    /// `female`.
    Female,
    /// `other`.
    Other,
    /// `unknown`.
    Unknown,
}

impl Gender {
    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Other => "other",
            Gender::Unknown => "unknown",
        }
    }
}

impl fmt::Debug for PatientDemographics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatientDemographics").field("nhs_number", &self.nhs_number).finish_non_exhaustive()
    }
}

impl PatientDemographics {
    /// Demographics from a validated NHS number, family name, given names and birth date.
    pub fn new(nhs_number: NhsNumber, family: &str, given: &[&str], birth_date: NaiveDate) -> Self {
        PatientDemographics {
            nhs_number,
            family: family.trim().to_owned(),
            given: given.iter().map(|g| g.trim().to_owned()).collect(),
            prefix: Vec::new(),
            birth_date,
            gender: None,
            postcode: None,
        }
    }

    /// Adds a name prefix (`Mr`, `Dr`).
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix.push(prefix.trim().to_owned());
        self
    }

    /// Sets the gender.
    #[must_use]
    pub fn gender(mut self, gender: Gender) -> Self {
        self.gender = Some(gender);
        self
    }

    /// Sets the home postcode.
    #[must_use]
    pub fn postcode(mut self, postcode: &str) -> Self {
        self.postcode = Some(postcode.trim().to_owned());
        self
    }

    /// Checks what the spec requires before anything is sent: a family name MESH can
    /// route on, a birth date not in the future.
    ///
    /// # Errors
    /// [`InvalidInput`] naming the element.
    pub fn validate(&self, today: NaiveDate) -> Result<(), InvalidInput> {
        if self.family.is_empty() {
            return Err(InvalidInput::parameter("Patient.name.family", "missing"));
        }
        if self.birth_date > today {
            return Err(InvalidInput::parameter("Patient.birthDate", "in the future"));
        }
        self.gp_provider().map(|_| ())
    }

    /// `mex-To` for the patient's registered practice:
    /// `GPPROVIDER_{NHS number}_{YYYYMMDD}_{surname}` (spec 1.8).
    ///
    /// # Errors
    /// [`InvalidInput`] when the surname cannot be routed on (letters, spaces, `'`, `-`).
    pub fn gp_provider(&self) -> Result<Recipient, InvalidInput> {
        Recipient::gp_provider(&self.nhs_number, self.birth_date, &self.family)
    }

    /// The message's Patient resource: the NHS number carrying `verification` (the NHS
    /// number verification status extension of the message's profiles), then `local`
    /// (the sender's own identifier, when given), the official name, gender, birth date
    /// and postcode.
    pub fn resource(&self, id: &str, meta: Meta, verification: Extension, local: Option<Identifier>) -> Patient {
        let mut nhs = Identifier::new(NhsNumber::SYSTEM, self.nhs_number.expose());
        nhs.extension.push(verification);
        Patient {
            id: Some(id.into()),
            meta: Some(meta),
            identifier: std::iter::once(nhs).chain(local).collect(),
            name: vec![HumanName {
                use_: Some("official".into()),
                family: Some(self.family.clone()),
                given: self.given.clone(),
                prefix: self.prefix.clone(),
                ..Default::default()
            }],
            gender: self.gender.map(|g| g.code().into()),
            birth_date: Some(self.birth_date.into()),
            address: self
                .postcode
                .iter()
                .map(|pc| Address { postal_code: Some(pc.clone()), ..Default::default() })
                .collect(),
            ..Default::default()
        }
    }

    /// The name as shown in `Mex-Subject`: given names then family name.
    pub fn display_name(&self) -> String {
        let mut parts: Vec<&str> = self.given.iter().map(String::as_str).collect();
        parts.push(&self.family);
        parts.join(" ")
    }
}

/// Where a message goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// The patient's registered practice, found by MESH from the NHS number and
    /// demographics (`GPPROVIDER_...`), as the spec requires.
    RegisteredPractice,
    /// A mailbox found beforehand (`endpointlookup`), or a test mailbox. Outside the
    /// spec's mandatory routing: use for tests and the local sandbox.
    Mailbox(MailboxId),
}

impl Addressing {
    /// `mex-To` of a message about `patient`.
    ///
    /// # Errors
    /// [`InvalidInput`] when the `GPPROVIDER` address cannot be made.
    pub fn recipient(&self, patient: &PatientDemographics) -> Result<Recipient, InvalidInput> {
        match self {
            Addressing::RegisteredPractice => patient.gp_provider(),
            Addressing::Mailbox(m) => Ok(m.clone().into()),
        }
    }
}

/// How often [`Acknowledgements::wait`] looks for answers while it waits: the spec asks
/// to poll a MESH inbox at most every 5 minutes.
pub const ANSWER_POLL_INTERVAL: Duration = Duration::from_secs(300);

/// What [`take_answer`] did with one incoming message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Taken {
    /// An acknowledgement or report for tracker `index` was recorded.
    Recorded(usize),
    /// The same acknowledgement or report was already recorded on tracker `index` (MESH
    /// offered it again: its acknowledgement was lost, or the process restarted before
    /// acknowledging it).
    Repeated(usize),
}

/// Records one incoming MESH message (an ITK3 acknowledgement, or a MESH non-delivery
/// report) with the one of many `trackers` it answers (for one tracker:
/// [`Acknowledgements::take`]; to receive the answers of many: [`receive_answers`]).
///
/// # Errors
/// [`Itk3Error::Unmatched`] when it answers none of `trackers`, a parse error when it is
/// not an acknowledgement, [`Itk3Error::DuplicateAck`] for a second, different one of a
/// kind.
pub fn take_answer(incoming: &IncomingMessage, trackers: &mut [Acknowledgements]) -> Result<Taken, Itk3Error> {
    if let Some(report) = NonDeliveryReport::from_metadata(&incoming.metadata) {
        for (i, t) in trackers.iter_mut().enumerate() {
            let repeat = t.non_delivery.as_ref() == Some(&report);
            if t.record_report(report.clone()).is_ok() {
                return Ok(if repeat { Taken::Repeated(i) } else { Taken::Recorded(i) });
            }
        }
        return Err(Itk3Error::Unmatched);
    }
    let ack = Acknowledgement::parse(&incoming.content)?;
    let i = trackers.iter().position(|t| ack.answers(t.sent())).ok_or(Itk3Error::Unmatched)?;
    let repeat = [&trackers[i].infrastructure, &trackers[i].business].into_iter().flatten().any(|held| *held == ack);
    trackers[i].record(ack)?;
    Ok(if repeat { Taken::Repeated(i) } else { Taken::Recorded(i) })
}

/// One pass over the answers to `trackers` waiting in `mesh`'s inbox: every page of each
/// acknowledgement workflow (`{workflow}_ACK`) and each data workflow (where MESH puts
/// a non-delivery report, under the workflow of the message it could not deliver).
///
/// Each answer recorded (or offered again) is handed to `save` with the index of its
/// tracker, *before* MESH is told it was received: acknowledge-after-store. When `save`
/// fails the answer stays in the inbox and is offered again. Anything else (another
/// system's answer, an unreadable one) stays in the inbox for whoever owns it, recorded in
/// [`ReceiveSummary::handler_failed`]; data messages of the data workflows are passed over
/// untouched. Nothing in the inbox stops the pass.
///
/// # Errors
/// Listing the inbox failed.
pub async fn receive_answers(
    mesh: &MeshClient,
    trackers: &mut [Acknowledgements],
    mut save: impl FnMut(usize, &Acknowledgements) -> Result<(), HandlerError>,
) -> crate::Result<ReceiveSummary> {
    let mut filters: Vec<(WorkflowFilter, bool)> = Vec::new();
    for t in trackers.iter() {
        let ack = match t.ack_workflow() {
            Some(workflow) => WorkflowFilter::equals(workflow),
            None => WorkflowFilter::contains("_ACK")?,
        };
        let data = t.workflow().map(WorkflowFilter::equals);
        for (filter, reports_only) in std::iter::once((ack, false)).chain(data.map(|d| (d, true))) {
            if !filters.iter().any(|(f, _)| *f == filter) {
                filters.push((filter, reports_only));
            }
        }
    }
    let mut total = ReceiveSummary::default();
    let mut more = false;
    for (filter, reports_only) in filters {
        let mut inbox = mesh.receive().workflow(filter);
        while let Some(message) = inbox.next().await? {
            if reports_only && !message.metadata.is_report() {
                continue;
            }
            let i = match take_answer(&message, trackers) {
                Ok(Taken::Recorded(i) | Taken::Repeated(i)) => i,
                Err(e) => {
                    inbox.leave(&message, e);
                    continue;
                }
            };
            match save(i, &trackers[i]) {
                Ok(()) => {
                    if let Err(e) = inbox.acknowledge(&message).await {
                        inbox.leave(&message, e);
                    }
                }
                Err(e) => inbox.leave(&message, e),
            }
        }
        let pass = inbox.into_summary();
        more |= pass.more_waiting;
        total.absorb(pass);
    }
    total.more_waiting = more;
    Ok(total)
}

impl Acknowledgements {
    /// Records one incoming MESH message (an ITK3 acknowledgement, or a MESH non-delivery
    /// report) if it answers the tracked message.
    ///
    /// # Errors
    /// As [`take_answer`].
    pub fn take(&mut self, incoming: &IncomingMessage) -> Result<(), Itk3Error> {
        take_answer(incoming, std::slice::from_mut(self)).map(|_| ())
    }

    /// Waits up to `within` for the answers to the tracked message, as
    /// [`wait_with`](Self::wait_with) with nothing to save first.
    ///
    /// # Errors
    /// Listing the inbox failed.
    pub async fn wait(&mut self, mesh: &MeshClient, within: Duration) -> crate::Result<ReceiveSummary> {
        self.wait_with(mesh, within, |_| Ok(())).await
    }

    /// Waits up to `within` for the answers to the tracked message ([`receive_answers`]:
    /// its acknowledgement workflow, and its data workflow for a non-delivery report),
    /// handing the tracker to `save` after each answer is recorded and before MESH is told
    /// the answer was received (save it with serde: a restart then loses nothing). Returns
    /// as soon as the [`outcome`](Acknowledgements::outcome) is no longer
    /// [`Pending`](super::DeliveryOutcome::Pending), or when `within` has passed
    /// (`Duration::ZERO`: one look), looking again every [`ANSWER_POLL_INTERVAL`].
    ///
    /// # Errors
    /// Listing the inbox failed.
    pub async fn wait_with(
        &mut self,
        mesh: &MeshClient,
        within: Duration,
        mut save: impl FnMut(&Acknowledgements) -> Result<(), HandlerError>,
    ) -> crate::Result<ReceiveSummary> {
        let started = tokio::time::Instant::now();
        let mut total = ReceiveSummary::default();
        loop {
            let pass = receive_answers(mesh, std::slice::from_mut(self), |_, t| save(t)).await?;
            let more = pass.more_waiting;
            total.absorb(pass);
            let left = within.saturating_sub(started.elapsed());
            if self.outcome() != super::DeliveryOutcome::Pending || left.is_zero() {
                return Ok(total);
            }
            if !more {
                tokio::time::sleep(left.min(ANSWER_POLL_INTERVAL)).await;
            }
        }
    }
}
