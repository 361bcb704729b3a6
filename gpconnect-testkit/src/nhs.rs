//! NHS number check digit (Modulus 11), written independently of the SDK's `NhsNumber`.

/// Whether `s` is ten digits whose tenth is the Modulus 11 check digit of the first nine.
///
/// ```
/// assert!(gpconnect_testkit::is_valid_nhs_number("9690937286"));
/// assert!(!gpconnect_testkit::is_valid_nhs_number("9690937287"));
/// ```
pub fn is_valid_nhs_number(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if s.len() != 10 || digits.len() != 10 {
        return false;
    }
    let sum: u32 = digits[..9].iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => digits[9] == 0,
        10 => false,
        check => digits[9] == check,
    }
}

/// `969*******`: an NHS number as it may appear in `Debug` output.
pub(crate) fn masked(s: &str) -> String {
    let head: String = s.chars().take(3).collect();
    format!("{head}{}", "*".repeat(s.chars().count().saturating_sub(3)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_numbers_pass_and_typos_fail() {
        for n in ["9690937286", "9476719931", "9000000084", "9999999999", "9000000009"] {
            assert!(is_valid_nhs_number(n), "{n}");
        }
        for n in ["9690937287", "969093728", "96909372866", "969093728a", "", "1000000010"] {
            assert!(!is_valid_nhs_number(n), "{n}");
        }
        assert_eq!(masked("9690937286"), "969*******");
    }
}
