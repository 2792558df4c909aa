//! TLS to PostgreSQL: what a connection string's `sslmode` and `sslrootcert` mean here, the
//! policy that keeps a remote database off plaintext, and the rustls connector.
//!
//! The driver (tokio-postgres) knows only `disable`, `prefer` and `require` and refuses
//! `sslrootcert`, so both settings are taken out of the connection string here and the
//! rest is parsed by the driver. Unifield never connects over TLS without verifying the
//! certificate it is shown (libpq's `require` without a root file does; here `require`
//! verifies as described below):
//!
//! | sslmode | database on this machine | database on another machine |
//! |---|---|---|
//! | (none) | plaintext, as `disable` | `verify-full` |
//! | `disable` | plaintext | refused unless plaintext is allowed |
//! | `prefer` | TLS if the server offers it, else plaintext | TLS required; plaintext only when plaintext is allowed |
//! | `require` | TLS; chain checked (and the host name too with the system's roots) | same |
//! | `verify-ca` | TLS; chain checked against `sslrootcert` | same |
//! | `verify-full` | TLS; chain and host name checked | same |
//!
//! Roots: `sslrootcert=<file>` trusts only the PEM certificates in that file; no
//! `sslrootcert` (or `sslrootcert=system`) trusts the system's store. With the system's
//! roots a host-name check is required (as libpq requires for `sslrootcert=system`):
//! any publicly trusted certificate for any name would pass a chain-only check, so
//! `verify-ca` needs a file and `require` then checks the name. A Unix socket directory
//! gets no TLS (PostgreSQL offers none there; the traffic stays on this machine).

use super::super::{Result, StorageError};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_postgres::config::{Host, SslMode};

/// A CA file larger than this is refused unread (a bundle of every public CA is ≈ 250 KiB).
const MAX_CA_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The `sslmode` values Unifield takes (libpq's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl Mode {
    fn parse(value: &str) -> Result<Mode> {
        Ok(match value {
            "disable" => Mode::Disable,
            "prefer" => Mode::Prefer,
            "require" => Mode::Require,
            "verify-ca" => Mode::VerifyCa,
            "verify-full" => Mode::VerifyFull,
            // libpq's `allow` tries plaintext first, then TLS; the driver cannot.
            "allow" => {
                return Err(setting(
                    "sslmode=allow is not supported (plaintext first, then TLS); use prefer, require, verify-ca or verify-full, or disable",
                ))
            }
            other => {
                return Err(setting(&format!(
                    "sslmode `{other}` is not one of disable, prefer, require, verify-ca, verify-full"
                )))
            }
        })
    }
}

fn setting(reason: &str) -> StorageError {
    StorageError::DatabaseTlsSetting {
        reason: reason.to_string(),
    }
}

/// Whose certificates a connection trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Roots {
    /// The system's store (rustls-native-certs: the distribution's bundle, or
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR`).
    System,
    /// Only the PEM certificates in this file (`sslrootcert=<file>`).
    File(PathBuf),
}

/// What a TLS connection checks of the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Signed by a trusted root, and issued for the host name connected to.
    ChainAndName,
    /// Signed by a trusted root (any name): only with a CA file of the operator's own.
    ChainOnly,
}

/// How this node connects: the driver's configuration (`sslmode` set for it) and, unless
/// the connection is plaintext, what TLS verifies.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) config: tokio_postgres::Config,
    pub(crate) tls: Option<(Check, Roots)>,
}

/// Reads a connection string (URL or `key=value` form) and decides how to connect (see
/// the module's table). `allow_plaintext` is `--allow-plaintext-database`.
pub(crate) fn plan(connection: &str, allow_plaintext: bool) -> Result<Plan> {
    let (rest, options) = take_tls_options(connection);
    let mut config: tokio_postgres::Config =
        rest.parse()
            .map_err(|e: tokio_postgres::Error| StorageError::Open {
                path: super::redacted(connection),
                reason: format!("not a PostgreSQL URL: {e}"),
            })?;
    let mode = options.mode.as_deref().map(Mode::parse).transpose()?;
    let roots = match options.root_cert.as_deref() {
        None | Some("system") => Roots::System,
        Some("") => {
            return Err(setting(
                "sslrootcert is empty: give a CA file, or leave it out for the system's roots",
            ))
        }
        Some(path) => Roots::File(PathBuf::from(path)),
    };
    let remote = first_remote_host(&config);
    let only_sockets = !config.get_hosts().is_empty()
        && config.get_hostaddrs().is_empty()
        && config
            .get_hosts()
            .iter()
            .all(|host| matches!(host, Host::Unix(_)));
    let mode = mode.unwrap_or(if remote.is_some() {
        Mode::VerifyFull
    } else {
        Mode::Disable
    });
    // `require` and `prefer` check the chain against the operator's own CA file, and the
    // name too when the system's roots are used.
    let required_check = match roots {
        Roots::File(_) => Check::ChainOnly,
        Roots::System => Check::ChainAndName,
    };
    let (driver_mode, check) = match mode {
        Mode::Disable => {
            if let (Some(host), false) = (&remote, allow_plaintext) {
                return Err(StorageError::PlaintextRemoteDatabase { host: host.clone() });
            }
            (SslMode::Disable, None)
        }
        // For a remote host `prefer` never falls back to plaintext on its own: the
        // server's "no TLS" answer is not authenticated, so an attacker on the path could
        // always give it. Only the operator's --allow-plaintext-database permits that.
        Mode::Prefer if remote.is_some() && !allow_plaintext => {
            (SslMode::Require, Some(required_check))
        }
        Mode::Prefer => (SslMode::Prefer, Some(required_check)),
        Mode::Require => (SslMode::Require, Some(required_check)),
        Mode::VerifyCa => {
            if roots == Roots::System {
                return Err(setting(
                    "sslmode=verify-ca checks only who signed the certificate, and with the system's roots any publicly trusted certificate for any name would pass: give sslrootcert=<the CA file that signed the database's certificate>, or use sslmode=verify-full",
                ));
            }
            (SslMode::Require, Some(Check::ChainOnly))
        }
        Mode::VerifyFull => (SslMode::Require, Some(Check::ChainAndName)),
    };
    if only_sockets {
        config.ssl_mode(SslMode::Disable);
        return Ok(Plan { config, tls: None });
    }
    config.ssl_mode(driver_mode);
    Ok(Plan {
        config,
        tls: check.map(|check| (check, roots)),
    })
}

/// The first host (or `hostaddr`, which the driver dials instead of the host when given)
/// that is not loopback (127.0.0.0/8, ::1, `localhost`) or a Unix socket directory.
pub(crate) fn first_remote_host(config: &tokio_postgres::Config) -> Option<String> {
    for address in config.get_hostaddrs() {
        if !address.to_canonical().is_loopback() {
            return Some(address.to_string());
        }
    }
    for host in config.get_hosts() {
        match host {
            Host::Unix(_) => {}
            Host::Tcp(name) if is_loopback_name(name) => {}
            // With a loopback hostaddr for each host the name is only used for checking
            // the server's identity, never dialled.
            Host::Tcp(_) if config.get_hostaddrs().len() == config.get_hosts().len() => {}
            Host::Tcp(name) => return Some(name.clone()),
        }
    }
    None
}

/// `localhost` or a loopback address, bracketed or not.
fn is_loopback_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    bare.parse::<std::net::IpAddr>()
        .is_ok_and(|address| address.to_canonical().is_loopback())
}

/// `sslmode` and `sslrootcert` as the connection string gave them (the last of each).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct TlsOptions {
    mode: Option<String>,
    root_cert: Option<String>,
}

/// The connection string without `sslmode` and `sslrootcert`, and their values. A string
/// this cannot read is returned whole, for the driver to report what is wrong with it.
pub(super) fn take_tls_options(connection: &str) -> (String, TlsOptions) {
    let taken = if let Some(rest) = ["postgres://", "postgresql://"]
        .iter()
        .find_map(|prefix| connection.strip_prefix(prefix))
    {
        take_from_url(connection, connection.len() - rest.len())
    } else {
        take_from_key_values(connection)
    };
    taken.unwrap_or_else(|| (connection.to_string(), TlsOptions::default()))
}

/// The URL form: parameters after the first `?` that follows the credentials (as the
/// driver reads it), `&`-separated, percent-encoded.
fn take_from_url(url: &str, after_scheme: usize) -> Option<(String, TlsOptions)> {
    let tail = &url[after_scheme..];
    let after_credentials = tail.find('@').map_or(0, |at| at + 1);
    let Some(question) = tail[after_credentials..].find('?') else {
        return Some((url.to_string(), TlsOptions::default()));
    };
    let query_start = after_scheme + after_credentials + question + 1;
    let mut options = TlsOptions::default();
    let mut kept = Vec::new();
    for pair in url[query_start..].split('&') {
        let (key, value) = pair.split_once('=')?;
        let key = percent_encoding::percent_decode_str(key)
            .decode_utf8()
            .ok()?;
        let decoded = || {
            percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map(|v| v.into_owned())
                .ok()
        };
        match key.as_ref() {
            "sslmode" => options.mode = Some(decoded()?),
            "sslrootcert" => options.root_cert = Some(decoded()?),
            _ => kept.push(pair),
        }
    }
    let mut rest = url[..query_start - 1].to_string();
    if !kept.is_empty() {
        rest.push('?');
        rest.push_str(&kept.join("&"));
    }
    Some((rest, options))
}

/// The `key=value` form: whitespace-separated, a value bare (backslash escapes) or in
/// single quotes (backslash escapes). The other pairs are written back quoted.
fn take_from_key_values(text: &str) -> Option<(String, TlsOptions)> {
    let mut chars = text.chars().peekable();
    let mut options = TlsOptions::default();
    let mut rest = String::new();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() {
            break;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next()? {
                    '\'' => break,
                    '\\' => value.push(chars.next()?),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    value.push(chars.next()?);
                } else {
                    value.push(c);
                }
            }
            if value.is_empty() {
                return None;
            }
        }
        match key.as_str() {
            "sslmode" => options.mode = Some(value),
            "sslrootcert" => options.root_cert = Some(value),
            _ => {
                if !rest.is_empty() {
                    rest.push(' ');
                }
                rest.push_str(&key);
                rest.push_str("='");
                for c in value.chars() {
                    if c == '\'' || c == '\\' {
                        rest.push('\\');
                    }
                    rest.push(c);
                }
                rest.push('\'');
            }
        }
    }
    Some((rest, options))
}

/// The connector the pool makes connections with, for a plan that uses TLS.
pub(crate) fn connector(
    check: Check,
    roots: &Roots,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = Arc::new(load_roots(roots)?);
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| setting(&format!("no TLS version to offer: {e}")))?;
    let config = match check {
        Check::ChainAndName => {
            let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                roots,
                provider.clone(),
            )
            .build()
            .map_err(|e| setting(&format!("cannot build the certificate verifier: {e}")))?;
            builder.with_webpki_verifier(verifier)
        }
        Check::ChainOnly => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnly { roots, provider })),
    }
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn load_roots(roots: &Roots) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            let bad = |reason: String| StorageError::DatabaseCaFile {
                path: path.display().to_string(),
                reason,
            };
            let bytes = read_bounded(path).map_err(bad)?;
            use rustls::pki_types::pem::PemObject;
            let mut found = 0usize;
            for certificate in CertificateDer::pem_slice_iter(&bytes) {
                let certificate =
                    certificate.map_err(|e| bad(format!("not a PEM certificate file: {e}")))?;
                store
                    .add(certificate)
                    .map_err(|e| bad(format!("not a usable CA certificate: {e}")))?;
                found += 1;
            }
            if found == 0 {
                return Err(bad(
                    "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
                ));
            }
        }
        Roots::System => {
            let loaded = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(loaded.certs);
            if added == 0 {
                let errors: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
                return Err(StorageError::DatabaseNoTrustedRoots {
                    reason: if errors.is_empty() {
                        "the system's certificate store is empty".into()
                    } else {
                        errors.join("; ")
                    },
                });
            }
        }
    }
    Ok(store)
}

fn read_bounded(path: &Path) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let metadata = file
        .metadata()
        .map_err(|e| format!("cannot read it: {e}"))?;
    if !metadata.is_file() {
        return Err("not a regular file".into());
    }
    let mut bytes = Vec::new();
    file.take(MAX_CA_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(format!("larger than {MAX_CA_FILE_BYTES} bytes"));
    }
    Ok(bytes)
}

/// `verify-ca` (and `require`/`prefer` with a CA file): the certificate must chain to one
/// of the operator's roots and be valid now; its names are not compared with the host.
#[derive(Debug)]
struct ChainOnly {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let certificate = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &certificate,
            &self.roots,
            intermediates,
            now,
            self.provider.signature_verification_algorithms.all,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The typed error for a connection that failed in TLS (the certificate not trusted, not
/// for this host, no TLS offered), or None for any other failure. `hosts` names the
/// database in the message.
pub(crate) fn classify(error: &tokio_postgres::Error, hosts: &str) -> Option<StorageError> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        // io::Error's source() skips the error it wraps: look inside it too.
        let inner = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        for candidate in [Some(current), inner].into_iter().flatten() {
            if let Some(rustls::Error::InvalidCertificate(problem)) =
                candidate.downcast_ref::<rustls::Error>()
            {
                return Some(match problem {
                    CertificateError::NotValidForName => StorageError::DatabaseHostNameMismatch {
                        host: hosts.to_string(),
                        presented: "other names".into(),
                    },
                    CertificateError::NotValidForNameContext {
                        expected,
                        presented,
                    } => StorageError::DatabaseHostNameMismatch {
                        host: expected.to_str().into_owned(),
                        presented: if presented.is_empty() {
                            "no names".into()
                        } else {
                            presented
                                .iter()
                                .map(|name| presented_name(name))
                                .collect::<Vec<_>>()
                                .join(", ")
                        },
                    },
                    other => StorageError::DatabaseCertificateUntrusted {
                        host: hosts.to_string(),
                        reason: untrusted_reason(other),
                    },
                });
            }
            if candidate.to_string() == "server does not support TLS" {
                return Some(StorageError::DatabaseTlsUnsupported {
                    host: hosts.to_string(),
                });
            }
        }
        cause = current.source();
    }
    None
}

/// A name as rustls lists it (`DnsName("db.example.com")`, `IpAddress(…)`), plainly.
fn presented_name(name: &str) -> String {
    ["DnsName(\"", "IpAddress(\""]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix)?.strip_suffix("\")"))
        .unwrap_or(name)
        .to_string()
}

/// Why a certificate is not trusted, in words, with rustls's own account, and what to do.
fn untrusted_reason(problem: &CertificateError) -> String {
    let (words, hint) = match problem {
        CertificateError::UnknownIssuer | CertificateError::BadSignature => (
            "not issued by a trusted CA",
            "give the CA that issued it as sslrootcert=<CA file>",
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            ("expired", "renew the database's certificate")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
            "not valid yet",
            "check the clocks of this machine and of the CA",
        ),
        CertificateError::Revoked => ("revoked", "issue the database a new certificate"),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => (
            "not issued for a TLS server",
            "issue the database a server certificate",
        ),
        _ => (
            "rejected",
            "check the database's certificate and sslrootcert",
        ),
    };
    let account = rustls::Error::InvalidCertificate(problem.clone());
    format!("{words} ({account}); {hint}")
}

/// The hosts of a configuration, for messages (`a, b`).
pub(crate) fn host_list(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    if hosts.is_empty() {
        config
            .get_hostaddrs()
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        hosts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(connection: &str, allow_plaintext: bool) -> Plan {
        plan(connection, allow_plaintext).unwrap_or_else(|e| panic!("{connection}: {e}"))
    }

    fn refused(connection: &str, allow_plaintext: bool) -> StorageError {
        match plan(connection, allow_plaintext) {
            Ok(plan) => panic!("{connection}: planned {plan:?}"),
            Err(error) => error,
        }
    }

    fn system(check: Check) -> Option<(Check, Roots)> {
        Some((check, Roots::System))
    }

    fn file(check: Check, path: &str) -> Option<(Check, Roots)> {
        Some((check, Roots::File(PathBuf::from(path))))
    }

    #[test]
    fn a_remote_host_without_sslmode_gets_verify_full_against_the_system_roots() {
        for url in [
            "postgres://u@db.example.com/unifield",
            "host=db.example.com user=u dbname=unifield",
            "postgres://u@127.0.0.1:5432,db.example.com:5432/unifield",
            "host=localhost hostaddr=192.0.2.1 user=u",
        ] {
            for allow_plaintext in [false, true] {
                let plan = planned(url, allow_plaintext);
                assert_eq!(plan.config.get_ssl_mode(), SslMode::Require, "{url}");
                assert_eq!(plan.tls, system(Check::ChainAndName), "{url}");
            }
        }
    }

    #[test]
    fn a_remote_host_with_sslmode_disable_is_refused_unless_plaintext_is_allowed() {
        for (url, host) in [
            (
                "postgres://u@db.example.com/x?sslmode=disable",
                "db.example.com",
            ),
            ("host=db.example.com sslmode=disable", "db.example.com"),
            (
                "host=localhost hostaddr=192.0.2.1 sslmode='disable'",
                "192.0.2.1",
            ),
        ] {
            match refused(url, false) {
                StorageError::PlaintextRemoteDatabase { host: named } => assert_eq!(named, host),
                other => panic!("{url}: {other}"),
            }
            let plan = planned(url, true);
            assert_eq!(plan.config.get_ssl_mode(), SslMode::Disable);
            assert_eq!(plan.tls, None);
        }
    }

    #[test]
    fn prefer_on_a_remote_host_requires_tls_unless_plaintext_is_allowed() {
        let url = "postgres://u@db.example.com/x?sslmode=prefer";
        let plan = planned(url, false);
        assert_eq!(plan.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(plan.tls, system(Check::ChainAndName));
        let plan = planned(url, true);
        assert_eq!(plan.config.get_ssl_mode(), SslMode::Prefer);
        assert_eq!(plan.tls, system(Check::ChainAndName));
        // On this machine prefer is prefer (plaintext if the server offers no TLS).
        let plan = planned("postgres://u@127.0.0.1/x?sslmode=prefer", false);
        assert_eq!(plan.config.get_ssl_mode(), SslMode::Prefer);
    }

    #[test]
    fn a_database_on_this_machine_is_plaintext_unless_sslmode_asks_for_tls() {
        for url in [
            "postgres://u@127.0.0.1:5432/x",
            "postgres://u@localhost/x",
            "postgres://u@[::1]/x",
            "host=db.example.com hostaddr=127.0.0.1",
        ] {
            let plan = planned(url, false);
            assert_eq!(plan.config.get_ssl_mode(), SslMode::Disable, "{url}");
            assert_eq!(plan.tls, None, "{url}");
        }
        let plan = planned(
            "postgres://u@127.0.0.1/x?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            false,
        );
        assert_eq!(plan.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(plan.tls, file(Check::ChainAndName, "/etc/ca.pem"));
    }

    #[test]
    fn require_and_verify_ca_check_the_chain_against_a_ca_file_and_the_name_without_one() {
        let base = "postgres://u@db.example.com/x";
        for (query, tls) in [
            ("sslmode=require", system(Check::ChainAndName)),
            (
                "sslmode=require&sslrootcert=/ca.pem",
                file(Check::ChainOnly, "/ca.pem"),
            ),
            (
                "sslmode=verify-ca&sslrootcert=/ca.pem",
                file(Check::ChainOnly, "/ca.pem"),
            ),
            (
                "sslrootcert=%2Fca%20dir%2Fca.pem&sslmode=verify-full",
                file(Check::ChainAndName, "/ca dir/ca.pem"),
            ),
            (
                "sslmode=verify-full&sslrootcert=system",
                system(Check::ChainAndName),
            ),
        ] {
            let plan = planned(&format!("{base}?{query}"), false);
            assert_eq!(plan.config.get_ssl_mode(), SslMode::Require, "{query}");
            assert_eq!(plan.tls, tls, "{query}");
        }
        // verify-ca against every public CA would accept any public certificate.
        for url in [
            format!("{base}?sslmode=verify-ca"),
            format!("{base}?sslmode=verify-ca&sslrootcert=system"),
        ] {
            let error = refused(&url, true);
            assert_eq!(error.code(), "database_tls_setting_invalid", "{url}");
            assert!(error.to_string().contains("sslrootcert"), "{error}");
        }
    }

    #[test]
    fn unknown_or_unsupported_sslmodes_are_refused_with_a_code() {
        for url in [
            "postgres://u@127.0.0.1/x?sslmode=allow",
            "postgres://u@127.0.0.1/x?sslmode=verify_full",
            "host=127.0.0.1 sslmode=strict",
        ] {
            let error = refused(url, true);
            assert_eq!(error.code(), "database_tls_setting_invalid", "{url}");
        }
    }

    #[test]
    fn a_unix_socket_directory_gets_no_tls_whatever_sslmode_says() {
        for url in [
            "host=/run/postgresql sslmode=verify-full",
            "postgres:///x?host=%2Frun%2Fpostgresql&sslmode=require",
        ] {
            let plan = planned(url, false);
            assert_eq!(plan.config.get_ssl_mode(), SslMode::Disable, "{url}");
            assert_eq!(plan.tls, None, "{url}");
        }
    }

    #[test]
    fn the_rest_of_the_connection_string_reaches_the_driver_unchanged() {
        let plan = planned(
            "postgres://us%40r:p%26ss?w@db.example.com:6543/unifield?application_name=a%20b&sslmode=verify-full&connect_timeout=7",
            false,
        );
        assert_eq!(plan.config.get_user(), Some("us@r"));
        assert_eq!(plan.config.get_password(), Some(&b"p&ss?w"[..]));
        assert_eq!(plan.config.get_dbname(), Some("unifield"));
        assert_eq!(plan.config.get_ports(), &[6543]);
        assert_eq!(plan.config.get_application_name(), Some("a b"));
        assert_eq!(
            plan.config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(7))
        );
        let plan = planned(
            r"host = db.example.com  password='it\'s \\ secret' sslrootcert='/a b/ca.pem' sslmode=verify-full dbname=x\ y",
            false,
        );
        assert_eq!(plan.config.get_password(), Some(&br"it's \ secret"[..]));
        assert_eq!(plan.config.get_dbname(), Some("x y"));
        assert_eq!(plan.tls, file(Check::ChainAndName, "/a b/ca.pem"));
    }

    #[test]
    fn a_connection_string_the_driver_cannot_read_is_reported_without_its_password() {
        for url in [
            "host='unterminated password=hunter2",
            "postgres://u:hunter2@db.example.com/x?nonsense",
        ] {
            let error = refused(url, false);
            assert_eq!(error.code(), "storage_unavailable", "{url}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn a_bad_ca_file_is_refused_naming_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let not_pem = dir.path().join("not.pem");
        std::fs::write(&not_pem, "hello\n").unwrap();
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        for path in [&missing, &not_pem, &broken, &dir.path().to_path_buf()] {
            let roots = Roots::File(path.clone());
            let error = match connector(Check::ChainAndName, &roots) {
                Ok(_) => panic!("{}: accepted", path.display()),
                Err(error) => error,
            };
            assert_eq!(error.code(), "database_ca_file_invalid", "{error}");
            assert!(
                error.to_string().contains(&path.display().to_string()),
                "{error}"
            );
        }
    }
}
