//! The rules a Corrigo connection's addresses and names follow, in one place so that the
//! studio, the CLI, the store and the client cannot disagree:
//!
//! - A base URL is `https`, or `http` to a loopback host only (the local sandbox): the token
//!   request carries the client secret, which must never cross a network in clear.
//! - No user-info (`https://user:pass@host`): credentials belong in the keyring, and a URL
//!   is shown, logged and stored.
//! - No query or fragment: the client appends API paths to the base.
//! - An API host the locator names must be `https` on a Corrigo host.
//! - A company name travels in the `CompanyName` header, so it is printable ASCII.

use std::net::IpAddr;
use url::{Host, Url};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("`{0}` is not a URL: {1}")]
    Malformed(String, String),
    #[error(
        "`{0}` must use https (http is allowed only for this machine: localhost, 127.0.0.1, [::1])"
    )]
    Insecure(String),
    #[error("`{0}` must be an https URL")]
    Scheme(String),
    #[error("a URL must not carry a user name or password; the client secret goes to the keyring")]
    UserInfo,
    #[error("`{0}` must not have a query or fragment")]
    QueryOrFragment(String),
    #[error("the locator named `{0}` as the API host, which is not an https Corrigo host")]
    NotCorrigo(String),
    #[error("the company name must be printable ASCII, as Corrigo's CompanyName header carries it; `{name}` has `{found}`")]
    CompanyName { name: String, found: char },
    #[error("the company name must not be empty")]
    EmptyCompanyName,
}

impl RuleError {
    /// A stable code the UI branches on.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::Malformed(..) | RuleError::Scheme(_) | RuleError::QueryOrFragment(_) => {
                "invalid_url"
            }
            RuleError::Insecure(_) => "insecure_url",
            RuleError::UserInfo => "url_with_credentials",
            RuleError::NotCorrigo(_) => "untrusted_api_host",
            RuleError::CompanyName { .. } | RuleError::EmptyCompanyName => "invalid_company_name",
        }
    }
}

/// A checked base URL, without a trailing slash (`https://host[:port][/path]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    text: String,
    loopback: bool,
}

impl BaseUrl {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The host is this machine (so plain http is acceptable).
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(domain) => domain.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Parses a base URL under the rules above.
pub fn parse_base_url(text: &str) -> Result<BaseUrl, RuleError> {
    let text = text.trim();
    let url = Url::parse(text).map_err(|e| RuleError::Malformed(text.into(), e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RuleError::UserInfo);
    }
    let host = url
        .host()
        .ok_or_else(|| RuleError::Malformed(text.into(), "it has no host".into()))?;
    let loopback = is_loopback(&host);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(RuleError::Insecure(text.into())),
        _ => return Err(RuleError::Scheme(text.into())),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(RuleError::QueryOrFragment(text.into()));
    }
    Ok(BaseUrl {
        text: url.as_str().trim_end_matches('/').to_string(),
        loopback,
    })
}

/// Corrigo's own hosts: `corrigo.com` and its subdomains.
pub fn is_corrigo_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "corrigo.com" || host.ends_with(".corrigo.com")
}

/// The API host (`https://host[:port]`) from the locator's answer. It must be https on a
/// Corrigo host; only a locator on this machine (the sandbox) may name a loopback host.
/// An answer without a scheme (`am-ce98c.corrigo.com/wsdk`) is read as https.
pub fn api_host_from_locator(answer: &str, locator: &BaseUrl) -> Result<String, RuleError> {
    let answer = answer.trim();
    let with_scheme = if answer.contains("://") {
        answer.to_string()
    } else {
        format!("https://{answer}")
    };
    let refused = || RuleError::NotCorrigo(answer.to_string());
    let url = Url::parse(&with_scheme).map_err(|_| refused())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused());
    }
    let host = url.host().ok_or_else(refused)?;
    let trusted = match url.scheme() {
        "https" => {
            matches!(&host, Host::Domain(d) if is_corrigo_host(d))
                || (locator.is_loopback() && is_loopback(&host))
        }
        "http" => locator.is_loopback() && is_loopback(&host),
        _ => false,
    };
    if !trusted {
        return Err(refused());
    }
    let mut origin = format!("{}://{}", url.scheme(), host);
    if let Some(port) = url.port() {
        origin.push_str(&format!(":{port}"));
    }
    Ok(origin)
}

/// Checks a Corrigo company name: printable ASCII, not empty (surrounding spaces trimmed).
pub fn check_company_name(name: &str) -> Result<&str, RuleError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(RuleError::EmptyCompanyName);
    }
    match name.chars().find(|c| !(' '..='~').contains(c)) {
        Some(found) => Err(RuleError::CompanyName {
            name: name.to_string(),
            found,
        }),
        None => Ok(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> &'static str {
        parse_base_url(text).unwrap_err().code()
    }

    #[test]
    fn https_anywhere_and_http_only_to_this_machine() {
        assert_eq!(
            parse_base_url("https://am-ce98c.corrigo.com/")
                .unwrap()
                .as_str(),
            "https://am-ce98c.corrigo.com"
        );
        for local in [
            "http://127.0.0.1:8765",
            "http://127.8.9.10:1",
            "http://localhost:8765/",
            "http://[::1]:8765",
        ] {
            let url = parse_base_url(local).unwrap();
            assert!(url.is_loopback(), "{local}");
        }
        assert_eq!(code("http://corrigo.example.com"), "insecure_url");
        assert_eq!(code("http://10.0.0.5:8765"), "insecure_url");
        assert_eq!(code("http://localhost.evil.com"), "insecure_url");
        assert_eq!(code("http://127.0.0.1.nip.io"), "insecure_url");
        assert_eq!(code("ftp://127.0.0.1"), "invalid_url");
        assert_eq!(code("corrigo.com"), "invalid_url");
        assert_eq!(code("https://x.corrigo.com/?a=b"), "invalid_url");
    }

    #[test]
    fn user_info_is_refused_and_never_echoed() {
        let error = parse_base_url("https://admin:hunter2@x.corrigo.com").unwrap_err();
        assert_eq!(error.code(), "url_with_credentials");
        assert!(!error.to_string().contains("hunter2"));
        assert_eq!(code("http://user@127.0.0.1:1"), "url_with_credentials");
    }

    #[test]
    fn the_locator_may_name_only_https_corrigo_hosts() {
        let corrigo = parse_base_url("https://am-apilocator.corrigo.com").unwrap();
        assert_eq!(
            api_host_from_locator("https://am-ce98c.corrigo.com/wsdk/x", &corrigo).unwrap(),
            "https://am-ce98c.corrigo.com"
        );
        assert_eq!(
            api_host_from_locator("am-ce98c.corrigo.com", &corrigo).unwrap(),
            "https://am-ce98c.corrigo.com"
        );
        for bad in [
            "http://am-ce98c.corrigo.com",
            "https://corrigo.com.evil.net",
            "https://evilcorrigo.com",
            "https://127.0.0.1:8765",
            "http://127.0.0.1:8765",
            "https://u:p@am.corrigo.com",
        ] {
            assert_eq!(
                api_host_from_locator(bad, &corrigo).unwrap_err().code(),
                "untrusted_api_host",
                "{bad}"
            );
        }
        let sandbox = parse_base_url("http://127.0.0.1:8765").unwrap();
        assert_eq!(
            api_host_from_locator("http://127.0.0.1:9000/", &sandbox).unwrap(),
            "http://127.0.0.1:9000"
        );
        assert!(api_host_from_locator("http://10.1.1.1", &sandbox).is_err());
    }

    #[test]
    fn company_names_are_printable_ascii() {
        assert_eq!(check_company_name("  Acme Inc. ").unwrap(), "Acme Inc.");
        let error = check_company_name("Société Générale").unwrap_err();
        assert_eq!(error.code(), "invalid_company_name");
        assert!(error.to_string().contains("`é`"), "{error}");
        assert!(check_company_name("a\r\nX-Injected: 1").is_err());
        assert!(check_company_name("   ").is_err());
    }
}
