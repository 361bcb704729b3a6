//! Seeded mutations of sample inputs, for fuzz-style tests of parsers on stable Rust:
//! truncation, bit flips, deep nesting, spliced copies and stray markup characters.
//!
//! ```
//! let base = b"<Bundle xmlns=\"http://hl7.org/fhir\"><id value=\"1\"/></Bundle>";
//! let mut rng = gpconnect_testkit::fuzz::rng(7);
//! for _ in 0..100 {
//!     let input = gpconnect_testkit::fuzz::mutate(&mut rng, base);
//!     let _ = std::str::from_utf8(&input); // hand it to the parser under test
//! }
//! ```

/// A seeded random number generator for [`mutate`].
pub fn rng(seed: u64) -> fastrand::Rng {
    fastrand::Rng::with_seed(seed)
}

/// One mutation of `base` (which must not be empty): truncated, with bits flipped, with
/// up to 400 levels of nested elements inserted, with a slice of itself spliced in, or
/// with a stray `<`, `>`, `&`, `"` or invalid UTF-8 byte.
pub fn mutate(rng: &mut fastrand::Rng, base: &[u8]) -> Vec<u8> {
    let mut input = base.to_vec();
    match rng.u8(0..5) {
        0 => input.truncate(rng.usize(0..base.len())),
        1 => {
            for _ in 0..rng.usize(1..8) {
                let i = rng.usize(0..input.len());
                input[i] ^= 1 << rng.u8(0..8);
            }
        }
        2 => {
            let at = rng.usize(0..input.len());
            let depth = rng.usize(1..400);
            let nest = "<extension url=\"x\">".repeat(depth) + &"</extension>".repeat(depth);
            input.splice(at..at, nest.bytes());
        }
        3 => {
            let (a, b) = (rng.usize(0..input.len()), rng.usize(0..input.len()));
            let piece = input[a.min(b)..a.max(b)].to_vec();
            let at = rng.usize(0..input.len());
            input.splice(at..at, piece);
        }
        _ => {
            let i = rng.usize(0..input.len());
            input.insert(i, [b'<', b'>', b'&', b'"', 0xff][rng.usize(0..5)]);
        }
    }
    input
}
