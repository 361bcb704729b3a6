//! The `NHSMESH` authorisation header (spec section 1.2), and a checker for servers.
//!
//! ```text
//! Authorization: NHSMESH {mailbox_id}:{nonce}:{nonce_count}:{timestamp}:{hash}
//! hash = hex(HMAC-SHA256(key = shared secret,
//!                        msg = "{mailbox_id}:{nonce}:{nonce_count}:{password}:{timestamp}"))
//! ```
//! The client makes a fresh random nonce (a UUID) for every request, with count `0`, so
//! no token is ever used twice. The password and the shared secret stay in
//! [`secrecy`] types and never reach `Debug` or logs; the header itself is returned as a
//! secret too.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use uuid::Uuid;

use super::MailboxId;

/// The scheme, with the one space the spec insists on.
pub const SCHEME: &str = "NHSMESH ";

/// The timestamp format, UTC: `yyyyMMddHHmm` (Python `%Y%m%d%H%M`).
pub const TIMESTAMP_FORMAT: &str = "%Y%m%d%H%M";

/// How far a token's timestamp may be from the server's clock (spec: 2 hours).
pub const MAX_SKEW: TimeDelta = TimeDelta::hours(2);

/// The lowercase hex HMAC-SHA256 of the token fields with the environment shared secret.
pub fn token_hash(
    shared_key: &SecretString,
    mailbox: &str,
    nonce: &str,
    nonce_count: u64,
    password: &SecretString,
    timestamp: &str,
) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(shared_key.expose_secret().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(mailbox.as_bytes());
    mac.update(b":");
    mac.update(nonce.as_bytes());
    mac.update(b":");
    mac.update(nonce_count.to_string().as_bytes());
    mac.update(b":");
    mac.update(password.expose_secret().as_bytes());
    mac.update(b":");
    mac.update(timestamp.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from_digit(u32::from(byte >> 4), 16).expect("nibble"));
        hex.push(char::from_digit(u32::from(byte & 0xf), 16).expect("nibble"));
    }
    hex
}

/// The full `Authorization` header value for one request.
pub fn authorization(
    mailbox: &MailboxId,
    password: &SecretString,
    shared_key: &SecretString,
    nonce: Uuid,
    nonce_count: u64,
    now: DateTime<Utc>,
) -> SecretString {
    let nonce = nonce.hyphenated().to_string();
    let timestamp = now.format(TIMESTAMP_FORMAT).to_string();
    let hash = token_hash(shared_key, mailbox.as_str(), &nonce, nonce_count, password, &timestamp);
    SecretString::from(format!("{SCHEME}{}:{nonce}:{nonce_count}:{timestamp}:{hash}", mailbox.as_str()))
}

/// A fresh token for a request now: a new random nonce, count 0, the current UTC time.
pub(crate) fn fresh(mailbox: &MailboxId, password: &SecretString, shared_key: &SecretString) -> SecretString {
    authorization(mailbox, password, shared_key, Uuid::new_v4(), 0, Utc::now())
}

/// The fields of an `NHSMESH` header, as a server reads them.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedToken {
    /// The mailbox the token speaks for.
    pub mailbox: String,
    /// The nonce.
    pub nonce: String,
    /// How many times the nonce has been used.
    pub nonce_count: u64,
    /// The `yyyyMMddHHmm` timestamp as sent.
    pub timestamp: String,
    /// The hex HMAC.
    pub hash: String,
}

impl fmt::Debug for ParsedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedToken")
            .field("mailbox", &self.mailbox)
            .field("nonce_count", &self.nonce_count)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

impl ParsedToken {
    /// Splits a header value into its five fields, or `None` when it is not an
    /// `NHSMESH` token of the spec's shape.
    pub fn parse(header: &str) -> Option<Self> {
        let rest = header.trim().strip_prefix(SCHEME)?;
        let mut parts = rest.split(':');
        let (mailbox, nonce, count, timestamp, hash) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || mailbox.is_empty() || nonce.is_empty() {
            return None;
        }
        Some(Self {
            mailbox: mailbox.to_owned(),
            nonce: nonce.to_owned(),
            nonce_count: count.parse().ok()?,
            timestamp: timestamp.to_owned(),
            hash: hash.to_owned(),
        })
    }
}

/// Why a server refused a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthRejection {
    /// Not an `NHSMESH` header of five fields.
    #[error("Error reading from Authorization header")]
    Malformed,
    /// The token's mailbox is not the mailbox in the URL path.
    #[error("Mailbox id does not match token")]
    MailboxMismatch,
    /// The timestamp is more than two hours from the server's clock, or unreadable.
    #[error("timestamp outside the allowed window")]
    Skew,
    /// This nonce and count were used before.
    #[error("token already used")]
    Reused,
    /// The HMAC does not match the password and the shared secret.
    #[error("Invalid Authentication Token")]
    BadHash,
}

/// Checks `NHSMESH` tokens as a MESH server does, including what `mesh-sandbox` leaves
/// out: the two-hour timestamp window and single use of each nonce and count.
///
/// Used by the testkit's in-process MESH mailbox.
pub struct TokenChecker {
    shared_key: SecretString,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    set: HashSet<(String, u64)>,
    order: VecDeque<(String, u64)>,
}

/// How many used tokens a checker remembers (oldest forgotten first). Tokens older than
/// the skew window are refused anyway.
const REMEMBERED: usize = 100_000;

impl fmt::Debug for TokenChecker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenChecker(..)")
    }
}

impl TokenChecker {
    /// A checker for the environment shared secret `shared_key`.
    pub fn new(shared_key: SecretString) -> Self {
        Self { shared_key, seen: Mutex::new(Seen::default()) }
    }

    /// Checks `header` for the mailbox in the URL path, whose password is `password`, at
    /// the server time `now`. A token that passes is remembered and refused next time.
    pub fn check(
        &self,
        header: &str,
        path_mailbox: &str,
        password: &SecretString,
        now: DateTime<Utc>,
    ) -> Result<ParsedToken, AuthRejection> {
        let token = ParsedToken::parse(header).ok_or(AuthRejection::Malformed)?;
        if !token.mailbox.eq_ignore_ascii_case(path_mailbox) {
            return Err(AuthRejection::MailboxMismatch);
        }
        let at = NaiveDateTime::parse_from_str(&format!("{}00", token.timestamp), "%Y%m%d%H%M%S")
            .map_err(|_| AuthRejection::Skew)?
            .and_utc();
        if (now - at).abs() > MAX_SKEW {
            return Err(AuthRejection::Skew);
        }
        let expected =
            token_hash(&self.shared_key, &token.mailbox, &token.nonce, token.nonce_count, password, &token.timestamp);
        if !constant_time_eq(expected.as_bytes(), token.hash.to_ascii_lowercase().as_bytes()) {
            return Err(AuthRejection::BadHash);
        }
        let key = (token.nonce.clone(), token.nonce_count);
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if !seen.set.insert(key.clone()) {
            return Err(AuthRejection::Reused);
        }
        seen.order.push_back(key);
        if seen.order.len() > REMEMBERED {
            if let Some(old) = seen.order.pop_front() {
                seen.set.remove(&old);
            }
        }
        Ok(token)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The spec's literal header (section 1.2 and the OpenAPI examples).
    const SPEC_LITERAL: &str = "NHSMESH X26HC005:1c820cd4-be3e-43ff-807f-e65362892722:0:202006041718:3cded68a9e0f9b83f2c5de1b79fc4dac45004523e6658d46145156fa6a03eced";

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    fn spec_time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 6, 4, 17, 18, 42).unwrap()
    }

    #[test]
    fn header_has_the_spec_literal_layout() {
        let mailbox = MailboxId::parse("X26HC005").unwrap();
        let nonce = Uuid::parse_str("1c820cd4-be3e-43ff-807f-e65362892722").unwrap();
        let header = authorization(&mailbox, &secret("password"), &secret("TestKey"), nonce, 0, spec_time());
        let ours = ParsedToken::parse(header.expose_secret()).unwrap();
        let spec = ParsedToken::parse(SPEC_LITERAL).unwrap();
        // Every field but the hash equals the literal (the spec's hash is a placeholder
        // repeated under different nonces, so no password and secret produce it).
        assert_eq!(
            (&ours.mailbox, &ours.nonce, ours.nonce_count, &ours.timestamp),
            (&spec.mailbox, &spec.nonce, spec.nonce_count, &spec.timestamp)
        );
        assert_eq!(
            header.expose_secret(),
            &SPEC_LITERAL.replace(
                "3cded68a9e0f9b83f2c5de1b79fc4dac45004523e6658d46145156fa6a03eced",
                // hmac.HMAC(b"TestKey", b"X26HC005:1c820cd4-...:0:password:202006041718", sha256),
                // computed with the spec's own Python implementation.
                "810c161424ec5ad29a5c12afb797d6d96b418665e9993492ce469a2ea256e877"
            )
        );
    }

    #[test]
    fn the_password_sits_between_count_and_timestamp_and_never_in_the_header() {
        let h = token_hash(&secret("TestKey"), "X26HC005", "n", 0, &secret("password"), "202006041718");
        let swapped = token_hash(&secret("TestKey"), "X26HC005", "n", 0, &secret("202006041718"), "password");
        assert_ne!(h, swapped);
        let mailbox = MailboxId::parse("X26HC005").unwrap();
        let header = fresh(&mailbox, &secret("s3cret-pw"), &secret("TestKey"));
        assert!(!header.expose_secret().contains("s3cret-pw"));
        assert!(!format!("{header:?}").contains("NHSMESH"));
    }

    #[test]
    fn timestamp_is_utc_minutes() {
        let t = Utc.with_ymd_and_hms(2020, 5, 4, 13, 5, 59).unwrap();
        assert_eq!(t.format(TIMESTAMP_FORMAT).to_string(), "202005041305");
    }

    #[test]
    fn every_request_gets_a_fresh_nonce() {
        let mailbox = MailboxId::parse("X26ABC1").unwrap();
        let tokens: HashSet<String> = (0..1000)
            .map(|_| {
                let h = fresh(&mailbox, &secret("password"), &secret("TestKey"));
                ParsedToken::parse(h.expose_secret()).unwrap().nonce
            })
            .collect();
        assert_eq!(tokens.len(), 1000);
    }

    #[test]
    fn checker_accepts_a_good_token_once_and_refuses_reuse() {
        let checker = TokenChecker::new(secret("TestKey"));
        let mailbox = MailboxId::parse("X26ABC1").unwrap();
        let now = Utc::now();
        let h = authorization(&mailbox, &secret("password"), &secret("TestKey"), Uuid::new_v4(), 0, now);
        assert!(checker.check(h.expose_secret(), "X26ABC1", &secret("password"), now).is_ok());
        assert_eq!(checker.check(h.expose_secret(), "X26ABC1", &secret("password"), now), Err(AuthRejection::Reused));
        // The same nonce with the next count is a new token.
        let nonce = ParsedToken::parse(h.expose_secret()).unwrap().nonce.parse().unwrap();
        let next = authorization(&mailbox, &secret("password"), &secret("TestKey"), nonce, 1, now);
        assert!(checker.check(next.expose_secret(), "X26ABC1", &secret("password"), now).is_ok());
    }

    #[test]
    fn checker_refuses_timestamps_more_than_two_hours_off() {
        let checker = TokenChecker::new(secret("TestKey"));
        let mailbox = MailboxId::parse("X26ABC1").unwrap();
        let now = Utc::now();
        for (offset, ok) in [(-121, false), (-119, true), (119, true), (121, false)] {
            let at = now + TimeDelta::minutes(offset);
            let h = authorization(&mailbox, &secret("password"), &secret("TestKey"), Uuid::new_v4(), 0, at);
            let got = checker.check(h.expose_secret(), "X26ABC1", &secret("password"), now);
            assert_eq!(got.is_ok(), ok, "offset {offset} min: {got:?}");
            if !ok {
                assert_eq!(got, Err(AuthRejection::Skew));
            }
        }
    }

    #[test]
    fn checker_refuses_wrong_secret_password_mailbox_and_shape() {
        let checker = TokenChecker::new(secret("TestKey"));
        let mailbox = MailboxId::parse("X26ABC1").unwrap();
        let now = Utc::now();
        let wrong_key = authorization(&mailbox, &secret("password"), &secret("Banana"), Uuid::new_v4(), 0, now);
        assert_eq!(
            checker.check(wrong_key.expose_secret(), "X26ABC1", &secret("password"), now),
            Err(AuthRejection::BadHash)
        );
        let good = authorization(&mailbox, &secret("password"), &secret("TestKey"), Uuid::new_v4(), 0, now);
        assert_eq!(checker.check(good.expose_secret(), "X26ABC1", &secret("other"), now), Err(AuthRejection::BadHash));
        assert_eq!(
            checker.check(good.expose_secret(), "X26ABC2", &secret("password"), now),
            Err(AuthRejection::MailboxMismatch)
        );
        assert_eq!(
            checker.check("NHSMESH:X26ABC1:a:0:1:2", "X26ABC1", &secret("password"), now),
            Err(AuthRejection::Malformed)
        );
        assert_eq!(ParsedToken::parse("NHSMESH X:n:zero:202001010000:ab"), None);
    }
}
