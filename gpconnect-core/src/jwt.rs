//! The GP Connect access token: an unsigned JWT carrying the audit claims.
//!
//! A new token is made for every request: header `{"alg":"none","typ":"JWT"}`, claims as
//! below, encoded `base64url(header).base64url(claims).` with the trailing dot. `exp` is
//! always exactly `iat + 300`, as provider conformance tests demand. [`Claims::validate`]
//! checks a claim set the way providers check it, so a token this SDK makes is never
//! malformed.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;
use crate::{Consumer, InteractionId, OdsCode};

/// Seconds between `iat` and `exp`: exactly five minutes.
pub const TOKEN_LIFETIME_SECS: i64 = 300;
/// The SDS user ID identifier system.
pub const SDS_USER_ID_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-user-id";
/// The SDS role profile ID identifier system.
pub const SDS_ROLE_PROFILE_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-role-profile-id";
/// The value the spec allows when an SDS identifier is not known.
pub const UNKNOWN: &str = "UNK";

/// The logged-on user a request is made for (the `requesting_practitioner` claim).
///
/// Must be the real user, never a fixed system user. `Debug` shows none of the details.
///
/// ```
/// use gpconnect_core::User;
/// let clinician = User::new("10019", "Jones")
///     .given("Claire")
///     .prefix("Dr")
///     .sds_user_id("111222333444")
///     .sds_role_profile_id("444555666777")
///     .local_identifier("https://consumersupplier.com/Id/user-guid", "98ed4f78-814d-4266-8d5b-cde742f3093c");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct User {
    id: String,
    family: String,
    given: Vec<String>,
    prefix: Vec<String>,
    sds_user_id: Option<String>,
    sds_role_profile_id: Option<String>,
    local: Vec<(String, String)>,
    organisation: Option<(OdsCode, String)>,
}

impl User {
    /// The user's id in the consumer system (`sub` and `requesting_practitioner.id`) and family name.
    pub fn new(id: impl Into<String>, family: impl Into<String>) -> Self {
        Self { id: id.into(), family: family.into(), ..Self::default() }
    }

    /// Adds a given name.
    pub fn given(mut self, given: impl Into<String>) -> Self {
        self.given.push(given.into());
        self
    }

    /// Adds a name prefix such as `Dr`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix.push(prefix.into());
        self
    }

    /// The user's smartcard SDS user ID, or [`UNKNOWN`] (`UNK`) where the user has none.
    /// Required: a user without it is refused before sending.
    pub fn sds_user_id(mut self, id: impl Into<String>) -> Self {
        self.sds_user_id = Some(id.into());
        self
    }

    /// The user's SDS role profile ID. Sent as `UNK` when not given, as the spec allows.
    pub fn sds_role_profile_id(mut self, id: impl Into<String>) -> Self {
        self.sds_role_profile_id = Some(id.into());
        self
    }

    /// Adds a consumer-defined identifier for the user (system URL and value).
    pub fn local_identifier(mut self, system: impl Into<String>, value: impl Into<String>) -> Self {
        self.local.push((system.into(), value.into()));
        self
    }

    /// The organisation this user works for, when it is not the client's consumer
    /// organisation: for hosted consumers, systems that serve several organisations
    /// through one ASID. It becomes the `requesting_organization` claim of this user's
    /// requests (the spec: the organisation of the logged-on user, never the host), and
    /// the default ODS code of appointment slot searches and bookings. Set it on the
    /// user of a provider handle, or pass such a user per call with `.user(..)`.
    pub fn organisation(mut self, ods: OdsCode, name: impl Into<String>) -> Self {
        self.organisation = Some((ods, name.into()));
        self
    }

    /// The requesting organisation of this user's requests (ODS code and name): the one
    /// set with [`organisation`](Self::organisation), else the consumer's.
    pub fn requesting_organisation<'a>(&'a self, consumer: &'a Consumer) -> (&'a OdsCode, &'a str) {
        match &self.organisation {
            Some((ods, name)) => (ods, name),
            None => (&consumer.ods, &consumer.organisation_name),
        }
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("User(..)")
    }
}

/// A FHIR identifier inside a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimIdentifier {
    /// The identifier system URI.
    pub system: String,
    /// The value.
    pub value: String,
}

/// The `requesting_device` claim: a minimal FHIR Device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestingDevice {
    /// Always `Device`.
    #[serde(rename = "resourceType")]
    pub resource_type: String,
    /// The consumer-defined device identifier.
    pub identifier: Vec<ClaimIdentifier>,
    /// The product name.
    pub model: String,
    /// The product version.
    pub version: String,
}

/// The `requesting_organization` claim: a minimal FHIR Organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestingOrganization {
    /// Always `Organization`.
    #[serde(rename = "resourceType")]
    pub resource_type: String,
    /// The ODS code identifier.
    pub identifier: Vec<ClaimIdentifier>,
    /// The organisation's name.
    pub name: String,
}

/// A name in the `requesting_practitioner` claim (STU3 shape).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimName {
    /// Family name.
    pub family: String,
    /// Given names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
    /// Prefixes such as `Dr`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<String>,
}

impl fmt::Debug for ClaimName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClaimName(..)")
    }
}

/// The `requesting_practitioner` claim: a minimal FHIR Practitioner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestingPractitioner {
    /// Always `Practitioner`.
    #[serde(rename = "resourceType")]
    pub resource_type: String,
    /// The user's id in the consumer system; equals `sub`.
    pub id: String,
    /// SDS user ID, SDS role profile ID and consumer identifiers.
    pub identifier: Vec<ClaimIdentifier>,
    /// The user's name.
    pub name: Vec<ClaimName>,
}

/// The GP Connect JWT claim set, exactly as the spec lays it out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The consumer system's endpoint URL.
    pub iss: String,
    /// The user's id; equals `requesting_practitioner.id`.
    pub sub: String,
    /// The provider's service root URL as registered in SDS.
    pub aud: String,
    /// Expiry: `iat + 300`.
    pub exp: i64,
    /// Creation time, Unix seconds.
    pub iat: i64,
    /// `directcare` or `migration`.
    pub reason_for_request: String,
    /// For example `patient/*.read` or `patient/*.read conf/N`.
    pub requested_scope: String,
    /// The consumer system.
    pub requesting_device: RequestingDevice,
    /// The user's organisation.
    pub requesting_organization: RequestingOrganization,
    /// The logged-on user.
    pub requesting_practitioner: RequestingPractitioner,
}

/// The confidentiality part of `requested_scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Confidentiality {
    /// `conf/N`: normal (what a missing confidentiality scope means).
    Normal,
    /// `conf/R`: restricted, for GP2GP-style migration only.
    Restricted,
}

impl Claims {
    /// Builds and validates the claims for one request.
    ///
    /// `aud` is the provider's service root URL; `now` is the Unix time of `iat`.
    pub fn new(
        consumer: &Consumer,
        user: &User,
        aud: &str,
        interaction: InteractionId,
        confidentiality: Option<Confidentiality>,
        now: i64,
    ) -> Result<Self, InvalidInput> {
        let mut scope = interaction.scope().as_str().to_owned();
        match confidentiality {
            Some(Confidentiality::Normal) => scope.push_str(" conf/N"),
            Some(Confidentiality::Restricted) => scope.push_str(" conf/R"),
            None => {}
        }
        let mut identifier = vec![
            ClaimIdentifier {
                system: SDS_USER_ID_SYSTEM.into(),
                value: user.sds_user_id.clone().ok_or(InvalidInput::Requester {
                    field: "requesting_practitioner.sds-user-id",
                    problem: "missing: give the smartcard user ID, or UNK",
                })?,
            },
            ClaimIdentifier {
                system: SDS_ROLE_PROFILE_SYSTEM.into(),
                value: user.sds_role_profile_id.clone().unwrap_or_else(|| UNKNOWN.into()),
            },
        ];
        identifier.extend(user.local.iter().map(|(s, v)| ClaimIdentifier { system: s.clone(), value: v.clone() }));
        let claims = Claims {
            iss: consumer.issuer.clone(),
            sub: user.id.clone(),
            aud: aud.to_owned(),
            exp: now + TOKEN_LIFETIME_SECS,
            iat: now,
            reason_for_request: interaction.reason_for_request().into(),
            requested_scope: scope,
            requesting_device: RequestingDevice {
                resource_type: "Device".into(),
                identifier: vec![ClaimIdentifier {
                    system: consumer.device.system.clone(),
                    value: consumer.device.value.clone(),
                }],
                model: consumer.device.model.clone(),
                version: consumer.device.version.clone(),
            },
            requesting_organization: {
                let (ods, name) = user.requesting_organisation(consumer);
                RequestingOrganization {
                    resource_type: "Organization".into(),
                    identifier: vec![ClaimIdentifier { system: OdsCode::SYSTEM.into(), value: ods.as_str().into() }],
                    name: name.to_owned(),
                }
            },
            requesting_practitioner: RequestingPractitioner {
                resource_type: "Practitioner".into(),
                id: user.id.clone(),
                identifier,
                name: vec![ClaimName {
                    family: user.family.clone(),
                    given: user.given.clone(),
                    prefix: user.prefix.clone(),
                }],
            },
        };
        claims.validate()?;
        Ok(claims)
    }

    /// Checks the claims the way GP Connect providers do (the provider conformance
    /// tests' JWT rules), so a bad token is refused here rather than by the provider.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        fn need(ok: bool, field: &'static str, problem: &'static str) -> Result<(), InvalidInput> {
            if ok {
                Ok(())
            } else {
                Err(InvalidInput::Requester { field, problem })
            }
        }
        let blank = |s: &str| s.trim().is_empty();
        let is_url = |s: &str| url::Url::parse(s).is_ok_and(|u| u.has_host());
        need(is_url(&self.iss), "iss", "must be the consumer system's endpoint URL")?;
        need(is_url(&self.aud), "aud", "must be the provider's service root URL")?;
        need(!blank(&self.sub), "sub", "missing user id")?;
        need(self.sub == self.requesting_practitioner.id, "sub", "must equal requesting_practitioner.id")?;
        need(self.exp - self.iat == TOKEN_LIFETIME_SECS, "exp", "must be exactly iat + 300")?;
        need(
            matches!(self.reason_for_request.as_str(), "directcare" | "migration"),
            "reason_for_request",
            "must be directcare or migration",
        )?;
        let mut scope = self.requested_scope.split(' ');
        need(
            matches!(
                scope.next(),
                Some("patient/*.read" | "patient/*.write" | "organization/*.read" | "organization/*.write")
            ) && matches!(scope.next(), None | Some("conf/N" | "conf/R"))
                && scope.next().is_none(),
            "requested_scope",
            "must be a GP Connect scope, optionally with conf/N or conf/R",
        )?;
        let d = &self.requesting_device;
        need(d.resource_type == "Device", "requesting_device", "resourceType must be Device")?;
        need(
            !d.identifier.is_empty() && d.identifier.iter().all(|i| is_url(&i.system) && !blank(&i.value)),
            "requesting_device.identifier",
            "needs a system URL and a value",
        )?;
        need(!blank(&d.model), "requesting_device.model", "missing product name")?;
        need(!blank(&d.version), "requesting_device.version", "missing product version")?;
        let o = &self.requesting_organization;
        need(o.resource_type == "Organization", "requesting_organization", "resourceType must be Organization")?;
        need(
            o.identifier.iter().any(|i| i.system == OdsCode::SYSTEM && OdsCode::parse(&i.value).is_ok()),
            "requesting_organization.identifier",
            "needs a valid ODS code",
        )?;
        need(!blank(&o.name), "requesting_organization.name", "missing organisation name")?;
        let p = &self.requesting_practitioner;
        need(p.resource_type == "Practitioner", "requesting_practitioner", "resourceType must be Practitioner")?;
        need(!blank(&p.id), "requesting_practitioner.id", "missing user id")?;
        need(
            p.identifier.iter().any(|i| i.system == SDS_USER_ID_SYSTEM && !blank(&i.value)),
            "requesting_practitioner.sds-user-id",
            "missing: give the smartcard user ID, or UNK",
        )?;
        need(
            p.identifier.iter().all(|i| is_url(&i.system) && !blank(&i.value)),
            "requesting_practitioner.identifier",
            "every identifier needs a system URL and a value",
        )?;
        need(
            !p.name.is_empty() && p.name.iter().all(|n| !blank(&n.family)),
            "requesting_practitioner.name",
            "missing family name",
        )?;
        Ok(())
    }

    /// Encodes the claims as the unsigned token `base64url(header).base64url(claims).`.
    pub fn encode(&self) -> AccessToken {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("claims serialise"));
        AccessToken(SecretString::from(format!("{header}.{claims}.")))
    }

    /// Decodes an unsigned GP Connect token back into claims (for tests and mocks).
    // Inline, so that it (and the claims' `Deserialize`, which only it uses) is compiled
    // in the crates that call it, tests and mocks, never in a build that only sends.
    #[inline]
    pub fn decode(token: &str) -> Option<Self> {
        let mut parts = token.split('.');
        let (_header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if !signature.is_empty() || parts.next().is_some() {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()
    }
}

/// Made-in-advance tokens: for one consumer, user, audience, scope and reason only `iat`
/// and `exp` change from one request to the next, so the claims are built and validated
/// once and kept as the JSON text around those two numbers, most of it already encoded.
#[derive(Default)]
pub(crate) struct TokenCache {
    entries: std::sync::Mutex<std::collections::HashMap<u64, Vec<Cached>>>,
}

/// A template with the key it was made for (compared on a hash hit).
type Cached = (TokenKey, std::sync::Arc<Template>);

#[derive(PartialEq, Eq, Hash)]
struct TokenKey {
    user: User,
    aud: String,
    interaction: InteractionId,
    confidentiality: Option<Confidentiality>,
}

/// The claims JSON split where `exp` and `iat` go, and the same already in base64 for
/// timestamps written with `digits` characters (every `iat` and `exp` from 2001 to 2286
/// have ten).
///
/// base64 turns each 3 bytes into 4 characters on their own, so the encoded head (the
/// whole 3-byte groups before `exp`'s value) and tail (those after `iat`'s) are the same
/// for every such timestamp: only the few bytes between them are encoded per request.
struct Template {
    before_exp: String,
    after_iat: String,
    digits: usize,
    /// `Bearer {header}.{base64 of before_exp[..head_len]}`.
    head: String,
    head_len: usize,
    /// The base64 of `after_iat[tail_from..]`, then the final `.`.
    tail: String,
    tail_from: usize,
}

/// The most templates kept; beyond it the cache starts again (many distinct users).
const MAX_TEMPLATES: usize = 4096;
const HEADER_B64: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
/// What stands between `exp`'s value and `iat`'s.
const BETWEEN: &str = ",\"iat\":";

impl TokenCache {
    /// The `Bearer` header value for a request at `now`: from a template made (and
    /// validated) once per consumer, user, audience, interaction and confidentiality.
    pub(crate) fn bearer(
        &self,
        consumer: &Consumer,
        user: &User,
        aud: &str,
        interaction: InteractionId,
        confidentiality: Option<Confidentiality>,
        now: i64,
    ) -> Result<String, InvalidInput> {
        use std::hash::{Hash, Hasher};
        // Not SipHash: hashing the user was a tenth of the SDK's own work per request, and
        // a collision costs only a comparison (the key is compared in full).
        let mut hasher = rustc_hash::FxHasher::default();
        (user, aud, interaction, confidentiality).hash(&mut hasher);
        let hash = hasher.finish();
        let found = {
            let entries = self.entries.lock().expect("token cache");
            entries.get(&hash).and_then(|list| {
                list.iter()
                    .find(|(k, _)| {
                        k.user == *user
                            && k.aud == aud
                            && k.interaction == interaction
                            && k.confidentiality == confidentiality
                    })
                    .map(|(_, t)| t.clone())
            })
        };
        let template = match found {
            Some(template) => template,
            None => {
                let template =
                    std::sync::Arc::new(Template::new(consumer, user, aud, interaction, confidentiality, now)?);
                let mut entries = self.entries.lock().expect("token cache");
                if entries.len() >= MAX_TEMPLATES {
                    entries.clear();
                }
                let key = TokenKey { user: user.clone(), aud: aud.to_owned(), interaction, confidentiality };
                entries.entry(hash).or_default().push((key, template.clone()));
                template
            }
        };
        Ok(template.bearer(now))
    }
}

impl Template {
    /// A template for timestamps as long as `now`'s.
    fn new(
        consumer: &Consumer,
        user: &User,
        aud: &str,
        interaction: InteractionId,
        confidentiality: Option<Confidentiality>,
        now: i64,
    ) -> Result<Self, InvalidInput> {
        let claims = Claims::new(consumer, user, aud, interaction, confidentiality, 0)?;
        let json = serde_json::to_string(&claims).expect("claims serialise");
        // Quotes inside string values are escaped, so this text occurs only as the two claims.
        let marker = format!("\"exp\":{TOKEN_LIFETIME_SECS},\"iat\":0,");
        let at = json.find(&marker).expect("exp and iat follow aud");
        let before_exp = json[..at + "\"exp\":".len()].to_owned();
        let after_iat = json[at + marker.len() - 1..].to_owned();
        let digits = now.to_string().len();
        let head_len = before_exp.len() / 3 * 3;
        let numbers_end = before_exp.len() + 2 * digits + BETWEEN.len();
        let tail_from = (3 - numbers_end % 3) % 3;
        let mut head = format!("Bearer {HEADER_B64}.");
        URL_SAFE_NO_PAD.encode_string(&before_exp[..head_len], &mut head);
        let mut tail = URL_SAFE_NO_PAD.encode(&after_iat[tail_from..]);
        tail.push('.');
        Ok(Self { before_exp, after_iat, digits, head, head_len, tail, tail_from })
    }

    fn bearer(&self, now: i64) -> String {
        use std::fmt::Write;
        let mut middle = String::with_capacity(64);
        middle.push_str(&self.before_exp[self.head_len..]);
        let start = middle.len();
        let _ = write!(middle, "{}", now + TOKEN_LIFETIME_SECS);
        let exp_len = middle.len() - start;
        middle.push_str(BETWEEN);
        let start = middle.len();
        let _ = write!(middle, "{now}");
        if exp_len != self.digits || middle.len() - start != self.digits {
            return self.bearer_in_full(now);
        }
        middle.push_str(&self.after_iat[..self.tail_from]);
        let mut out = String::with_capacity(self.head.len() + middle.len() * 4 / 3 + 4 + self.tail.len());
        out.push_str(&self.head);
        URL_SAFE_NO_PAD.encode_string(middle.as_bytes(), &mut out);
        out.push_str(&self.tail);
        out
    }

    /// The whole claims JSON encoded, for a timestamp of another length.
    fn bearer_in_full(&self, now: i64) -> String {
        let json = format!("{}{}{BETWEEN}{now}{}", self.before_exp, now + TOKEN_LIFETIME_SECS, self.after_iat);
        let mut out = format!("Bearer {HEADER_B64}.");
        URL_SAFE_NO_PAD.encode_string(json.as_bytes(), &mut out);
        out.push('.');
        out
    }
}

/// A serialised access token. `Debug` never shows it.
#[derive(Clone)]
pub struct AccessToken(SecretString);

impl AccessToken {
    /// The token text, for the `Authorization: Bearer` header only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Device, InteractionId};

    fn consumer() -> Consumer {
        Consumer::builder()
            .ods("A1001".parse().unwrap())
            .organisation_name("Test Hospital")
            .issuer("https://consumer.example/")
            .device(
                Device::builder()
                    .system("https://consumer.example/Id/device")
                    .value("C-1")
                    .model("Consumer")
                    .version("1.0")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    #[test]
    fn a_cached_token_is_the_fresh_token_with_only_iat_and_exp_changed() {
        let cache = TokenCache::default();
        let user = User::new("10019", "Jo\"exp\":300,\"iat\":0,nes").sds_user_id("111222333444");
        let aud = "https://provider.example/A20047/STU3/1/gpconnect";
        for (i, now) in [1_700_000_000, 1_700_000_007].into_iter().enumerate() {
            let i_conf = if i == 0 { None } else { Some(Confidentiality::Normal) };
            let cached = cache.bearer(&consumer(), &user, aud, InteractionId::ReadLocation, i_conf, now).unwrap();
            let fresh = Claims::new(&consumer(), &user, aud, InteractionId::ReadLocation, i_conf, now).unwrap();
            assert_eq!(cached, format!("Bearer {}", fresh.encode().expose()));
            assert_eq!(Claims::decode(cached.trim_start_matches("Bearer ")).unwrap(), fresh);
        }
        // Timestamps of other lengths than the template's (made at the first call) are
        // encoded in full, and give the same token.
        for now in [5, 99_999_999, 1_700_000_007, 9_999_999_800, 9_999_999_999, 10_000_000_000] {
            let cached = cache.bearer(&consumer(), &user, aud, InteractionId::ReadLocation, None, now).unwrap();
            let fresh = Claims::new(&consumer(), &user, aud, InteractionId::ReadLocation, None, now).unwrap();
            assert_eq!(cached, format!("Bearer {}", fresh.encode().expose()), "at {now}");
        }
        let other = User::new("10020", "Smith").sds_user_id("UNK");
        let token = cache.bearer(&consumer(), &other, aud, InteractionId::ReadLocation, None, 5).unwrap();
        assert_eq!(Claims::decode(token.trim_start_matches("Bearer ")).unwrap().sub, "10020");
        let unusable = User::new("10021", "Nobody");
        assert!(cache.bearer(&consumer(), &unusable, aud, InteractionId::ReadLocation, None, 5).is_err());
    }
}
