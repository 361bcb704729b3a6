//! Cancel and book again as one call: the API has no amend.

use std::time::Duration;

use gpconnect_appointments::{Appointment, BookingOrganisation, FreeSlot};
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{Error, Operation, Result, Traced};

use gpconnect_appointments::CancelError;

use super::{Book, CancelAppointment};

/// Which step [`Rebook`] takes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RebookOrder {
    /// Book the new slots, then cancel the old appointment (the default): the patient is
    /// never left with neither appointment; if the cancellation fails they hold both,
    /// and the report says so.
    #[default]
    BookFirst,
    /// Cancel the old appointment, then book the new slots (the order the spec describes,
    /// for practices that refuse a second booking): if the booking then fails the patient
    /// holds neither, and the report says so ([`Holding::neither`]).
    CancelFirst,
}

/// Whether the patient holds one of the two appointments after a [`Rebook`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Held (booked and not cancelled).
    Yes,
    /// Not held.
    No,
    /// Unknown: a step may have reached the practice. Read the appointments
    /// ([`Appointments::list`](crate::Appointments::list)) to find out.
    Unknown,
}

/// What the patient holds after a [`Rebook`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holding {
    /// The appointment being moved.
    pub old: Held,
    /// The new booking.
    pub new: Held,
}

impl Holding {
    /// Whether the patient certainly holds neither appointment (only possible with
    /// [`RebookOrder::CancelFirst`] when the booking failed): tell them.
    pub fn neither(&self) -> bool {
        self.old == Held::No && self.new == Held::No
    }

    /// Whether the patient holds both (the cancellation failed after the booking).
    pub fn both(&self) -> bool {
        self.old == Held::Yes && self.new == Held::Yes
    }
}

/// Each step of a [`Rebook`] and what the patient holds now.
#[derive(Debug)]
pub struct RebookReport {
    /// The order the steps were taken in.
    pub order: RebookOrder,
    /// The booking of the new slots, `None` when it was not attempted.
    pub booking: Option<Result<Appointment>>,
    /// The cancellation of the old appointment, `None` when it was not attempted.
    pub cancellation: Option<std::result::Result<Appointment, CancelError>>,
}

impl RebookReport {
    /// Whether both steps succeeded: the appointment moved.
    pub fn is_complete(&self) -> bool {
        matches!(self.booking, Some(Ok(_))) && matches!(self.cancellation, Some(Ok(_)))
    }

    /// The new appointment, when it was booked.
    pub fn booked(&self) -> Option<&Appointment> {
        self.booking.as_ref().and_then(|b| b.as_ref().ok())
    }

    /// What the patient holds now.
    pub fn holding(&self) -> Holding {
        let new = match &self.booking {
            None => Held::No,
            Some(Ok(_)) => Held::Yes,
            Some(Err(e)) if e.may_have_been_sent() => Held::Unknown,
            Some(Err(_)) => Held::No,
        };
        let old = match &self.cancellation {
            None => Held::Yes,
            Some(Ok(_)) => Held::No,
            Some(Err(e)) if e.may_have_been_sent() => Held::Unknown,
            Some(Err(_)) => Held::Yes,
        };
        Holding { old, new }
    }
}

/// Moves an appointment to other slots; from [`Appointments::rebook`](crate::Appointments::rebook).
/// `Debug` leaves out the free texts.
///
/// Both requests (the booking and the cancellation) are built and checked before anything
/// is sent. Then, in [`RebookOrder::BookFirst`] (the default) the new slots are booked and,
/// only if that succeeded, the old appointment is cancelled; in
/// [`RebookOrder::CancelFirst`] the other way round. A step that fails stops the call;
/// nothing is retried once it may have been sent; [`RebookReport::holding`] says what the
/// patient holds, including when it is unknown or neither.
#[must_use]
pub struct Rebook {
    session: PatientSession,
    current: Appointment,
    reason: String,
    book: Book,
    order: RebookOrder,
    correlation_id: Option<String>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for Rebook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rebook")
            .field("current", &self.current)
            .field("book", &self.book)
            .field("order", &self.order)
            .finish_non_exhaustive()
    }
}

impl Rebook {
    pub(crate) fn new(session: &PatientSession, current: &Appointment, reason: String, slots: &[FreeSlot]) -> Self {
        Self {
            book: Book::new(session, slots),
            session: session.clone(),
            current: current.clone(),
            reason,
            order: RebookOrder::default(),
            correlation_id: None,
            timeout: None,
        }
    }

    /// The new appointment's description (required, as for [`Book::description`]).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.book = self.book.description(text);
        self
    }

    /// The new appointment's comment (optional).
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.book = self.book.comment(text);
        self
    }

    /// The booking organisation (required, as for [`Book::booking_organisation`]).
    pub fn booking_organisation(mut self, organisation: BookingOrganisation) -> Self {
        self.book = self.book.booking_organisation(organisation);
        self
    }

    /// Which step comes first (default [`RebookOrder::BookFirst`]).
    pub fn order(mut self, order: RebookOrder) -> Self {
        self.order = order;
        self
    }

    /// Sends `X-Correlation-ID` with this value on both requests.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// A timeout for each of the two calls.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The two steps, checked (nothing is sent): (booking, cancellation).
    fn steps(self) -> Result<(Book, CancelAppointment)> {
        let mut book = self.book;
        let mut cancel = CancelAppointment::new(&self.session, &self.current, self.reason);
        if let Some(id) = self.correlation_id {
            book = book.correlation_id(id.clone());
            cancel = cancel.correlation_id(id);
        }
        if let Some(t) = self.timeout {
            book = book.timeout(t);
            cancel = cancel.timeout(t);
        }
        Operation::request(&book)?;
        Operation::request(&cancel)?;
        Ok((book, cancel))
    }

    /// Takes the steps and reports each.
    ///
    /// # Errors
    /// Only `InvalidInput`, before anything is sent (a bad slot combination, description,
    /// booking organisation, an appointment already cancelled or without an id, an empty
    /// reason). Failures of the steps are in the [`RebookReport`].
    pub async fn send(self) -> Result<RebookReport, Error> {
        let order = self.order;
        let (booking, cancellation) = self.steps()?;
        let mut report = RebookReport { order, booking: None, cancellation: None };
        match order {
            RebookOrder::BookFirst => {
                let booked = booking.send().await.map(Traced::into_inner);
                let go_on = booked.is_ok();
                report.booking = Some(booked);
                if go_on {
                    report.cancellation = Some(cancellation.send().await.map(Traced::into_inner));
                }
            }
            RebookOrder::CancelFirst => {
                let cancelled = cancellation.send().await.map(Traced::into_inner);
                let go_on = cancelled.is_ok();
                report.cancellation = Some(cancelled);
                if go_on {
                    report.booking = Some(booking.send().await.map(Traced::into_inner));
                }
            }
        }
        let holding = report.holding();
        if holding.neither() || holding.both() || holding.old == Held::Unknown || holding.new == Held::Unknown {
            tracing::warn!(?holding, "rebooking stopped part way");
        }
        Ok(report)
    }
}
