//! The one operation shape: what an operation is ([`Operation`]), the per-call options
//! every builder carries ([`CallOptions`]), and how every result carries its trace ID
//! ([`Traced`]).
//!
//! An API crate adds an operation in one file: a builder struct holding a [`Call`] and
//! the operation's input, `impl Operation` for it, and `gpconnect_core::builder!` for
//! the setters every builder has (`user`, `timeout`, `retry`) and `send`. The send path
//! ([`Call::send`]) validates and builds the request, resolves the provider's root,
//! sends it through the SSP with retries, timeouts and tracing, and parses the answer.
//! See `CONTRIBUTING.md`.

use std::fmt;
use std::future::Future;
use std::ops::Deref;

use uuid::Uuid;

use crate::call_options::CallOptions;
use crate::error::InvalidInput;
use crate::request::Answer;
use crate::{InteractionId, NhsNumber, Provider, Request, Result};

/// One GP Connect operation: its interaction, how it builds its request from validated
/// input, and how it reads the answer.
///
/// Whether it is a read or a write, its JWT scope and its capability come with its
/// [`InteractionId`]; a new API crate declares its own (see [`crate::Interaction`]).
pub trait Operation {
    /// How the answer is taken: [`crate::Response`] (read into memory, bounded) or
    /// [`crate::StreamingResponse`].
    type Answer: Answer;
    /// The typed result.
    type Output;

    /// The interaction: `Ssp-InteractionID`, service root, JWT scope, read or write.
    fn interaction(&self) -> InteractionId;

    /// Checks the input against the spec and builds the wire request (with
    /// [`interaction`](Self::interaction)). An error here means nothing is sent.
    fn request(&self) -> Result<Request>;

    /// Reads a success answer into the typed result. Treat it as hostile: bounded work,
    /// typed errors, never a panic.
    fn parse(&self, answer: Self::Answer) -> Result<Self::Output>;
}

/// How an operation's request reaches a provider and its answer comes back: the SSP
/// ([`Provider`]) or the NHS API platform
/// (`platform::PatientSession`). The one method every
/// [`Call::send`] goes through, as tonic's `GrpcService` or async-stripe's `StripeClient`.
///
/// A transport adds what is its own (the SSP's JWT, `Ssp-*` headers and service root; the
/// platform's token, `X-Request-ID` and base URL), retries reads as its policy allows
/// (never a write once it may have been sent) and maps error answers to the one
/// [`Error`](crate::Error).
pub trait Transport: Clone + fmt::Debug + Send + Sync {
    /// Sends `request` with the per-call `options` and takes the answer as `A` (the whole
    /// body, bounded, or a stream). An option the transport does not have is refused as
    /// `InvalidInput` before anything is sent.
    fn send<A: Answer>(&self, request: Request, options: &CallOptions) -> impl Future<Output = Result<A>> + Send;

    /// The patient every call through this transport is bound to, when the transport
    /// binds one (the API platform's logged-in patient); `None` on the SSP. Operations
    /// name this patient where the platform asks for it (`patientNHSNumber`).
    fn bound_patient(&self) -> Option<&NhsNumber> {
        None
    }

    /// The ODS code of the organisation a call with these `options` is made for, when the
    /// transport knows one: on the SSP the requesting organisation (as
    /// [`Call::requesting_ods`]); `None` on the API platform, whose caller (a patient app)
    /// names its organisation where an operation needs it (a booking organisation).
    fn requesting_ods(&self, options: &CallOptions) -> Option<crate::OdsCode> {
        let _ = options;
        None
    }
}

impl Transport for Provider {
    async fn send<A: Answer>(&self, request: Request, options: &CallOptions) -> Result<A> {
        if options.correlation_id.is_some() || options.request_id.is_some() {
            return Err(InvalidInput::parameter(
                "correlation_id",
                "a correlation or request id is for the API platform; the SSP sends its own Ssp-TraceID",
            )
            .into());
        }
        self.dispatch(&request, options).await
    }

    fn requesting_ods(&self, options: &CallOptions) -> Option<crate::OdsCode> {
        let consumer = self.client().consumer();
        Some(match options.user.as_deref().or(self.user()) {
            Some(user) => user.requesting_organisation(consumer).0.clone(),
            None => consumer.ods().clone(),
        })
    }
}

/// What every operation builder holds: the transport it sends through (the SSP
/// [`Provider`] unless named) and the per-call options. [`Call::send`] is the one send path.
#[derive(Debug, Clone)]
pub struct Call<T = Provider> {
    transport: T,
    /// The per-call overrides.
    pub options: CallOptions,
}

impl<T: Transport> Call<T> {
    /// A call through `transport` with no overrides.
    pub fn new(transport: &T) -> Self {
        Self { transport: transport.clone(), options: CallOptions::default() }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Sends `operation`: validates and builds its request, sends it (retrying reads as
    /// the policy allows, never a write that may have been sent), and parses the answer.
    pub async fn send<O: Operation>(&self, operation: &O) -> Result<Traced<O::Output>> {
        let answer: O::Answer = {
            let request = operation.request()?;
            debug_assert_eq!(request.interaction, operation.interaction(), "an operation sends its own interaction");
            // Boxed: the future of every `send()` stays small (it is moved, and allocated
            // by whoever spawns it). The answer is taken inside the retry loop, so a read
            // whose body stalls is sent again.
            Box::pin(self.transport.send(request, &self.options)).await?
        };
        let (trace_id, version_id) = (answer.trace_id(), answer.version_id().map(str::to_owned));
        let value = operation.parse(answer)?;
        Ok(Traced { value, trace_id, version_id })
    }
}

impl Call<Provider> {
    /// The provider handle.
    pub fn provider(&self) -> &Provider {
        &self.transport
    }

    /// The ODS code of the organisation this call is made for: the requesting user's
    /// organisation (the per-call user, else the handle's) when set with
    /// [`User::organisation`](crate::User::organisation), else the client's consumer organisation. The same
    /// organisation as the call's `requesting_organization` claim.
    pub fn requesting_ods(&self) -> crate::OdsCode {
        let consumer = self.transport.client().consumer();
        Transport::requesting_ods(&self.transport, &self.options).unwrap_or_else(|| consumer.ods().clone())
    }
}

/// A result from the provider with the trace id of the request that fetched it (the
/// `Ssp-TraceID` on the SSP, the `X-Request-ID` on the API platform) and
/// the resource version (`ETag`), when the answer gave one. Dereferences to the value.
///
/// Every operation's `send()` returns one: quote `trace_id` to the SSP or the provider
/// about this call.
#[derive(Debug, Clone)]
pub struct Traced<T> {
    /// The value.
    pub value: T,
    /// The `Ssp-TraceID` of the request that fetched it.
    pub trace_id: Uuid,
    /// The version from the `ETag` header (`W/"3"` gives `3`), when given.
    pub version_id: Option<String>,
}

impl<T> Traced<T> {
    /// The value, without the trace ID.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The same trace ID and version around another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Traced<U> {
        Traced { value: f(self.value), trace_id: self.trace_id, version_id: self.version_id }
    }
}

impl<T> Traced<Option<T>> {
    /// `Some` traced value, or `None` when the search found nothing.
    pub fn transpose(self) -> Option<Traced<T>> {
        let Traced { value, trace_id, version_id } = self;
        value.map(|value| Traced { value, trace_id, version_id })
    }
}

impl<T> Deref for Traced<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Adds the setters every operation builder has (`user`, `timeout`, `retry`,
/// `correlation_id`, `request_id`) and, unless `no_send` is given, `send()`, to a builder
/// with a `call: Call<T>` field that implements [`Operation`]. The one builder macro of
/// the SSP and the API platform: a builder generic over its [`Transport`] names it as
/// `impl<T: Transport>`; an option its transport does not have is refused when sent.
///
/// ```ignore
/// gpconnect_core::builder!(GetRecord);
/// gpconnect_core::builder!(impl<T: gpconnect_core::Transport> SearchDocuments<T>);
/// gpconnect_core::builder!(impl<R> Read<R>);
/// gpconnect_core::builder!(RetrieveDocument, no_send);
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! builder {
    (impl<$($generic:ident $(: $bound:path)?),*> $builder:ty $(, $no_send:ident)?) => {
        impl<$($generic $(: $bound)?),*> $builder {
            /// The logged-on user this request is made for (the `requesting_practitioner`
            /// claim), overriding the provider handle's user. SSP only: the API platform
            /// binds every call to the logged-in patient and refuses it (`InvalidInput`).
            pub fn user(mut self, user: &$crate::User) -> Self {
                self.call.options.user = Some(::std::sync::Arc::new(user.clone()));
                self
            }

            /// A timeout for this call, overriding the transport's default.
            pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.call.options.timeout = Some(timeout);
                self
            }

            /// A retry policy for this call, overriding the transport's. Writes are never
            /// retried once they may have been sent, whatever the policy.
            pub fn retry(mut self, policy: $crate::RetryPolicy) -> Self {
                self.call.options.retry = Some(policy);
                self
            }

            /// Sends `X-Correlation-ID` with this value, to follow the call across systems
            /// (API platform only: the platform mirrors it back; avoid `.` characters).
            /// The SSP refuses it (`InvalidInput`).
            pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
                self.call.options.correlation_id = Some(id.into());
                self
            }

            /// Sends this `X-Request-ID` instead of a fresh one (API platform only): to
            /// re-send, later, a write whose outcome is unknown, so the platform can
            /// recognise it as the same request. The SSP refuses it (`InvalidInput`).
            pub fn request_id(mut self, id: $crate::uuid::Uuid) -> Self {
                self.call.options.request_id = Some(id);
                self
            }
        }
        $crate::builder!(@send [$($generic $(: $bound)?),*] $builder $(, $no_send)?);
    };
    (@send [$($generic:tt)*] $builder:ty) => {
        impl<$($generic)*> $builder where $builder: $crate::Operation {
            /// Validates the input (nothing is sent when it breaks a rule of the spec),
            /// sends the request and reads the answer, with its trace id (`Ssp-TraceID`,
            /// or `X-Request-ID` on the API platform). See the builder's documentation for
            /// the HTTP call, the errors and retry safety.
            pub async fn send(self) -> $crate::Result<$crate::Traced<<$builder as $crate::Operation>::Output>> {
                self.call.send(&self).await
            }
        }
    };
    (@send [$($generic:tt)*] $builder:ty, no_send) => {};
    ($builder:ty $(, $no_send:ident)?) => {
        $crate::builder!(impl<> $builder $(, $no_send)?);
    };
}
