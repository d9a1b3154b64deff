//! `COT_URL` and `tak://` enrollment deep links.
//!
//! A [`CotUrl`] is where CoT goes and comes from: a scheme (with its `+wo`/`+ro`
//! direction modifier), a host, a port and, for WebSockets, a path.
//!
//! | scheme | transport | port when none is given |
//! |---|---|---|
//! | `tcp://` | TCP | 8087 |
//! | `tls://`, `ssl://` | TLS over TCP | 8089 (TAK streaming) |
//! | `udp://` | UDP unicast or multicast (by address) | 6969 |
//! | `udp+broadcast://` | UDP broadcast | 6969 |
//! | `log://stdout`, `log://stderr` | print events | - |
//! | `marti://` | Marti REST over HTTPS | 8443 |
//! | `marti+http://` | Marti REST over HTTP | 8080 |
//! | `ws://` | TAK protocol over WebSocket | 8080, path `/takproto/1` |
//! | `wss://` | TAK protocol over secure WebSocket | 8443, path `/takproto/1` |
//!
//! PyTAK falls back to 8087 for every scheme but broadcast; takwire uses the
//! port each kind of TAK endpoint listens on by default instead.
//!
//! `+wo` (write-only) and `+ro` (read-only) apply to `tcp`, `tls`/`ssl` and `udp`
//! (including `udp+broadcast`); both at once is an error.
//!
//! ```
//! use takwire::url::{CotUrl, Direction, Scheme};
//! let url: CotUrl = "tls+wo://takserver.example.com".parse().unwrap();
//! assert_eq!(url.scheme(), Scheme::Tls);
//! assert_eq!(url.direction(), Direction::WriteOnly);
//! assert_eq!(url.port(), 8089);
//! ```

use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::str::FromStr;

use crate::error::{Error, Result};

/// The schemes `COT_URL` accepts, for error messages and `--help`.
pub const KNOWN_SCHEMES: &str = "tcp, tcp+wo, tcp+ro, tls, tls+wo, tls+ro, ssl (= tls), udp, udp+wo, \
udp+ro, udp+broadcast, log, marti, marti+http, ws, wss, tak";

/// The default WebSocket path of TAK Server's protobuf endpoint.
pub const DEFAULT_WS_PATH: &str = "/takproto/1";

/// The transport a [`CotUrl`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `tcp://`
    Tcp,
    /// `tls://` or `ssl://`
    Tls,
    /// `udp://` (unicast or multicast, decided by the address)
    Udp,
    /// `udp+broadcast://`
    UdpBroadcast,
    /// `log://stdout` or `log://stderr`
    Log,
    /// `marti://` (HTTPS)
    Marti,
    /// `marti+http://`
    MartiHttp,
    /// `ws://`
    Ws,
    /// `wss://`
    Wss,
}

impl Scheme {
    /// The scheme as written in a URL (the canonical spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Tcp => "tcp",
            Scheme::Tls => "tls",
            Scheme::Udp => "udp",
            Scheme::UdpBroadcast => "udp+broadcast",
            Scheme::Log => "log",
            Scheme::Marti => "marti",
            Scheme::MartiHttp => "marti+http",
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
        }
    }

    /// The port used when a URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Tcp => 8087,
            Scheme::Tls => 8089,
            Scheme::Udp | Scheme::UdpBroadcast => 6969,
            Scheme::Log => 0,
            Scheme::Marti | Scheme::Wss => 8443,
            Scheme::MartiHttp | Scheme::Ws => 8080,
        }
    }

    /// Whether this is a byte-stream transport that reconnects (TCP, TLS, WebSocket).
    pub fn is_stream(self) -> bool {
        matches!(self, Scheme::Tcp | Scheme::Tls | Scheme::Ws | Scheme::Wss)
    }

    /// Whether the scheme takes `+wo` / `+ro`.
    pub fn takes_direction(self) -> bool {
        matches!(
            self,
            Scheme::Tcp | Scheme::Tls | Scheme::Udp | Scheme::UdpBroadcast
        )
    }

    /// Whether the transport runs over TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, Scheme::Tls | Scheme::Marti | Scheme::Wss)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which way CoT flows (`+wo`, `+ro`, or both ways).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Send and receive (no modifier).
    #[default]
    Duplex,
    /// `+wo`: send only. UDP opens no receive socket; TCP/TLS read and discard inbound data.
    WriteOnly,
    /// `+ro`: receive only. No writer is started; UDP opens no send socket.
    ReadOnly,
}

impl Direction {
    /// Whether events are sent.
    pub fn sends(self) -> bool {
        self != Direction::ReadOnly
    }

    /// Whether received events are delivered to the application.
    pub fn receives(self) -> bool {
        self != Direction::WriteOnly
    }
}

/// A parsed `COT_URL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CotUrl {
    scheme: Scheme,
    direction: Direction,
    host: String,
    port: u16,
    path: String,
}

impl CotUrl {
    /// Parses a `COT_URL`. `tak://` links are not endpoints: parse them with [`TakUrl`].
    pub fn parse(input: &str) -> Result<CotUrl> {
        let raw = input.trim();
        let (scheme_part, rest) = raw.split_once("://").ok_or_else(|| {
            Error::url(
                raw,
                format!("expected SCHEME://HOST[:PORT]; known schemes: {KNOWN_SCHEMES}"),
            )
        })?;
        let (scheme, direction) = parse_scheme(raw, scheme_part)?;

        // Split off path (ws/wss), ignore query and fragment of other schemes.
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(Error::url(
                raw,
                "credentials in the URL are not supported; use the PYTAK_TLS_* keys",
            ));
        }
        if scheme == Scheme::Log {
            let target = authority.to_ascii_lowercase();
            if target != "stdout" && target != "stderr" {
                return Err(Error::url(raw, "log:// takes stdout or stderr"));
            }
            return Ok(CotUrl {
                scheme,
                direction,
                host: target,
                port: 0,
                path: String::new(),
            });
        }
        let (host, port) = split_host_port(raw, authority)?;
        let port = port.unwrap_or_else(|| scheme.default_port());
        let path = match scheme {
            Scheme::Ws | Scheme::Wss if path.is_empty() || path == "/" => {
                DEFAULT_WS_PATH.to_string()
            }
            Scheme::Ws | Scheme::Wss => path.to_string(),
            _ => String::new(),
        };
        Ok(CotUrl {
            scheme,
            direction,
            host,
            port,
            path,
        })
    }

    /// The transport.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The direction modifier.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The host: a name, an IPv4 address, or an IPv6 address without brackets.
    /// For `log://` it is `stdout` or `stderr`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (the scheme's default when the URL named none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path, for `ws://` and `wss://` (empty for other schemes).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The host as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// Whether the host is a multicast group address.
    pub fn is_multicast(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_multicast())
    }

    /// Resolves host and port to socket addresses (DNS for names).
    pub fn socket_addrs(&self) -> Result<Vec<SocketAddr>> {
        if let Some(ip) = self.ip() {
            return Ok(vec![SocketAddr::new(ip, self.port)]);
        }
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| Error::io(format!("resolving {}", self.host), e))?
            .collect();
        if addrs.is_empty() {
            return Err(Error::io(
                format!("resolving {}", self.host),
                std::io::Error::new(std::io::ErrorKind::NotFound, "no addresses"),
            ));
        }
        Ok(addrs)
    }

    /// `host:port`, with brackets around an IPv6 address.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The same URL with another direction.
    pub fn with_direction(mut self, direction: Direction) -> CotUrl {
        if self.scheme.takes_direction() {
            self.direction = direction;
        }
        self
    }
}

impl FromStr for CotUrl {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        CotUrl::parse(s)
    }
}

impl fmt::Display for CotUrl {
    /// The canonical form: `scheme[+wo|+ro]://host:port[path]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let modifier = match self.direction {
            Direction::Duplex => "",
            Direction::WriteOnly => "+wo",
            Direction::ReadOnly => "+ro",
        };
        if self.scheme == Scheme::Log {
            return write!(f, "log://{}", self.host);
        }
        write!(
            f,
            "{}{}://{}{}",
            self.scheme,
            modifier,
            self.authority(),
            self.path
        )
    }
}

fn parse_scheme(raw: &str, scheme_part: &str) -> Result<(Scheme, Direction)> {
    let lower = scheme_part.to_ascii_lowercase();
    let mut parts = lower.split('+');
    let base = parts.next().unwrap_or_default();
    let mut broadcast = false;
    let mut http = false;
    let mut direction = Direction::Duplex;
    for m in parts {
        match m {
            "wo" | "ro" => {
                let d = if m == "wo" {
                    Direction::WriteOnly
                } else {
                    Direction::ReadOnly
                };
                if direction != Direction::Duplex && direction != d {
                    return Err(Error::url(raw, "+wo and +ro cannot be combined"));
                }
                direction = d;
            }
            "broadcast" if base == "udp" => broadcast = true,
            // Deprecated in PyTAK: multicast is decided by the address.
            "multicast" if base == "udp" => {
                log::warn!(
                    "'+multicast' in COT_URL is not needed: multicast is decided by the address"
                )
            }
            "http" if base == "marti" => http = true,
            other => {
                return Err(Error::url(
                    raw,
                    format!(
                        "unknown modifier +{other} on scheme {base}; known schemes: {KNOWN_SCHEMES}"
                    ),
                ));
            }
        }
    }
    let scheme = match base {
        "tcp" => Scheme::Tcp,
        "tls" | "ssl" => Scheme::Tls,
        "udp" if broadcast => Scheme::UdpBroadcast,
        "udp" => Scheme::Udp,
        "log" => Scheme::Log,
        "marti" if http => Scheme::MartiHttp,
        "marti" => Scheme::Marti,
        "ws" => Scheme::Ws,
        "wss" => Scheme::Wss,
        "tak" => {
            return Err(Error::url(
                raw,
                "tak:// is an enrollment link, not an endpoint; it is resolved by enrollment (see TakUrl)",
            ));
        }
        other => {
            return Err(Error::url(
                raw,
                format!("unknown scheme {other:?}; known schemes: {KNOWN_SCHEMES}"),
            ));
        }
    };
    if direction != Direction::Duplex && !scheme.takes_direction() {
        return Err(Error::url(
            raw,
            format!("+wo and +ro apply to tcp, tls, ssl and udp only, not {scheme}"),
        ));
    }
    Ok((scheme, direction))
}

/// Splits `host[:port]`, `[v6]`, `[v6]:port`; a bare IPv6 literal without brackets is accepted
/// when it has no port.
fn split_host_port(raw: &str, authority: &str) -> Result<(String, Option<u16>)> {
    if authority.is_empty() {
        return Err(Error::url(raw, "no host"));
    }
    let parse_port = |p: &str| -> Result<u16> {
        match p.parse::<u16>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(Error::url(
                raw,
                format!("invalid port {p:?}: expected 1-65535"),
            )),
        }
    };
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| Error::url(raw, "unclosed [ in IPv6 address"))?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(Error::url(raw, format!("invalid IPv6 address {host:?}")));
        }
        let port = match after {
            "" => None,
            p => Some(parse_port(p.strip_prefix(':').ok_or_else(|| {
                Error::url(raw, "expected :PORT after the IPv6 address")
            })?)?),
        };
        return Ok((host.to_string(), port));
    }
    if authority.matches(':').count() > 1 {
        // An IPv6 literal without brackets: allowed only without a port.
        if authority.parse::<std::net::Ipv6Addr>().is_ok() {
            return Ok((authority.to_string(), None));
        }
        return Err(Error::url(
            raw,
            "IPv6 addresses must be written in brackets, e.g. [::1]:8087",
        ));
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(parse_port(p)?)),
        None => (authority, None),
    };
    if host.is_empty() {
        return Err(Error::url(raw, "no host"));
    }
    if host
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`/?#@[]%".contains(c))
    {
        return Err(Error::url(raw, format!("invalid host {host:?}")));
    }
    Ok((host.to_string(), port))
}

/// A `tak://com.atakmap.app/enroll?host=..&username=..&token=..` enrollment deep link,
/// as ATAK's QR-code onboarding uses.
///
/// ```
/// use takwire::url::TakUrl;
/// let t = TakUrl::parse("tak://com.atakmap.app/enroll?host=tak.example.com&username=bob&token=s%3Dcr3t").unwrap();
/// assert_eq!(t.host(), "tak.example.com");
/// assert_eq!(t.port(), None);
/// assert_eq!(t.username(), "bob");
/// assert_eq!(t.token(), "s=cr3t");
/// assert_eq!(t.resolved_cot_url().to_string(), "wss://tak.example.com:8443/takproto/1");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TakUrl {
    host: String,
    port: Option<u16>,
    username: String,
    token: String,
}

impl fmt::Debug for TakUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TakUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// TAK Server's streaming TLS port.
pub const TAK_STREAMING_PORT: u16 = 8089;
/// TAK Server's Marti / WebSocket port.
pub const TAK_MARTI_PORT: u16 = 8443;
/// TAK Server's certificate enrollment port.
pub const TAK_ENROLLMENT_PORT: u16 = 8446;

impl TakUrl {
    /// Parses a `tak://` deep link. `host`, `username` and `token` are required and are
    /// URL-decoded (`+` is a space, as in a form query).
    pub fn parse(input: &str) -> Result<TakUrl> {
        let raw = input.trim();
        let redacted = redact_tak_url(raw);
        let rest = raw
            .get(..6)
            .filter(|p| p.eq_ignore_ascii_case("tak://"))
            .map(|_| &raw[6..])
            .ok_or_else(|| Error::url(&redacted, "expected a tak:// URL"))?;
        let query = rest
            .split_once('?')
            .map(|(_, q)| q)
            .ok_or_else(|| Error::url(&redacted, "missing query (host, username, token)"))?;
        let query = query.split('#').next().unwrap_or_default();
        let mut host = None;
        let mut username = None;
        let mut token = None;
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v, true)
                .ok_or_else(|| Error::url(&redacted, format!("invalid %-escape in {k}")))?;
            let v = v.trim().to_string();
            if v.is_empty() {
                continue;
            }
            match k {
                "host" if host.is_none() => host = Some(v),
                "username" if username.is_none() => username = Some(v),
                "token" if token.is_none() => token = Some(v),
                _ => {}
            }
        }
        let missing = |p: &str| Error::url(&redacted, format!("missing required parameter {p:?}"));
        let host_param = host.ok_or_else(|| missing("host"))?;
        let username = username.ok_or_else(|| missing("username"))?;
        let token = token.ok_or_else(|| missing("token"))?;
        let (host, port) = split_host_port(&redacted, &host_param)?;
        Ok(TakUrl {
            host,
            port,
            username,
            token,
        })
    }

    /// The TAK Server host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port given in `host=`, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The enrollment user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The enrollment token (password).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The `COT_URL` this link resolves to, as PyTAK resolves it: `wss://host:8443/takproto/1`
    /// by default, `wss://host:PORT/takproto/1` for an explicit port, and `tls://host:8089`
    /// when the explicit port is TAK's streaming port.
    pub fn resolved_cot_url(&self) -> CotUrl {
        let (scheme, port, path) = match self.port {
            Some(TAK_STREAMING_PORT) => (Scheme::Tls, TAK_STREAMING_PORT, String::new()),
            Some(p) => (Scheme::Wss, p, DEFAULT_WS_PATH.to_string()),
            None => (Scheme::Wss, TAK_MARTI_PORT, DEFAULT_WS_PATH.to_string()),
        };
        CotUrl {
            scheme,
            direction: Direction::Duplex,
            host: self.host.clone(),
            port,
            path,
        }
    }
}

impl FromStr for TakUrl {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        TakUrl::parse(s)
    }
}

/// Replaces the values of `token`, `password` and `username` in a URL with `REDACTED`,
/// so that links can be logged and put in error messages.
pub fn redact_tak_url(url: &str) -> String {
    let Some((head, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if matches!(k, "token" | "password" | "username") => {
                format!("{k}=REDACTED")
            }
            _ => pair.to_string(),
        })
        .collect();
    format!("{head}?{}", parts.join("&"))
}

/// Decodes `%XX` escapes (and `+` as space when `plus_is_space`). `None` on a bad escape
/// or on bytes that are not UTF-8.
pub fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> CotUrl {
        CotUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_scheme_of_the_spec_parses() {
        let cases: &[(&str, Scheme, Direction, &str, u16)] = &[
            ("tcp://h:1", Scheme::Tcp, Direction::Duplex, "h", 1),
            ("tcp+wo://h:2", Scheme::Tcp, Direction::WriteOnly, "h", 2),
            ("tcp+ro://h:3", Scheme::Tcp, Direction::ReadOnly, "h", 3),
            ("tls://h:4", Scheme::Tls, Direction::Duplex, "h", 4),
            ("tls+wo://h:5", Scheme::Tls, Direction::WriteOnly, "h", 5),
            ("tls+ro://h:6", Scheme::Tls, Direction::ReadOnly, "h", 6),
            ("ssl://h:7", Scheme::Tls, Direction::Duplex, "h", 7),
            ("ssl+wo://h", Scheme::Tls, Direction::WriteOnly, "h", 8089),
            (
                "udp://239.2.3.1:6969",
                Scheme::Udp,
                Direction::Duplex,
                "239.2.3.1",
                6969,
            ),
            (
                "udp://10.1.1.1:4242",
                Scheme::Udp,
                Direction::Duplex,
                "10.1.1.1",
                4242,
            ),
            (
                "udp+broadcast://10.1.1.255:1",
                Scheme::UdpBroadcast,
                Direction::Duplex,
                "10.1.1.255",
                1,
            ),
            (
                "udp+broadcast://10.1.1.255",
                Scheme::UdpBroadcast,
                Direction::Duplex,
                "10.1.1.255",
                6969,
            ),
            ("udp+wo://h:9", Scheme::Udp, Direction::WriteOnly, "h", 9),
            ("udp+ro://h:10", Scheme::Udp, Direction::ReadOnly, "h", 10),
            (
                "udp+broadcast+wo://h",
                Scheme::UdpBroadcast,
                Direction::WriteOnly,
                "h",
                6969,
            ),
            (
                "marti://h:8443",
                Scheme::Marti,
                Direction::Duplex,
                "h",
                8443,
            ),
            (
                "marti+http://h:8080",
                Scheme::MartiHttp,
                Direction::Duplex,
                "h",
                8080,
            ),
            ("marti://h", Scheme::Marti, Direction::Duplex, "h", 8443),
            ("ws://h", Scheme::Ws, Direction::Duplex, "h", 8080),
            ("wss://h:9000/x", Scheme::Wss, Direction::Duplex, "h", 9000),
            ("TCP://H:11", Scheme::Tcp, Direction::Duplex, "H", 11),
            ("tcp://h", Scheme::Tcp, Direction::Duplex, "h", 8087),
            ("udp://h", Scheme::Udp, Direction::Duplex, "h", 6969),
        ];
        for (s, scheme, dir, host, port) in cases {
            let u = p(s);
            assert_eq!(
                (u.scheme(), u.direction(), u.host(), u.port()),
                (*scheme, *dir, *host, *port),
                "{s}"
            );
        }
        assert_eq!(p("log://stdout").host(), "stdout");
        assert_eq!(p("log://STDERR").host(), "stderr");
        assert_eq!(p("wss://h").path(), "/takproto/1");
        assert_eq!(p("wss://h:9000/x").path(), "/x");
        assert_eq!(
            p("udp+wo://239.2.3.1:6969").to_string(),
            "udp+wo://239.2.3.1:6969"
        );
        assert!(p("udp://239.2.3.1:6969").is_multicast());
        assert!(!p("udp://10.2.3.1:6969").is_multicast());
    }

    #[test]
    fn ipv6_literals() {
        let u = p("tcp://[::1]:8087");
        assert_eq!((u.host(), u.port()), ("::1", 8087));
        assert_eq!(u.to_string(), "tcp://[::1]:8087");
        assert_eq!(p("udp://[ff02::1]").port(), 6969);
        assert!(p("udp://[ff02::1]").is_multicast());
        assert_eq!(p("tcp://fe80::1").host(), "fe80::1");
        assert!(CotUrl::parse("tcp://[::1").is_err());
        assert!(CotUrl::parse("tcp://[zz]:1").is_err());
    }

    #[test]
    fn bad_urls_are_rejected_with_a_reason() {
        let bad: &[(&str, &str)] = &[
            ("tcp+wo+ro://h:1", "cannot be combined"),
            ("gopher://h:1", "known schemes"),
            ("h:1", "known schemes"),
            ("tcp://h:0", "invalid port"),
            ("tcp://h:99999", "invalid port"),
            ("tcp://h:x", "invalid port"),
            ("tcp://:1", "no host"),
            ("tcp://", "no host"),
            ("marti+wo://h", "+wo and +ro apply"),
            ("ws+ro://h", "+wo and +ro apply"),
            ("log://file", "stdout or stderr"),
            ("tcp+fast://h", "unknown modifier"),
            ("tak://com.atakmap.app/enroll?host=h", "enrollment link"),
            ("tcp://user@h:1", "credentials"),
        ];
        for (s, why) in bad {
            let e = CotUrl::parse(s).unwrap_err().to_string();
            assert!(e.contains(why), "{s}: {e}");
        }
    }

    #[test]
    fn tak_links() {
        let t = TakUrl::parse(
            "tak://com.atakmap.app/enroll?host=tak.example:8443&username=a%20b&token=x+y",
        )
        .unwrap();
        assert_eq!(
            (t.host(), t.port(), t.username(), t.token()),
            ("tak.example", Some(8443), "a b", "x y")
        );
        assert_eq!(
            t.resolved_cot_url().to_string(),
            "wss://tak.example:8443/takproto/1"
        );
        let t =
            TakUrl::parse("tak://com.atakmap.app/enroll?host=tak.example:8089&username=u&token=t")
                .unwrap();
        assert_eq!(t.resolved_cot_url().to_string(), "tls://tak.example:8089");
        let t = TakUrl::parse("tak://com.atakmap.app/enroll?host=[::1]:9443&username=u&token=t")
            .unwrap();
        assert_eq!(
            t.resolved_cot_url().to_string(),
            "wss://[::1]:9443/takproto/1"
        );
        for (s, why) in [
            (
                "tak://com.atakmap.app/enroll?username=u&token=t",
                "\"host\"",
            ),
            (
                "tak://com.atakmap.app/enroll?host=h&token=t",
                "\"username\"",
            ),
            (
                "tak://com.atakmap.app/enroll?host=h&username=u&token=",
                "\"token\"",
            ),
            ("tak://com.atakmap.app/enroll", "missing query"),
            ("tcp://h", "expected a tak://"),
            ("tak://x/enroll?host=h&username=u&token=%zz", "%-escape"),
        ] {
            let e = TakUrl::parse(s).unwrap_err().to_string();
            assert!(e.contains(why), "{s}: {e}");
        }
        // The token never shows up in errors or Debug output.
        let e = TakUrl::parse("tak://x/enroll?host=h:bad&username=u&token=SECRET").unwrap_err();
        assert!(!e.to_string().contains("SECRET"), "{e}");
        let t = TakUrl::parse("tak://x/enroll?host=h&username=u&token=SECRET").unwrap();
        assert!(!format!("{t:?}").contains("SECRET"));
    }
}
