//! What was wrong with a success answer ([`DecodeProblem`]): a leaf, so that the FHIR
//! model's parsers and the error type can both name it. Re-exported as
//! [`crate::error::DecodeProblem`].

/// What was wrong with a success answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeProblem {
    /// The body was empty.
    #[error("empty body")]
    Empty,
    /// The content type is not FHIR JSON.
    #[error("its content type is not the one expected")]
    ContentType(String),
    /// The body is larger than the configured limit.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not valid JSON or not the expected resource.
    #[error("at `{path}`: {message}")]
    Json {
        /// The JSON path of the offending element.
        path: String,
        /// The parser's message (line and column, never the value).
        message: String,
    },
    /// The body is JSON but not the expected resource type.
    #[error("expected a {expected}, got another resource type")]
    ResourceType {
        /// The expected resourceType.
        expected: &'static str,
        /// What came instead.
        found: String,
    },
    /// The response broke off or its content was corrupt.
    #[error("transfer incomplete: {0}")]
    Incomplete(String),
}

impl DecodeProblem {
    /// A JSON problem at `path`, described by the parser's category, line and column
    /// only: serde's own message can quote the offending value (an NHS number, a name).
    pub fn json(path: impl Into<String>, error: &serde_json::Error) -> Self {
        let category = match error.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Data => "unexpected value",
            serde_json::error::Category::Eof => "unexpected end",
        };
        DecodeProblem::Json {
            path: path.into(),
            message: format!("{category} at line {} column {}", error.line(), error.column()),
        }
    }
}
