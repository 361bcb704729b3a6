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

/// The eight bytes at `i` as one word, zero bytes standing for those past the end of `b`.
/// A zero byte is neither whitespace nor allowed raw in a string, so a scanner reading
/// these words stops at the end of the text without a separate look at its last bytes.
#[inline(always)]
fn word_or_zeros(b: &[u8], i: usize) -> u64 {
    match word(b, i) {
        Some(x) => x,
        None => last_word(b, i),
    }
}

/// [`word_or_zeros`] near the end of `b` (fewer than eight bytes left).
#[cold]
#[inline(never)]
fn last_word(b: &[u8], i: usize) -> u64 {
    let mut word = [0u8; 8];
    if let Some(rest) = b.get(i..) {
        let n = rest.len().min(8);
        word[..n].copy_from_slice(&rest[..n]);
    }
    u64::from_le_bytes(word)
}

/// The first place from `from` holding a quote, a backslash or a control character (in a
/// string being checked); the end of `b` when none does (`from` if it is beyond the end).
#[inline(always)]
pub(crate) fn next_special(b: &[u8], mut from: usize) -> usize {
    loop {
        let found = specials(word_or_zeros(b, from));
        if found != 0 {
            return from + (found.trailing_zeros() / 8) as usize;
        }
        let found = specials(word_or_zeros(b, from + 8));
        if found != 0 {
            return from + 8 + (found.trailing_zeros() / 8) as usize;
        }
        from += 16;
    }
}

/// A high bit in each byte of `x` that is a quote, a backslash or a control character,
/// exact up to the first such byte (see [`zeros`]).
#[inline(always)]
fn specials(x: u64) -> u64 {
    // A quote is the one byte above 0x1f that the XOR takes below 0x21 (to 0x20).
    let quote_or_control = x ^ (ONES * 0x02);
    let backslash = x ^ (ONES * u64::from(b'\\'));
    (quote_or_control.wrapping_sub(ONES * 0x21) & !quote_or_control | backslash.wrapping_sub(ONES) & !backslash)
        & (ONES << 7)
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

/// Where the whitespace at `i` ends when there is none or a single space (a key before its
/// colon, the space after one): the cases a reader should see inline; `None` for any other
/// run (see [`whitespace_end`]).
#[inline(always)]
pub(crate) fn short_whitespace_end(b: &[u8], i: usize) -> Option<usize> {
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    match at(i) {
        c if c > b' ' => Some(i),
        b' ' if at(i + 1) > b' ' => Some(i + 1),
        _ => None,
    }
}

/// Where the whitespace starting at `from` ends. A line break and the indentation after
/// it (the usual whitespace of pretty-printed JSON) are passed over here, eight spaces at
/// a time; any other run by [`whitespace_run_end`].
#[inline]
pub(crate) fn whitespace_end(b: &[u8], from: usize) -> usize {
    match b.get(from) {
        Some(b'\n') => match spaces_end(b, from + 1) {
            end if b.get(end).is_some_and(|&c| c > b' ') => end,
            end => whitespace_run_end(b, end),
        },
        Some(b' ' | b'\r' | b'\t') => whitespace_run_end(b, from),
        _ => from,
    }
}

/// Where the whitespace starting at `from` ends, for any mix of whitespace.
#[inline(never)]
fn whitespace_run_end(b: &[u8], mut from: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(from) {
        from = spaces_end(b, from + 1);
    }
    from
}

/// Where the run of spaces starting at `from` (perhaps none) ends, eight bytes at a time.
#[inline(always)]
fn spaces_end(b: &[u8], mut from: usize) -> usize {
    loop {
        // Zero bytes where there are spaces: the first other byte ends the run.
        let others = word_or_zeros(b, from) ^ (ONES * u64::from(b' '));
        if others != 0 {
            return from + (others.trailing_zeros() / 8) as usize;
        }
        from += 8;
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
                assert_eq!(next_special(&bytes, 0), at);
                assert_eq!(next_special(&bytes, at + 1), bytes.len());
                assert_eq!(next_special(&bytes[..at + 1], at + 1), at + 1);
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
            assert_eq!(whitespace_end(&spaced[..at + 2], 0), at + 2, "whitespace up to the end");
        }
    }

    #[test]
    fn special_bytes_are_exactly_quote_backslash_and_control_up_to_the_end() {
        let special = |c: u8| c == b'"' || c == b'\\' || c < 0x20;
        for c in 0..=255u8 {
            for filler in [b'a', b' ', 0x7f, 0xff, 0x21, 0x5b] {
                for len in 0..20 {
                    for at in 0..len {
                        let mut bytes = vec![filler; len];
                        bytes[at] = c;
                        let first = bytes.iter().position(|&b| special(b)).unwrap_or(len);
                        assert_eq!(next_special(&bytes, 0), first, "byte {c:#x} at {at} of {len}");
                    }
                }
            }
        }
    }

    #[test]
    fn whitespace_ends_where_byte_by_byte_reading_ends() {
        let pieces: [&[u8]; 8] = [b" ", b"\n", b"\r\n", b"\t", b"        ", b"\n      ", b"x", b"\x00"];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..5000 {
            let mut bytes = Vec::new();
            for _ in 0..(state % 7) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.extend_from_slice(pieces[(state % 8) as usize]);
            }
            state = state.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            for from in 0..=bytes.len() {
                let end = from + bytes[from..].iter().take_while(|c| matches!(c, b' ' | b'\n' | b'\r' | b'\t')).count();
                assert_eq!(whitespace_end(&bytes, from), end, "{bytes:?} from {from}");
                let spaces = from + bytes[from..].iter().take_while(|&&c| c == b' ').count();
                assert_eq!(spaces_end(&bytes, from), spaces, "{bytes:?} from {from}");
            }
        }
    }
}
