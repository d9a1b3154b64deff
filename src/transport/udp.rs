//! `udp://` (unicast and multicast), `udp+broadcast://`, with `+wo` and `+ro`.
//!
//! * Receiving sockets set address and port reuse, so ATAK and several takwire processes can
//!   share `239.2.3.1:6969`. Multicast joins the group on `PYTAK_MULTICAST_LOCAL_ADDR`.
//! * Multicast sends go out on `PYTAK_MULTICAST_LOCAL_ADDR` with `PYTAK_MULTICAST_TTL`.
//! * `+wo` binds no port at all (the system picks a source port on the first send), so it
//!   never collides with a listener; `+ro` opens no send socket.
//! * A duplex unicast `udp://host:port` binds `port` locally and sends to `host:port` from
//!   it, as PyTAK does.
//!
//! Each datagram is one message: XML, or TAK protocol with mesh framing (`0xbf 0x01 0xbf`).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use socket2::{Domain, Protocol, Socket, Type};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::framing::{MESH_HEADER, Message, StreamDecoder, decode_datagram};
use crate::transport::{Connector, Link, MessageSink, Sink, Source};
use crate::url::{CotUrl, Scheme};

/// The largest UDP payload over IPv4.
pub const MAX_DATAGRAM: usize = 65_507;

/// Makes UDP sockets for `COT_URL`.
#[derive(Debug)]
pub struct UdpConnector {
    url: CotUrl,
    local_addr: IpAddr,
    ttl: u32,
    max: usize,
}

impl UdpConnector {
    /// A connector for `config.cot_url` (a `udp` or `udp+broadcast` URL).
    pub fn new(config: &Config) -> Result<Self> {
        Ok(UdpConnector {
            url: config.cot_url.clone(),
            local_addr: config.multicast_local_addr,
            ttl: config.multicast_ttl,
            max: config.max_event_size.min(MAX_DATAGRAM),
        })
    }

    fn target(&self) -> Result<SocketAddr> {
        let addrs = self.url.socket_addrs()?;
        // Prefer IPv4 where a name has both, as TAK networks are IPv4.
        addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or(addrs.first())
            .copied()
            .ok_or_else(|| Error::url(self.url.to_string(), "no address"))
    }

    fn context(&self, what: &str) -> String {
        format!("{what} for {}", self.url)
    }

    /// The receiving socket: reuse address and port, joined to the group for multicast.
    fn bind_receiver(&self, target: SocketAddr) -> Result<Socket> {
        let sock = new_socket(target)?;
        let ctx = |w: &str| self.context(w);
        sock.set_reuse_address(true)
            .map_err(|e| Error::io(ctx("setting SO_REUSEADDR"), e))?;
        #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
        sock.set_reuse_port(true)
            .map_err(|e| Error::io(ctx("setting SO_REUSEPORT"), e))?;
        let _ = sock.set_recv_buffer_size(1 << 20);
        let any: IpAddr = match target {
            SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
            SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
        };
        let multicast = target.ip().is_multicast();
        // On Linux, binding the group address keeps other traffic to the port out.
        // A read-only unicast URL naming a local address binds that address only.
        let local_ro = self.url.direction() == crate::url::Direction::ReadOnly
            && !multicast
            && self.url.scheme() == Scheme::Udp
            && is_local(target.ip());
        let bind_ip = if (multicast && cfg!(target_os = "linux")) || local_ro {
            target.ip()
        } else {
            any
        };
        let bind = SocketAddr::new(bind_ip, target.port());
        sock.bind(&bind.into())
            .map_err(|e| Error::io(ctx(&format!("binding {bind}")), e))?;
        if multicast {
            match (target.ip(), self.local_addr) {
                (IpAddr::V4(group), IpAddr::V4(iface)) => {
                    sock.join_multicast_v4(&group, &iface).map_err(|e| {
                        Error::io(
                            ctx(&format!(
                                "joining multicast group {group} on interface {iface} (PYTAK_MULTICAST_LOCAL_ADDR)"
                            )),
                            e,
                        )
                    })?
                }
                (IpAddr::V6(group), _) => sock
                    .join_multicast_v6(&group, 0)
                    .map_err(|e| Error::io(ctx(&format!("joining multicast group {group}")), e))?,
                (IpAddr::V4(_), IpAddr::V6(iface)) => {
                    return Err(Error::invalid(
                        "PYTAK_MULTICAST_LOCAL_ADDR",
                        iface.to_string(),
                        "an IPv4 interface address for an IPv4 multicast group",
                    ));
                }
            }
        }
        if self.url.scheme() == Scheme::UdpBroadcast {
            sock.set_broadcast(true)
                .map_err(|e| Error::io(ctx("setting SO_BROADCAST"), e))?;
        }
        Ok(sock)
    }

    /// Sets the send options on `sock`: broadcast, and for multicast the interface and TTL.
    fn prepare_sender(&self, sock: &Socket, target: SocketAddr) -> Result<()> {
        let ctx = |w: &str| self.context(w);
        if self.url.scheme() == Scheme::UdpBroadcast {
            sock.set_broadcast(true)
                .map_err(|e| Error::io(ctx("setting SO_BROADCAST"), e))?;
        }
        if target.ip().is_multicast() {
            match (target.ip(), self.local_addr) {
                (IpAddr::V4(_), IpAddr::V4(iface)) => {
                    if !iface.is_unspecified() {
                        sock.set_multicast_if_v4(&iface).map_err(|e| {
                            Error::io(
                                ctx(&format!(
                                    "sending multicast on interface {iface} (PYTAK_MULTICAST_LOCAL_ADDR)"
                                )),
                                e,
                            )
                        })?;
                    }
                    sock.set_multicast_ttl_v4(self.ttl)
                        .map_err(|e| Error::io(ctx("setting the multicast TTL"), e))?;
                    sock.set_multicast_loop_v4(true)
                        .map_err(|e| Error::io(ctx("enabling multicast loopback"), e))?;
                }
                (IpAddr::V6(_), _) => {
                    sock.set_multicast_hops_v6(self.ttl)
                        .map_err(|e| Error::io(ctx("setting the multicast hops"), e))?;
                }
                (IpAddr::V4(_), IpAddr::V6(iface)) => {
                    return Err(Error::invalid(
                        "PYTAK_MULTICAST_LOCAL_ADDR",
                        iface.to_string(),
                        "an IPv4 interface address for an IPv4 multicast group",
                    ));
                }
            }
        }
        Ok(())
    }
}

fn new_socket(target: SocketAddr) -> Result<Socket> {
    Socket::new(
        Domain::for_address(target),
        Type::DGRAM,
        Some(Protocol::UDP),
    )
    .map_err(|e| Error::io("creating a UDP socket", e))
}

/// Whether `ip` is an address of this machine (loopback, unspecified, or bindable).
fn is_local(ip: IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified() || UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

impl Connector for UdpConnector {
    fn connect(&mut self) -> Result<Link> {
        let target = self.target()?;
        let direction = self.url.direction();
        let receiver = if direction.receives() {
            Some(self.bind_receiver(target)?)
        } else {
            None
        };
        let sender: Option<UdpSocket> = if direction.sends() {
            let sock = match (&receiver, direction) {
                // Duplex: send from the bound socket, as PyTAK does.
                (Some(r), _) => r
                    .try_clone()
                    .map_err(|e| Error::io("cloning a UDP socket", e))?,
                // +wo: an unbound socket; the system picks the source port on first send.
                (None, _) => new_socket(target)?,
            };
            self.prepare_sender(&sock, target)?;
            Some(sock.into())
        } else {
            None
        };
        let (source, closer): (Option<Box<dyn Source>>, crate::transport::Closer) = match receiver {
            Some(r) => {
                let wake: Socket = r
                    .try_clone()
                    .map_err(|e| Error::io("cloning a UDP socket", e))?;
                let r: UdpSocket = r.into();
                #[cfg(not(target_os = "linux"))]
                let _ = r.set_read_timeout(Some(std::time::Duration::from_secs(1)));
                let closed = Arc::new(AtomicBool::new(false));
                let flag = closed.clone();
                (
                    Some(Box::new(UdpSource {
                        socket: r,
                        buf: vec![0; MAX_DATAGRAM + 1],
                        decoder: StreamDecoder::new(self.max),
                        max: self.max,
                        closed,
                    })),
                    // On Linux, shutting down the read side wakes a blocked recv even on
                    // an unconnected UDP socket (it reports ENOTCONN, which is ignored).
                    Arc::new(move || {
                        flag.store(true, Ordering::Release);
                        let _ = wake.shutdown(std::net::Shutdown::Read);
                    }),
                )
            }
            None => (None, Arc::new(|| {})),
        };
        let sink = sender.map(|s| {
            Box::new(UdpSink {
                socket: s,
                target,
                buf: Vec::with_capacity(2048),
            }) as Box<dyn Sink>
        });
        Ok(Link {
            source,
            sink,
            closer,
            forced_format: None,
            peer: self.url.to_string(),
        })
    }

    fn reconnects(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        self.url.to_string()
    }
}

struct UdpSource {
    socket: UdpSocket,
    buf: Vec<u8>,
    decoder: StreamDecoder,
    max: usize,
    /// Set by the link's closer: an empty read then means the socket was shut down.
    closed: Arc<AtomicBool>,
}

impl Source for UdpSource {
    fn receive(&mut self, deliver: &mut MessageSink<'_>) -> io::Result<bool> {
        loop {
            // `recv`, not `recv_from`: after a shutdown Linux returns an empty read with no
            // address, which std's `recv_from` treats as a broken invariant and panics on.
            match self.socket.recv(&mut self.buf) {
                Ok(0) if self.closed.load(Ordering::Acquire) => return Ok(false),
                // An empty datagram carries nothing.
                Ok(0) => continue,
                Ok(n) => {
                    let datagram = &self.buf[..n];
                    decode_datagram(datagram, self.max, &mut self.decoder, &mut *deliver);
                    return Ok(true);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted
                            | io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                    ) =>
                {
                    // The read timeout (non-Linux) lets the client notice a shutdown.
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    // An ICMP port-unreachable for an earlier send: not a receive problem.
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

struct UdpSink {
    socket: UdpSocket,
    target: SocketAddr,
    buf: Vec<u8>,
}

impl Sink for UdpSink {
    fn send(&mut self, msg: Message<'_>) -> io::Result<()> {
        let datagram: &[u8] = match msg {
            Message::Xml(x) => x,
            Message::Tak(p) => {
                self.buf.clear();
                self.buf.extend_from_slice(&MESH_HEADER);
                self.buf.extend_from_slice(p);
                &self.buf
            }
        };
        if datagram.len() > MAX_DATAGRAM {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "event of {} bytes does not fit in a UDP datagram ({MAX_DATAGRAM} bytes)",
                    datagram.len()
                ),
            ));
        }
        match self.socket.send_to(datagram, self.target) {
            Ok(_) => Ok(()),
            // ICMP unreachable from an earlier datagram, or a route being replaced: each
            // datagram stands alone, so report it for this message only.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::PermissionDenied
                        | io::ErrorKind::NetworkUnreachable
                        | io::ErrorKind::HostUnreachable
                ) =>
            {
                Err(io::Error::new(io::ErrorKind::InvalidInput, e))
            }
            Err(e) => Err(e),
        }
    }
}
