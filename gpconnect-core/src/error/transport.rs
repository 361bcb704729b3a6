//! Failures below HTTP, kept without the URL.

use super::*;

/// A failure below HTTP: connecting, TLS, sending, or reading the answer.
///
/// Keeps the category and the underlying causes (`source()`), never the URL: request
/// URLs can carry an NHS number in their query. The HTTP library's own error type is not
/// part of this SDK's API.
pub struct TransportError {
    category: TransportCategory,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// What kind of transport failure a [`TransportError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportCategory {
    /// The connection could not be made (DNS, refused, TLS handshake).
    Connect,
    /// The request could not be sent, or the connection broke before an answer.
    Request,
    /// The answer's body broke off or could not be decompressed.
    Body,
    /// No answer in time.
    Timeout,
    /// The HTTP client or a certificate could not be set up.
    Setup,
    /// Anything else.
    Other,
}

impl TransportError {
    /// The kind of failure.
    pub fn category(&self) -> TransportCategory {
        self.category
    }

    /// A failure to set up TLS or the HTTP client.
    pub(crate) fn setup(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self { category: TransportCategory::Setup, source: Some(Box::new(source)) }
    }
}

impl From<reqwest::Error> for TransportError {
    fn from(e: reqwest::Error) -> Self {
        let category = if e.is_timeout() {
            TransportCategory::Timeout
        } else if e.is_connect() {
            TransportCategory::Connect
        } else if e.is_body() || e.is_decode() {
            TransportCategory::Body
        } else if e.is_request() {
            TransportCategory::Request
        } else if e.is_builder() {
            TransportCategory::Setup
        } else {
            TransportCategory::Other
        };
        Self { category, source: Some(Box::new(e.without_url())) }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.category {
            TransportCategory::Connect => "connection failed",
            TransportCategory::Request => "request failed",
            TransportCategory::Body => "answer body broke off",
            TransportCategory::Timeout => "timed out",
            TransportCategory::Setup => "HTTP set-up failed",
            TransportCategory::Other => "HTTP failure",
        })
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TransportError");
        d.field("category", &self.category);
        let mut cause = self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static));
        let mut causes = Vec::new();
        while let Some(c) = cause {
            causes.push(c.to_string());
            cause = c.source();
        }
        d.field("causes", &causes).finish()
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl TransportError {
    /// What to do about a failure of this kind.
    pub(super) fn fix(&self) -> &'static str {
        match self.category {
            TransportCategory::Connect => {
                "; check the SSP address and port, the network, the client certificate and key and the CA \
                 certificates (a refused TLS handshake looks the same)"
            }
            TransportCategory::Setup => "; check the client certificate, key and CA certificates",
            _ => "",
        }
    }
}
