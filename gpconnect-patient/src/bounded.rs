//! Bounded reading of answers: one nesting limit for the whole body, checked in a single
//! linear pass before any parser sees it.

use gpconnect_core::error::DecodeProblem;

/// The deepest JSON nesting (objects and arrays) accepted in an answer. The deepest
/// example of the three specs nests 12 levels; FHIR resources rarely exceed 20.
pub const MAX_DEPTH: usize = 64;

/// Checks that `body` never nests deeper than [`MAX_DEPTH`]: one pass, no allocation.
/// Brackets inside strings (with their escapes) do not count.
pub(crate) fn check_depth(body: &[u8]) -> Result<(), DecodeProblem> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(DecodeProblem::Json {
                        path: String::new(),
                        message: format!("nested deeper than {MAX_DEPTH} levels"),
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
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
