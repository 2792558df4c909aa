//! The Standard Webhooks `v1` signature: HMAC-SHA256 over `"{id}.{timestamp}.{body}"`, where
//! body is the exact bytes sent (never a re-serialisation: a receiver hashes what arrived).
//!
//! Signing takes every secret still valid for the endpoint (the new one and, for 24 hours
//! after a rotation, the old one) and writes one `v1,` entry per secret, so receivers that
//! still hold the old secret keep verifying. Verification compares in constant time, bounds
//! every header it reads and accepts a timestamp only within the tolerance of its clock.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use crate::secret::{SecretError, SigningSecret};

/// Header names, lower case as HTTP/2 sends them (HTTP/1 names are case-insensitive).
pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// How far a delivery's timestamp may be from the verifier's clock (the replay window).
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;
/// Bounds on what a verifier reads, so a hostile request costs little.
pub const MAX_ID_LEN: usize = 256;
pub const MAX_SIGNATURE_HEADER_LEN: usize = 4096;
pub const MAX_SIGNATURES: usize = 16;

/// The three headers of one signed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub id: String,
    pub timestamp: i64,
    /// Space-separated `v1,<base64>` entries, one per secret.
    pub signature: String,
}

impl SignedHeaders {
    /// The headers as (name, value) pairs, in the order they are sent.
    pub fn pairs(&self) -> [(&'static str, String); 3] {
        [
            (HEADER_ID, self.id.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }
}

fn mac_of(secret: &SigningSecret, id: &str, timestamp: &str, body: &[u8]) -> [u8; 32] {
    // Any key length is valid for HMAC, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.key_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// Signs one delivery with every secret given (at least one is expected; none gives an empty
/// signature header, which every verifier refuses).
pub fn sign(id: &str, timestamp: i64, body: &[u8], secrets: &[&SigningSecret]) -> SignedHeaders {
    let timestamp_text = timestamp.to_string();
    let signature = secrets
        .iter()
        .map(|secret| {
            let digest = mac_of(secret, id, &timestamp_text, body);
            format!("v1,{}", STANDARD.encode(digest))
        })
        .collect::<Vec<_>>()
        .join(" ");
    SignedHeaders {
        id: id.to_owned(),
        timestamp,
        signature,
    }
}

/// Why a delivery did not verify. Messages name the header, never a secret or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("the {0} header appears more than once")]
    DuplicateHeader(&'static str),
    #[error("the {0} header is longer than this verifier reads")]
    HeaderTooLong(&'static str),
    #[error("webhook-timestamp is not whole Unix seconds")]
    TimestampInvalid,
    #[error("webhook-timestamp is {0} s older than this clock allows (replay window)")]
    TimestampTooOld(i64),
    #[error("webhook-timestamp is {0} s in the future")]
    TimestampTooNew(i64),
    #[error("webhook-signature has no v1 signature")]
    NoSignature,
    #[error("no v1 signature in webhook-signature matches the body with this secret")]
    SignatureMismatch,
    #[error("the headers text, line {line}: {reason}")]
    HeadersText { line: usize, reason: String },
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl VerifyError {
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::MissingHeader(_) => "missing_header",
            VerifyError::DuplicateHeader(_) => "duplicate_header",
            VerifyError::HeaderTooLong(_) => "header_too_long",
            VerifyError::TimestampInvalid => "timestamp_invalid",
            VerifyError::TimestampTooOld(_) => "timestamp_too_old",
            VerifyError::TimestampTooNew(_) => "timestamp_too_new",
            VerifyError::NoSignature => "signature_missing",
            VerifyError::SignatureMismatch => "signature_mismatch",
            VerifyError::HeadersText { .. } => "headers_text",
            VerifyError::Secret(error) => error.code(),
        }
    }
}

/// The three headers as received, before any check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedHeaders<'a> {
    pub id: &'a str,
    pub timestamp: &'a str,
    pub signature: &'a str,
}

impl<'a> ReceivedHeaders<'a> {
    /// Picks the three headers out of (name, value) pairs, names case-insensitive. A header
    /// given twice is refused rather than guessed at.
    pub fn from_pairs<I>(pairs: I) -> Result<Self, VerifyError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut found: [Option<&'a str>; 3] = [None; 3];
        let names = [HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE];
        for (name, value) in pairs {
            if let Some(index) = names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name.trim()))
            {
                if found[index].replace(value.trim()).is_some() {
                    return Err(VerifyError::DuplicateHeader(names[index]));
                }
            }
        }
        Ok(ReceivedHeaders {
            id: found[0].ok_or(VerifyError::MissingHeader(HEADER_ID))?,
            timestamp: found[1].ok_or(VerifyError::MissingHeader(HEADER_TIMESTAMP))?,
            signature: found[2].ok_or(VerifyError::MissingHeader(HEADER_SIGNATURE))?,
        })
    }
}

/// Reads captured headers: `Name: value` lines (an HTTP request line and blank lines are
/// skipped, as `curl -v` or a proxy log shows them) or one JSON object of strings.
pub fn parse_headers_text(text: &str) -> Result<Vec<(String, String)>, VerifyError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(trimmed)
            .map_err(|error| VerifyError::HeadersText {
                line: error.line(),
                reason: format!("not a JSON object of header names to strings: {error}"),
            })?;
        return object
            .into_iter()
            .map(|(name, value)| match value {
                serde_json::Value::String(value) => Ok((name, value)),
                _ => Err(VerifyError::HeadersText {
                    line: 1,
                    reason: format!("the value of {name:?} is not a string"),
                }),
            })
            .collect();
    }
    let mut pairs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        // `curl -v` prefixes request headers with "> ".
        let line = line.strip_prefix("> ").unwrap_or(line);
        if line.is_empty() || line.contains(" HTTP/") {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(VerifyError::HeadersText {
                line: index + 1,
                reason: "expected `Name: value`".to_owned(),
            });
        };
        pairs.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(pairs)
}

/// Verifies deliveries against one or more secrets (a receiver mid-rotation holds both).
#[derive(Debug, Clone)]
pub struct Verifier {
    secrets: Vec<SigningSecret>,
    tolerance_secs: i64,
}

impl Verifier {
    pub fn new(secrets: Vec<SigningSecret>) -> Self {
        Verifier {
            secrets,
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
        }
    }

    /// A verifier for one `whsec_…` secret.
    pub fn from_secret_text(text: &str) -> Result<Self, VerifyError> {
        Ok(Verifier::new(vec![SigningSecret::parse(text)?]))
    }

    pub fn with_tolerance_secs(mut self, tolerance_secs: i64) -> Self {
        self.tolerance_secs = tolerance_secs.max(0);
        self
    }

    /// Checks one delivery at `now` (Unix seconds): bounded headers, a timestamp inside the
    /// tolerance, and at least one `v1` entry equal (constant time) to ours for some secret.
    pub fn verify(
        &self,
        headers: &ReceivedHeaders<'_>,
        body: &[u8],
        now: i64,
    ) -> Result<(), VerifyError> {
        if headers.id.len() > MAX_ID_LEN {
            return Err(VerifyError::HeaderTooLong(HEADER_ID));
        }
        if headers.signature.len() > MAX_SIGNATURE_HEADER_LEN {
            return Err(VerifyError::HeaderTooLong(HEADER_SIGNATURE));
        }
        if headers.timestamp.is_empty()
            || headers.timestamp.len() > 19
            || !headers.timestamp.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(VerifyError::TimestampInvalid);
        }
        let timestamp: i64 = headers
            .timestamp
            .parse()
            .map_err(|_| VerifyError::TimestampInvalid)?;
        let age = now.saturating_sub(timestamp);
        if age > self.tolerance_secs {
            return Err(VerifyError::TimestampTooOld(age));
        }
        if -age > self.tolerance_secs {
            return Err(VerifyError::TimestampTooNew(-age));
        }

        let candidates: Vec<Vec<u8>> = headers
            .signature
            .split(' ')
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .take(MAX_SIGNATURES)
            .filter_map(|encoded| STANDARD.decode(encoded).ok())
            .collect();
        if candidates.is_empty() {
            return Err(VerifyError::NoSignature);
        }
        // Signs with the timestamp text as received: "0017" and "17" are different messages.
        for secret in &self.secrets {
            let expected = mac_of(secret, headers.id, headers.timestamp, body);
            for candidate in &candidates {
                if candidate.len() == expected.len() && bool::from(candidate.ct_eq(&expected)) {
                    return Ok(());
                }
            }
        }
        Err(VerifyError::SignatureMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn spec_secret() -> SigningSecret {
        SigningSecret::parse(SPEC_SECRET).unwrap()
    }

    #[test]
    fn signs_the_reference_libraries_test_vector() {
        // From the Standard Webhooks reference libraries' tests (id, timestamp, body, secret).
        let headers = sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
            &[&spec_secret()],
        );
        assert_eq!(
            headers.signature,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    fn received(headers: &SignedHeaders, timestamp: &str) -> (String, String, String) {
        (
            headers.id.clone(),
            timestamp.to_owned(),
            headers.signature.clone(),
        )
    }

    fn check(
        verifier: &Verifier,
        parts: &(String, String, String),
        body: &[u8],
        now: i64,
    ) -> Result<(), VerifyError> {
        let headers = ReceivedHeaders {
            id: &parts.0,
            timestamp: &parts.1,
            signature: &parts.2,
        };
        verifier.verify(&headers, body, now)
    }

    #[test]
    fn a_signed_delivery_verifies_and_any_change_does_not() {
        let secret = SigningSecret::generate();
        let body = br#"{"type":"ping","timestamp":"2026-11-30T06:00:00Z","data":{}}"#;
        let headers = sign("evt_1", 1_800_000_000, body, &[&secret]);
        let verifier = Verifier::new(vec![secret]);
        let parts = received(&headers, "1800000000");
        assert_eq!(check(&verifier, &parts, body, 1_800_000_010), Ok(()));

        let mut tampered = body.to_vec();
        tampered[10] ^= 1;
        assert_eq!(
            check(&verifier, &parts, &tampered, 1_800_000_010),
            Err(VerifyError::SignatureMismatch)
        );
        let other_id = ("evt_2".to_owned(), parts.1.clone(), parts.2.clone());
        assert_eq!(
            check(&verifier, &other_id, body, 1_800_000_010),
            Err(VerifyError::SignatureMismatch)
        );
        let other_time = received(&headers, "1800000001");
        assert_eq!(
            check(&verifier, &other_time, body, 1_800_000_010),
            Err(VerifyError::SignatureMismatch)
        );
        let wrong_secret = Verifier::new(vec![SigningSecret::generate()]);
        assert_eq!(
            check(&wrong_secret, &parts, body, 1_800_000_010),
            Err(VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn the_timestamp_must_be_within_five_minutes_either_way() {
        let secret = SigningSecret::generate();
        let headers = sign("evt_1", 1_000_000, b"{}", &[&secret]);
        let verifier = Verifier::new(vec![secret]);
        let parts = received(&headers, "1000000");
        assert_eq!(check(&verifier, &parts, b"{}", 1_000_300), Ok(()));
        assert_eq!(check(&verifier, &parts, b"{}", 999_700), Ok(()));
        assert_eq!(
            check(&verifier, &parts, b"{}", 1_000_301).map_err(|e| e.code()),
            Err("timestamp_too_old")
        );
        assert_eq!(
            check(&verifier, &parts, b"{}", 999_699).map_err(|e| e.code()),
            Err("timestamp_too_new")
        );
    }

    #[test]
    fn during_a_rotation_both_secrets_sign_and_either_verifies() {
        let old = SigningSecret::generate();
        let new = SigningSecret::generate();
        let headers = sign("evt_9", 2_000, b"body", &[&new, &old]);
        assert_eq!(headers.signature.split(' ').count(), 2);
        let parts = received(&headers, "2000");
        for secret in [old, new] {
            assert_eq!(
                check(&Verifier::new(vec![secret]), &parts, b"body", 2_000),
                Ok(())
            );
        }
    }

    #[test]
    fn unknown_versions_and_garbage_entries_are_skipped_not_fatal() {
        let secret = SigningSecret::generate();
        let headers = sign("evt_1", 50, b"x", &[&secret]);
        let parts = (
            "evt_1".to_owned(),
            "50".to_owned(),
            format!("v1a,abc v1,!!! {}", headers.signature),
        );
        assert_eq!(
            check(&Verifier::new(vec![secret.clone()]), &parts, b"x", 50),
            Ok(())
        );
        let only_garbage = ("evt_1".to_owned(), "50".to_owned(), "v2,abc".to_owned());
        assert_eq!(
            check(&Verifier::new(vec![secret]), &only_garbage, b"x", 50),
            Err(VerifyError::NoSignature)
        );
    }

    #[test]
    fn headers_are_found_case_insensitively_and_duplicates_refused() {
        let pairs = [
            ("Webhook-Id", "evt_1"),
            ("WEBHOOK-TIMESTAMP", "10"),
            ("webhook-signature", "v1,x"),
            ("content-type", "application/json"),
        ];
        let headers = ReceivedHeaders::from_pairs(pairs).unwrap();
        assert_eq!(headers.id, "evt_1");
        assert_eq!(headers.timestamp, "10");
        let missing = ReceivedHeaders::from_pairs([("webhook-id", "a")]).unwrap_err();
        assert_eq!(missing, VerifyError::MissingHeader(HEADER_TIMESTAMP));
        let twice = ReceivedHeaders::from_pairs([("webhook-id", "a"), ("Webhook-ID", "b")]);
        assert_eq!(twice, Err(VerifyError::DuplicateHeader(HEADER_ID)));
    }

    #[test]
    fn header_text_reads_curl_style_lines_and_json() {
        let text =
            "POST /hook HTTP/1.1\n> Host: 127.0.0.1\nwebhook-id: evt_1\n\nwebhook-timestamp: 5\n";
        let pairs = parse_headers_text(text).unwrap();
        assert_eq!(pairs[1], ("webhook-id".to_owned(), "evt_1".to_owned()));
        let json = r#"{"webhook-id": "evt_1", "webhook-timestamp": "5"}"#;
        assert_eq!(parse_headers_text(json).unwrap().len(), 2);
        let bad = parse_headers_text("webhook-id evt_1").unwrap_err();
        assert!(
            matches!(bad, VerifyError::HeadersText { line: 1, .. }),
            "{bad:?}"
        );
        let bad_json = parse_headers_text(r#"{"webhook-id": 5}"#).unwrap_err();
        assert_eq!(bad_json.code(), "headers_text");
    }

    #[test]
    fn oversized_headers_are_refused_before_any_hashing() {
        let verifier = Verifier::new(vec![SigningSecret::generate()]);
        let long_id = "a".repeat(MAX_ID_LEN + 1);
        let parts = (long_id, "1".to_owned(), "v1,x".to_owned());
        assert_eq!(
            check(&verifier, &parts, b"", 1),
            Err(VerifyError::HeaderTooLong(HEADER_ID))
        );
        let parts = ("a".to_owned(), "1".to_owned(), "v1,x ".repeat(2000));
        assert_eq!(
            check(&verifier, &parts, b"", 1),
            Err(VerifyError::HeaderTooLong(HEADER_SIGNATURE))
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_header_values_give_a_result_never_a_panic(
            id in ".{0,300}",
            timestamp in ".{0,30}",
            signature in ".{0,600}",
            body in proptest::collection::vec(any::<u8>(), 0..256),
            now in any::<i64>(),
        ) {
            let verifier = Verifier::new(vec![spec_secret()]);
            let headers = ReceivedHeaders { id: &id, timestamp: &timestamp, signature: &signature };
            // Random headers never verify; the point is that every input gets an answer.
            prop_assert!(verifier.verify(&headers, &body, now).is_err());
        }

        #[test]
        fn any_header_text_parses_or_is_refused_without_panic(text in "(?s).{0,400}") {
            let _ = parse_headers_text(&text);
        }

        #[test]
        fn any_secret_text_parses_or_is_refused_without_panic(text in ".{0,120}") {
            let _ = SigningSecret::parse(&text);
        }

        #[test]
        fn signatures_we_make_verify_for_any_body_and_id(
            id in "[a-zA-Z0-9_]{1,64}",
            timestamp in 0i64..4_000_000_000,
            body in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            let secret = spec_secret();
            let headers = sign(&id, timestamp, &body, &[&secret]);
            let ts = timestamp.to_string();
            let received = ReceivedHeaders { id: &id, timestamp: &ts, signature: &headers.signature };
            prop_assert_eq!(Verifier::new(vec![secret]).verify(&received, &body, timestamp), Ok(()));
        }
    }
}
