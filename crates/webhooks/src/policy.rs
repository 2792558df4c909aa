//! Where deliveries may go.
//!
//! A webhook URL is chosen by a tenant, and the server POSTs to it from inside the operator's
//! network, so an unchecked URL is a server-side request forgery: metadata services, admin
//! ports, private hosts. The rules:
//! - `https://` only; `http://` only to loopback and only when the operator allowed it
//!   (local development), because a signature does not hide a payload from the wire.
//! - Every address a name resolves to must be public (or loopback when allowed); one bad
//!   address refuses the name, since the connection could use any of them.
//! - The check runs inside the resolver the HTTP client connects through
//!   ([`CheckingResolver`]), so the address checked is the address connected to: a name
//!   that resolves to a public address when saved and to 10.0.0.1 at delivery time is
//!   refused at delivery time, and there is no second lookup to race (DNS rebinding).
//! - IP literals never reach a resolver, so they are checked here before any request.
//! - Redirects are not followed (see `send`), so a public receiver cannot bounce a request
//!   to an internal address.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

/// Longest URL accepted (stored, shown and sent on every attempt).
pub const MAX_URL_LEN: usize = 2048;
/// How long one name lookup may take.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// What kind of address was refused, for the error and the endpoint's disabled reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Loopback,
    Private,
    LinkLocal,
    Multicast,
    Unspecified,
    CloudMetadata,
    /// Broadcast, carrier-grade NAT, benchmarking, documentation and reserved ranges.
    Reserved,
}

impl AddressClass {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::LinkLocal => "link-local",
            AddressClass::Multicast => "multicast",
            AddressClass::Unspecified => "unspecified",
            AddressClass::CloudMetadata => "cloud metadata",
            AddressClass::Reserved => "reserved",
        }
    }
}

/// Why a URL or an address may not receive deliveries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the URL is not valid: {0}")]
    InvalidUrl(String),
    #[error("the URL is longer than {MAX_URL_LEN} characters")]
    UrlTooLong,
    #[error("webhook URLs use https:// (found {0}://)")]
    UnsupportedScheme(String),
    #[error(
        "http:// is allowed only to loopback and only when the server runs with \
         --allow-insecure-webhooks; use https://"
    )]
    InsecureScheme,
    #[error("the URL carries a user name or password; put credentials elsewhere")]
    CredentialsInUrl,
    #[error("the URL has no host")]
    MissingHost,
    /// The message names the class of address only: what an internal name resolves to is
    /// not told to whoever chose the URL (`address` is there for the operator's log).
    #[error("{host} {} a {} address; deliveries go only to public addresses", host_is(host), class.as_str())]
    AddressRefused {
        host: String,
        address: IpAddr,
        class: AddressClass,
    },
    #[error("{host} did not resolve: {reason}")]
    LookupFailed { host: String, reason: String },
    #[error("{0} resolved to no address")]
    NoAddresses(String),
}

/// "is" for a host written as an address, "resolves to" for a name: how a refusal names
/// what the host is (the server's connection base URLs say it the same way).
pub fn host_is(host: &str) -> &'static str {
    if host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok()
    {
        "is"
    } else {
        "resolves to"
    }
}

impl PolicyError {
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::InvalidUrl(_) => "url_invalid",
            PolicyError::UrlTooLong => "url_too_long",
            PolicyError::UnsupportedScheme(_) => "url_scheme",
            PolicyError::InsecureScheme => "url_insecure",
            PolicyError::CredentialsInUrl => "url_credentials",
            PolicyError::MissingHost => "url_host",
            PolicyError::AddressRefused { .. } => "address_refused",
            PolicyError::LookupFailed { .. } => "lookup_failed",
            PolicyError::NoAddresses(_) => "lookup_empty",
        }
    }
}

/// Classifies an address; `None` means a public unicast address.
pub fn classify(address: IpAddr) -> Option<AddressClass> {
    match address {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(address: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, d] = address.octets();
    // Metadata services first: they sit inside ranges refused anyway, but the reason
    // "cloud metadata" tells an operator what the URL was trying to reach.
    let metadata = matches!(
        (a, b, c, d),
        (169, 254, 169, 254) | (169, 254, 170, 2) | (100, 100, 100, 200) | (192, 0, 0, 192)
    );
    if metadata {
        return Some(AddressClass::CloudMetadata);
    }
    if address.is_unspecified() || a == 0 {
        return Some(AddressClass::Unspecified);
    }
    if address.is_loopback() {
        return Some(AddressClass::Loopback);
    }
    if address.is_private() {
        return Some(AddressClass::Private);
    }
    if address.is_link_local() {
        return Some(AddressClass::LinkLocal);
    }
    if address.is_multicast() {
        return Some(AddressClass::Multicast);
    }
    let reserved = address.is_broadcast()
        || address.is_documentation()
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, 192.0.0.0/24
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, 198.18.0.0/15
        || a >= 240; // reserved, 240.0.0.0/4
    reserved.then_some(AddressClass::Reserved)
}

fn classify_v6(address: Ipv6Addr) -> Option<AddressClass> {
    // An IPv4 address carried inside IPv6 (mapped, NAT64, 6to4) is judged as IPv4, or
    // ::ffff:169.254.169.254 would walk past every IPv4 rule.
    if let Some(v4) = embedded_v4(address) {
        return classify_v4(v4);
    }
    let segments = address.segments();
    if address == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return Some(AddressClass::CloudMetadata);
    }
    if address.is_unspecified() {
        return Some(AddressClass::Unspecified);
    }
    if address.is_loopback() {
        return Some(AddressClass::Loopback);
    }
    if address.is_multicast() {
        return Some(AddressClass::Multicast);
    }
    match segments[0] {
        s if s & 0xfe00 == 0xfc00 => Some(AddressClass::Private), // unique local fc00::/7
        s if s & 0xffc0 == 0xfe80 => Some(AddressClass::LinkLocal), // fe80::/10
        s if s & 0xffc0 == 0xfec0 => Some(AddressClass::Private), // site-local (deprecated)
        0x2001 if segments[1] == 0x0db8 => Some(AddressClass::Reserved), // documentation
        0x0100 if segments[1..4] == [0, 0, 0] => Some(AddressClass::Reserved), // discard
        // Everything outside 2000::/3 is unassigned or special.
        s if s & 0xe000 != 0x2000 => Some(AddressClass::Reserved),
        _ => None,
    }
}

fn embedded_v4(address: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = address.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = address.to_ipv4_mapped() {
        return Some(v4);
    }
    // NAT64 well-known prefix 64:ff9b::/96 and the deprecated IPv4-compatible ::a.b.c.d.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || (s[..6] == [0; 6] && s[6] != 0) {
        return Some(tail());
    }
    // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// The operator's choice: whether plain http and loopback receivers are allowed (local
/// development only; `--allow-insecure-webhooks`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DestinationPolicy {
    pub allow_insecure_loopback: bool,
}

impl DestinationPolicy {
    pub fn strict() -> Self {
        DestinationPolicy {
            allow_insecure_loopback: false,
        }
    }

    pub fn allowing_insecure_loopback() -> Self {
        DestinationPolicy {
            allow_insecure_loopback: true,
        }
    }

    /// Refuses an address deliveries may not reach.
    pub fn check_address(&self, host: &str, address: IpAddr) -> Result<(), PolicyError> {
        match classify(address) {
            None => Ok(()),
            Some(AddressClass::Loopback) if self.allow_insecure_loopback => Ok(()),
            Some(class) => Err(PolicyError::AddressRefused {
                host: host.to_owned(),
                address,
                class,
            }),
        }
    }

    /// Checks a URL as far as it can be checked without a lookup: length, scheme, no
    /// credentials, a host, and the address itself when the host is an IP literal. Names
    /// are checked again, by address, every time a delivery connects.
    pub fn check_url(&self, text: &str) -> Result<Url, PolicyError> {
        if text.len() > MAX_URL_LEN {
            return Err(PolicyError::UrlTooLong);
        }
        let url = Url::parse(text).map_err(|error| PolicyError::InvalidUrl(error.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(PolicyError::CredentialsInUrl);
        }
        let host = url.host().ok_or(PolicyError::MissingHost)?;
        let literal = match &host {
            Host::Ipv4(v4) => Some(IpAddr::V4(*v4)),
            Host::Ipv6(v6) => Some(IpAddr::V6(*v6)),
            Host::Domain(_) => None,
        };
        match url.scheme() {
            "https" => {}
            "http" => {
                let loopback_host = match (&host, literal) {
                    (_, Some(address)) => classify(address) == Some(AddressClass::Loopback),
                    (Host::Domain(name), None) => is_localhost_name(name),
                    _ => false,
                };
                if !(self.allow_insecure_loopback && loopback_host) {
                    return Err(PolicyError::InsecureScheme);
                }
            }
            other => return Err(PolicyError::UnsupportedScheme(other.to_owned())),
        }
        if let Some(address) = literal {
            self.check_address(&host.to_string(), address)?;
        }
        Ok(url)
    }
}

/// `localhost` and names under it (RFC 6761 reserves them for loopback).
fn is_localhost_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// A future of looked-up addresses.
pub type LookupFuture = Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, String>> + Send>>;

/// Turns a host name into addresses. The system's resolver in production; a fixed table in
/// tests, so a test can make a name resolve to 10.0.0.7 without any network.
pub trait HostLookup: Send + Sync {
    fn lookup(&self, host: &str) -> LookupFuture;
}

/// The operating system's resolver (getaddrinfo through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl HostLookup for SystemLookup {
    fn lookup(&self, host: &str) -> LookupFuture {
        let host = host.to_owned();
        Box::pin(async move {
            let addresses = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|error| error.to_string())?;
            Ok(addresses.map(|address| address.ip()).collect())
        })
    }
}

/// A fixed name → addresses table; names not in it do not resolve.
#[derive(Debug, Clone, Default)]
pub struct StaticLookup {
    table: HashMap<String, Vec<IpAddr>>,
}

impl StaticLookup {
    pub fn new() -> Self {
        StaticLookup::default()
    }

    pub fn with(mut self, host: &str, addresses: &[IpAddr]) -> Self {
        self.table
            .insert(host.to_ascii_lowercase(), addresses.to_vec());
        self
    }
}

impl HostLookup for StaticLookup {
    fn lookup(&self, host: &str) -> LookupFuture {
        let found = self.table.get(&host.to_ascii_lowercase()).cloned();
        Box::pin(async move { found.ok_or_else(|| "not in the lookup table".to_owned()) })
    }
}

/// The resolver the delivery client connects through: it looks a name up, refuses it when
/// any address is refused, and hands the HTTP client exactly the addresses it checked.
pub struct CheckingResolver {
    policy: DestinationPolicy,
    lookup: Arc<dyn HostLookup>,
}

impl CheckingResolver {
    pub fn new(policy: DestinationPolicy, lookup: Arc<dyn HostLookup>) -> Self {
        CheckingResolver { policy, lookup }
    }

    /// Looks `host` up and checks every address.
    pub async fn resolve_checked(&self, host: &str) -> Result<Vec<IpAddr>, PolicyError> {
        let looked_up = tokio::time::timeout(LOOKUP_TIMEOUT, self.lookup.lookup(host))
            .await
            .map_err(|_| PolicyError::LookupFailed {
                host: host.to_owned(),
                reason: format!("no answer within {} s", LOOKUP_TIMEOUT.as_secs()),
            })?
            .map_err(|reason| PolicyError::LookupFailed {
                host: host.to_owned(),
                reason,
            })?;
        if looked_up.is_empty() {
            return Err(PolicyError::NoAddresses(host.to_owned()));
        }
        for address in &looked_up {
            self.policy.check_address(host, *address)?;
        }
        Ok(looked_up)
    }
}

impl reqwest::dns::Resolve for CheckingResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        let lookup = Arc::clone(&self.lookup);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolver = CheckingResolver { policy, lookup };
            let addresses = resolver.resolve_checked(&host).await?;
            // Port 0: reqwest puts the URL's port in.
            let addrs: reqwest::dns::Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_are_classified() {
        let cases = [
            ("8.8.8.8", None),
            ("1.1.1.1", None),
            ("2606:4700:4700::1111", None),
            ("127.0.0.1", Some(AddressClass::Loopback)),
            ("127.8.9.10", Some(AddressClass::Loopback)),
            ("::1", Some(AddressClass::Loopback)),
            ("10.0.0.7", Some(AddressClass::Private)),
            ("172.16.5.4", Some(AddressClass::Private)),
            ("172.31.255.255", Some(AddressClass::Private)),
            ("192.168.1.1", Some(AddressClass::Private)),
            ("fd12:3456::1", Some(AddressClass::Private)),
            ("169.254.1.1", Some(AddressClass::LinkLocal)),
            ("fe80::1", Some(AddressClass::LinkLocal)),
            ("169.254.169.254", Some(AddressClass::CloudMetadata)),
            ("100.100.100.200", Some(AddressClass::CloudMetadata)),
            ("fd00:ec2::254", Some(AddressClass::CloudMetadata)),
            ("::ffff:169.254.169.254", Some(AddressClass::CloudMetadata)),
            ("::ffff:10.1.2.3", Some(AddressClass::Private)),
            ("64:ff9b::7f00:1", Some(AddressClass::Loopback)),
            ("2002:a00:1::", Some(AddressClass::Private)),
            ("224.0.0.1", Some(AddressClass::Multicast)),
            ("ff02::1", Some(AddressClass::Multicast)),
            ("0.0.0.0", Some(AddressClass::Unspecified)),
            ("0.1.2.3", Some(AddressClass::Unspecified)),
            ("::", Some(AddressClass::Unspecified)),
            ("255.255.255.255", Some(AddressClass::Reserved)),
            ("100.64.0.1", Some(AddressClass::Reserved)),
            ("198.18.0.1", Some(AddressClass::Reserved)),
            ("240.0.0.1", Some(AddressClass::Reserved)),
            ("2001:db8::1", Some(AddressClass::Reserved)),
        ];
        for (text, class) in cases {
            assert_eq!(classify(ip(text)), class, "{text}");
        }
    }

    #[test]
    fn urls_are_checked_before_any_lookup() {
        let strict = DestinationPolicy::strict();
        let loose = DestinationPolicy::allowing_insecure_loopback();
        let code =
            |policy: DestinationPolicy, url: &str| policy.check_url(url).err().map(|e| e.code());
        assert_eq!(code(strict, "https://hooks.example.com/in"), None);
        assert_eq!(
            code(strict, "http://hooks.example.com/in"),
            Some("url_insecure")
        );
        assert_eq!(
            code(loose, "http://hooks.example.com/in"),
            Some("url_insecure")
        );
        assert_eq!(code(strict, "http://127.0.0.1:9/in"), Some("url_insecure"));
        assert_eq!(code(loose, "http://127.0.0.1:9/in"), None);
        assert_eq!(code(loose, "http://localhost:9/in"), None);
        assert_eq!(code(loose, "http://[::1]:9/in"), None);
        assert_eq!(
            code(strict, "https://127.0.0.1/in"),
            Some("address_refused")
        );
        assert_eq!(code(strict, "https://10.0.0.7/in"), Some("address_refused"));
        assert_eq!(code(loose, "https://10.0.0.7/in"), Some("address_refused"));
        assert_eq!(
            code(loose, "http://169.254.169.254/latest"),
            Some("url_insecure")
        );
        assert_eq!(
            code(strict, "https://169.254.169.254/latest"),
            Some("address_refused")
        );
        assert_eq!(
            code(strict, "https://[fe80::1]/in"),
            Some("address_refused")
        );
        assert_eq!(code(strict, "ftp://example.com/in"), Some("url_scheme"));
        assert_eq!(
            code(strict, "https://user:pw@example.com/in"),
            Some("url_credentials")
        );
        assert_eq!(code(strict, "not a url"), Some("url_invalid"));
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(code(strict, &long), Some("url_too_long"));
    }

    #[tokio::test]
    async fn a_name_with_any_refused_address_is_refused() {
        let lookup = StaticLookup::new()
            .with("public.test", &[ip("93.184.216.34")])
            .with("mixed.test", &[ip("93.184.216.34"), ip("10.0.0.7")])
            .with("loop.test", &[ip("127.0.0.1")])
            .with("empty.test", &[]);
        let strict = CheckingResolver::new(DestinationPolicy::strict(), Arc::new(lookup.clone()));
        assert_eq!(
            strict.resolve_checked("public.test").await,
            Ok(vec![ip("93.184.216.34")])
        );
        let refused = strict.resolve_checked("mixed.test").await.unwrap_err();
        assert_eq!(refused.code(), "address_refused");
        // The refused address is kept for the operator; the message gives its class only.
        assert!(
            matches!(&refused, PolicyError::AddressRefused { address, .. } if *address == ip("10.0.0.7")),
            "{refused:?}"
        );
        assert!(
            refused
                .to_string()
                .contains("resolves to a private address")
                && !refused.to_string().contains("10.0.0.7"),
            "{refused}"
        );
        assert_eq!(
            strict
                .resolve_checked("loop.test")
                .await
                .unwrap_err()
                .code(),
            "address_refused"
        );
        assert_eq!(
            strict
                .resolve_checked("empty.test")
                .await
                .unwrap_err()
                .code(),
            "lookup_empty"
        );
        assert_eq!(
            strict
                .resolve_checked("absent.test")
                .await
                .unwrap_err()
                .code(),
            "lookup_failed"
        );
        let loose = CheckingResolver::new(
            DestinationPolicy::allowing_insecure_loopback(),
            Arc::new(lookup),
        );
        assert_eq!(
            loose.resolve_checked("loop.test").await,
            Ok(vec![ip("127.0.0.1")])
        );
    }

    proptest::proptest! {
        #[test]
        fn any_url_text_is_checked_without_panic(text in "(?s).{0,300}", loose in proptest::bool::ANY) {
            let policy = DestinationPolicy { allow_insecure_loopback: loose };
            let _ = policy.check_url(&text);
            let _ = policy.check_url(&format!("https://{text}"));
            let _ = policy.check_url(&format!("http://{text}/"));
        }

        #[test]
        fn every_address_gets_a_class_or_none(bits in proptest::num::u128::ANY, v4 in proptest::num::u32::ANY) {
            let _ = classify(IpAddr::V6(Ipv6Addr::from(bits)));
            let v4 = Ipv4Addr::from(v4);
            // An IPv4 address and its IPv4-mapped IPv6 form are judged alike.
            proptest::prop_assert_eq!(classify(IpAddr::V4(v4)), classify(IpAddr::V6(v4.to_ipv6_mapped())));
        }
    }
}
