//! Per-call options every patient-facing operation carries, and the answer checks they share.

use std::time::Duration;

use gpconnect_core::error::{DecodeProblem, InvalidInput};
use gpconnect_core::fhir::{Bundle, FhirResource};
use gpconnect_core::platform::PatientSession;
use gpconnect_core::{NhsNumber, Request, Response, Result};
use http::{HeaderName, HeaderValue};

use crate::bounded::check_depth;

/// Per-call options: `X-Correlation-ID` and a timeout.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Sent as `X-Correlation-ID` (the platform mirrors it back).
    pub correlation_id: Option<String>,
    /// A timeout overriding the client default.
    pub timeout: Option<Duration>,
}

static X_CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");

impl CallOptions {
    /// Applies the options to a request. A correlation id that is not a valid header
    /// value is refused (nothing is sent).
    pub fn apply(&self, mut request: Request) -> Result<Request> {
        if let Some(id) = &self.correlation_id {
            let value = HeaderValue::from_str(id).map_err(|_| {
                InvalidInput::parameter("X-Correlation-ID", "not a valid header value (visible ASCII only)")
            })?;
            request = request.header(X_CORRELATION_ID.clone(), value);
        }
        if let Some(timeout) = self.timeout {
            request = request.timeout(timeout);
        }
        Ok(request)
    }
}

/// Adds the `correlation_id` and `timeout` setters to an operation builder with an
/// `options: CallOptions` field and a `session: PatientSession`, and, unless `no_send` is
/// given, `send()` through [`PatientSession::call`] to `$api`.
///
/// With `$interaction => $output` it also implements [`Operation`](gpconnect_core::Operation)
/// the way most patient-facing operations do: the request from the builder's
/// `build(&self) -> Result<Request>`, the answer read into `$output` by its
/// `read_answer(&Response, &NhsNumber)` for the logged-in patient.
macro_rules! operation {
    ($builder:ident, $api:expr, $interaction:expr => $output:ty) => {
        impl gpconnect_core::Operation for $builder {
            type Answer = gpconnect_core::Response;
            type Output = $output;

            fn interaction(&self) -> gpconnect_core::InteractionId {
                $interaction
            }

            fn request(&self) -> gpconnect_core::Result<gpconnect_core::Request> {
                self.build()
            }

            fn parse(&self, response: gpconnect_core::Response) -> gpconnect_core::Result<$output> {
                let nhs = $crate::options::patient_nhs_number(&self.session)?;
                Self::read_answer(&response, &nhs)
            }
        }
        $crate::options::operation!($builder, $api);
    };
    ($builder:ident, $api:expr $(, $no_send:ident)?) => {
        impl $builder {
            /// Sends `X-Correlation-ID` with this value, to follow the call across systems
            /// (the platform mirrors it back). Avoid `.` characters.
            pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
                self.options.correlation_id = Some(id.into());
                self
            }

            /// A timeout for this call, overriding the client default.
            pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.options.timeout = Some(timeout);
                self
            }
        }
        $crate::options::operation!(@send $builder, $api $(, $no_send)?);
    };
    (@send $builder:ident, $api:expr) => {
        impl $builder {
            /// Validates the input (nothing is sent when it breaks a rule of the spec),
            /// sends the request as the logged-in patient and reads the answer, with its
            /// `X-Request-ID`. See the builder's documentation for the HTTP call, the
            /// errors and retry safety.
            pub async fn send(
                self,
            ) -> gpconnect_core::Result<gpconnect_core::Traced<<$builder as gpconnect_core::Operation>::Output>> {
                self.session.call($api, &self).await
            }
        }
    };
    (@send $builder:ident, $api:expr, no_send) => {};
}
pub(crate) use operation;

/// The logged-in patient's NHS number (the ID token's `nhs_number` claim): the platform
/// binds every call to it, so paths and bodies name it.
pub(crate) fn patient_nhs_number(session: &PatientSession) -> Result<NhsNumber, InvalidInput> {
    session.nhs_number().cloned().ok_or_else(|| {
        InvalidInput::parameter("nhs_number", "the NHS login ID token carries no NHS number (a P9 login has one)")
    })
}

/// Checks an answer before parsing: not empty, nested at most [`MAX_DEPTH`](crate::MAX_DEPTH)
/// deep, and a resource of type `expected`.
pub(crate) fn check_answer(response: &Response, expected: &'static str) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Peek {
        #[serde(rename = "resourceType")]
        resource_type: Option<String>,
    }
    let body = &response.body.0;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(response.decode_error(DecodeProblem::Empty));
    }
    check_depth(body).map_err(|p| response.decode_error(p))?;
    let peek: Peek = response.json()?;
    match peek.resource_type.as_deref() {
        Some(t) if t == expected => Ok(()),
        other => {
            let found = other
                .filter(|t| t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphabetic()))
                .unwrap_or("(unknown)")
                .to_owned();
            Err(response.decode_error(DecodeProblem::ResourceType { expected, found }))
        }
    }
}

/// A checked STU3 Bundle.
pub(crate) fn bundle(response: &Response) -> Result<Bundle> {
    check_answer(response, Bundle::TYPE)?;
    response.json()
}

/// The error for an answer about another patient than the logged-in one.
pub(crate) fn other_patient(response: &Response, path: &str) -> gpconnect_core::Error {
    response.decode_error(DecodeProblem::Json {
        path: path.to_owned(),
        message: "about another patient than the one logged in".into(),
    })
}
