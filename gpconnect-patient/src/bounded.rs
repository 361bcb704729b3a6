//! Bounded reading of answers: one nesting limit for the whole body, checked in a single
//! linear pass before any parser sees it.

use gpconnect_core::error::DecodeProblem;

/// The deepest JSON nesting (objects and arrays) accepted in an answer: core's one limit.
pub use gpconnect_core::fhir::lenient::MAX_DEPTH;

/// Checks that `body` never nests deeper than [`MAX_DEPTH`], with core's one depth check
/// (one pass, no allocation; brackets inside strings do not count).
pub(crate) fn check_depth(body: &[u8]) -> Result<(), DecodeProblem> {
    if gpconnect_core::fhir::lenient::depth_exceeds(body, MAX_DEPTH) {
        return Err(DecodeProblem::Json {
            path: String::new(),
            message: format!("nested deeper than {MAX_DEPTH} levels"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_counted_outside_strings_only() {
        assert!(check_depth(br#"{"a":[{"b":"[[[[{{{{"}]}"#).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert!(check_depth(deep.as_bytes()).is_err());
        let ok = "[".repeat(MAX_DEPTH);
        assert!(check_depth(ok.as_bytes()).is_ok());
        let escaped = format!(r#"{{"a":"\"{}"}}"#, "[".repeat(100));
        assert!(check_depth(escaped.as_bytes()).is_ok());
    }
}
