//! The API platform's JWT signatures (RS512 client assertions, NHS login ID tokens, the
//! published JWKS), made with the jsonwebtoken backend the crate features chose, named
//! explicitly: `rust_crypto` with `ring` (jsonwebtoken has no ring backend; it wins when
//! both features are on), else `aws_lc_rs`. jsonwebtoken's process default is never
//! used, so both backends compiled in (`--all-features`) cannot make it panic, and an
//! application's own default is left alone.
//!
//! A leaf of `platform`: it knows the error types only.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ConfigError;

/// The backend, when a feature chose one.
fn backend() -> Option<&'static CryptoProvider> {
    #[cfg(feature = "ring")]
    return Some(&jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER);
    #[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
    return Some(&jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER);
    #[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
    None
}

/// [`ConfigError::NoCryptoProvider`] when no feature chose a backend: checked when a
/// configuration that signs or verifies is built, not at its first request.
pub(crate) fn check_backend() -> Result<(), ConfigError> {
    backend().map(|_| ()).ok_or(ConfigError::NoCryptoProvider)
}

fn no_backend() -> JwtError {
    ErrorKind::Signing("no crypto provider".into()).into()
}

/// The compact JWS of `claims` under `header`, signed with `key` by `header.alg`.
pub(crate) fn sign(header: &Header, claims: &impl Serialize, key: &EncodingKey) -> Result<String, JwtError> {
    let signer = (backend().ok_or_else(no_backend)?.signer_factory)(&header.alg, key)?;
    let message = format!("{}.{}", encoded(header)?, encoded(claims)?);
    let signature =
        signer.try_sign(message.as_bytes()).map_err(|e| JwtError::from(ErrorKind::Signing(e.to_string())))?;
    Ok(format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// A JSON part of a JWS: base64url, no padding.
fn encoded(value: &impl Serialize) -> Result<String, JwtError> {
    let json = serde_json::to_vec(value).map_err(|e| JwtError::from(ErrorKind::Json(e.into())))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// The claims of a compact JWS whose header names `alg` and whose signature `key` verifies,
/// read only once the signature is checked: `InvalidAlgorithm` for another `alg`,
/// `InvalidSignature` for a bad signature.
pub(crate) fn verify<T: DeserializeOwned>(token: &str, key: &DecodingKey, alg: Algorithm) -> Result<T, JwtError> {
    if jsonwebtoken::decode_header(token)?.alg != alg {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let (message, signature) = token.rsplit_once('.').ok_or_else(|| JwtError::from(ErrorKind::InvalidToken))?;
    let verifier = (backend().ok_or_else(no_backend)?.verifier_factory)(&alg, key)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|e| JwtError::from(ErrorKind::Base64(e)))?;
    verifier.verify(message.as_bytes(), &signature).map_err(|_| JwtError::from(ErrorKind::InvalidSignature))?;
    jsonwebtoken::dangerous::insecure_decode_claims(token)
}

/// The public JWK (`n`, `e`, `alg`) of an RSA private key.
pub(crate) fn rsa_jwk_of_private(key: &EncodingKey, alg: Algorithm) -> Result<Jwk, JwtError> {
    let (n, e) = (backend().ok_or_else(no_backend)?.key_utils.rsa_pub_components_from_private_key)(key.as_bytes())?;
    Jwk::from_decoding_key(&DecodingKey::from_rsa_raw_components(&n, &e), Some(alg))
}

/// The JWK (`n`, `e`, `alg`) of an RSA public key.
pub(crate) fn rsa_jwk_of_public(key: &DecodingKey, alg: Algorithm) -> Result<Jwk, JwtError> {
    let (n, e) =
        (backend().ok_or_else(no_backend)?.key_utils.rsa_pub_components_from_public_key)(key.try_get_as_bytes()?)?;
    Jwk::from_decoding_key(&DecodingKey::from_rsa_raw_components(&n, &e), Some(alg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_is_the_one_the_features_chose() {
        let chosen = backend().map(|b| b as *const CryptoProvider);
        #[cfg(feature = "ring")]
        assert_eq!(chosen, Some(&jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER as *const CryptoProvider));
        #[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
        assert_eq!(chosen, Some(&jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER as *const CryptoProvider));
        #[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
        assert_eq!(chosen, None);
    }
}
