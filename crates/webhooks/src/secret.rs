//! Signing secrets in the Standard Webhooks form: `whsec_` + standard base64 of the key bytes.
//!
//! The key is the decoded bytes, never the text: a receiver's library (any language) decodes
//! the same way, so a secret shown once at creation works everywhere.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::RngCore as _;

/// The prefix every secret carries; it is not part of the key.
pub const SECRET_PREFIX: &str = "whsec_";
/// Key bytes in a generated secret (the spec allows 24 to 64).
pub const GENERATED_KEY_BYTES: usize = 32;
/// The shortest and longest keys the spec allows.
pub const MIN_KEY_BYTES: usize = 24;
pub const MAX_KEY_BYTES: usize = 64;

/// Why a text is not a usable signing secret. The text itself is never repeated: it is a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a webhook signing secret starts with \"whsec_\"")]
    MissingPrefix,
    #[error("the part after \"whsec_\" is not standard base64")]
    NotBase64,
    #[error("the key is {0} bytes; Standard Webhooks keys are 24 to 64 bytes")]
    BadLength(usize),
}

impl SecretError {
    pub fn code(&self) -> &'static str {
        match self {
            SecretError::MissingPrefix => "secret_prefix",
            SecretError::NotBase64 => "secret_encoding",
            SecretError::BadLength(_) => "secret_length",
        }
    }
}

/// A signing key. `Debug` never prints the key, so a secret cannot leak through a log line
/// or an error that embeds the value by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret {
    key: Vec<u8>,
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(whsec_…)")
    }
}

impl SigningSecret {
    /// A new secret of [`GENERATED_KEY_BYTES`] bytes from the operating system's generator.
    pub fn generate() -> Self {
        let mut key = vec![0u8; GENERATED_KEY_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut key);
        SigningSecret { key }
    }

    /// Parses `whsec_<base64>`; surrounding whitespace (a pasted line) is ignored.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SecretError::MissingPrefix)?;
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| SecretError::NotBase64)?;
        Self::from_key(key)
    }

    /// A secret from raw key bytes (as stored after decryption).
    pub fn from_key(key: Vec<u8>) -> Result<Self, SecretError> {
        if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()) {
            return Err(SecretError::BadLength(key.len()));
        }
        Ok(SigningSecret { key })
    }

    /// The `whsec_…` text, to show its owner once.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.key))
    }

    /// The key bytes, for encryption at rest.
    pub fn key_bytes(&self) -> &[u8] {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_round_trips_through_its_text() {
        let secret = SigningSecret::generate();
        let text = secret.expose();
        assert!(text.starts_with("whsec_"), "prefix: {text}");
        assert_eq!(SigningSecret::parse(&text).unwrap(), secret);
        assert_eq!(secret.key_bytes().len(), GENERATED_KEY_BYTES);
    }

    #[test]
    fn two_generated_secrets_differ() {
        assert_ne!(SigningSecret::generate(), SigningSecret::generate());
    }

    #[test]
    fn bad_secrets_are_refused_with_a_code_and_without_echoing_them() {
        let cases = [
            ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "secret_prefix"),
            ("whsec_not base64!!", "secret_encoding"),
            ("whsec_c2hvcnQ=", "secret_length"),
        ];
        for (text, code) in cases {
            let error = SigningSecret::parse(text).unwrap_err();
            assert_eq!(error.code(), code, "{text}");
            let message = error.to_string();
            assert!(
                !message.contains(text),
                "the message repeats the secret: {message}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let secret = SigningSecret::generate();
        let shown = format!("{secret:?}");
        assert!(!shown.contains(&secret.expose()[6..12]), "{shown}");
    }

    #[test]
    fn the_spec_example_secret_parses() {
        // The secret used in the Standard Webhooks reference libraries' own tests.
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(secret.key_bytes().len(), 24);
    }
}
