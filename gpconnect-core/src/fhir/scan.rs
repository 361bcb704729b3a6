//! Byte scanners over JSON text, eight bytes at a time: one copy each, shared by the Bundle
//! split (`bundle/split.rs`), the depth check and the checked reader (`lenient`).

/// One in each byte of a word read eight bytes at a time.
const ONES: u64 = 0x0101_0101_0101_0101;

/// The eight bytes at `i` as one word, if there are eight.
#[inline]
fn word(b: &[u8], i: usize) -> Option<u64> {
    let mut word = [0u8; 8];
    word.copy_from_slice(b.get(i..i + 8)?);
    Some(u64::from_le_bytes(word))
}

/// A high bit in each byte of `v` that is zero, exact up to the first such byte (only
/// bytes after it can be flagged wrongly, and only the first is used).
#[inline]
fn zeros(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & (ONES << 7)
}

/// The bytes of `x` that are `c` (see [`zeros`]).
#[inline]
fn equal(x: u64, c: u8) -> u64 {
    zeros(x ^ (ONES * u64::from(c)))
}

/// The first place from `from` holding a byte `is` names: `flags` marks them in a word
/// (see [`zeros`]); the last few bytes are looked at one by one.
#[inline]
fn first(b: &[u8], from: usize, flags: impl Fn(u64) -> u64, is: impl Fn(u8) -> bool) -> Option<usize> {
    let mut i = from;
    while let Some(x) = word(b, i) {
        let found = flags(x);
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?.iter().position(|&c| is(c)).map(|p| i + p)
}

/// The first place from `from` holding a quote, a backslash or a control character (in a
/// string being checked).
#[inline]
pub(crate) fn next_special(b: &[u8], from: usize) -> Option<usize> {
    first(
        b,
        from,
        |x| equal(x, b'"') | equal(x, b'\\') | (x.wrapping_sub(ONES * 0x20) & !x & (ONES << 7)),
        |c| c == b'"' || c == b'\\' || c < 0x20,
    )
}

/// The first place from `from` holding a byte that matters to a reader of checked JSON
/// (the depth check, the checked reader's skip): in a string, a quote or a backslash;
/// outside one, a quote or a bracket.
#[inline]
pub(crate) fn next_that_matters(b: &[u8], from: usize, in_string: bool) -> Option<usize> {
    if in_string {
        return first(b, from, |x| equal(x, b'"') | equal(x, b'\\'), |c| c == b'"' || c == b'\\');
    }
    first(
        b,
        from,
        |x| {
            // `[` and `{`, `]` and `}` differ only in the 0x20 bit.
            let folded = x | (ONES * 0x20);
            equal(x, b'"') | equal(folded, b'{') | equal(folded, b'}')
        },
        |c| matches!(c, b'"' | b'[' | b']' | b'{' | b'}'),
    )
}

/// Where the whitespace starting at `from` ends; a run of spaces (indentation) is passed
/// over eight bytes at a time.
#[inline]
pub(crate) fn whitespace_end(b: &[u8], mut from: usize) -> usize {
    loop {
        match b.get(from) {
            Some(b' ') => {
                while let Some(x) = word(b, from) {
                    // Zero bytes where there are spaces: the first other byte ends the run.
                    let rest = x ^ (ONES * u64::from(b' '));
                    if rest != 0 {
                        from += (rest.trailing_zeros() / 8) as usize;
                        break;
                    }
                    from += 8;
                }
                while b.get(from) == Some(&b' ') {
                    from += 1;
                }
            }
            Some(b'\n' | b'\r' | b'\t') => from += 1,
            _ => return from,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scanner_finds_its_bytes_wherever_they_are() {
        for at in 0..20 {
            let mut bytes = vec![b'a'; 20];
            bytes.extend_from_slice("é~\u{7f}".as_bytes());
            for special in [b'"', b'\\', 0x1f, 0] {
                bytes[at] = special;
                assert_eq!(next_special(&bytes, 0), Some(at));
                assert_eq!(next_special(&bytes, at + 1), None);
            }
            for (c, in_string) in [(b'"', true), (b'\\', true), (b'"', false), (b'[', false), (b'}', false)] {
                bytes[at] = c;
                assert_eq!(next_that_matters(&bytes, 0, in_string), Some(at));
                assert_eq!(next_that_matters(&bytes, at + 1, in_string), None);
            }
            bytes[at] = b'{';
            assert_eq!(next_that_matters(&bytes, 0, true), None, "a bracket in a string is text");
            let spaced: Vec<u8> = [&b"\n\t"[..], &vec![b' '; at], b"x"].concat();
            assert_eq!(whitespace_end(&spaced, 0), at + 2);
        }
    }
}
