//! The HTTP agent for Marti: ureq with takwire's own rustls configuration.
//!
//! ureq builds its rustls configuration from its own, smaller set of TLS settings. Marti
//! needs exactly the configuration `tls://` uses (client certificate from PEM or PKCS#12,
//! `PYTAK_TLS_CLIENT_CAFILE`, the verify switches, `PYTAK_TLS_CLIENT_CIPHERS`, the expected
//! server name), so the agent's connector chain is ureq's TCP connector followed by
//! [`TakTlsConnector`], which wraps the socket with [`crate::tls::client_config`]'s result.

use std::fmt;
use std::io::{Read, Write};
use std::time::Duration;

use rustls::{ClientConnection, StreamOwned};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, TcpConnector,
    Transport, TransportAdapter,
};

use crate::tls::{self, TlsClient};

/// Makes the agent for one link: connections are reused between requests, every request
/// has `timeout` as its overall limit, redirects are not followed, and HTTP error statuses
/// are answers (not errors) so they can be logged with their status.
pub fn agent(tls: Option<TlsClient>, timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .timeout_connect(Some(timeout.min(crate::transport::tcp::CONNECT_TIMEOUT)))
        .max_idle_connections_per_host(2)
        .user_agent(concat!("takwire/", env!("CARGO_PKG_VERSION")))
        .build();
    let connector = ().chain(TcpConnector::default()).chain(TakTlsConnector { tls });
    ureq::Agent::with_parts(config, connector, DefaultResolver::default())
}

/// Wraps `https` connections in TLS with takwire's configuration; `http` passes through.
pub struct TakTlsConnector {
    tls: Option<TlsClient>,
}

impl fmt::Debug for TakTlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TakTlsConnector")
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl<In: Transport> Connector<In> for TakTlsConnector {
    type Out = Either<In, TakTlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let Some(tls) = &self.tls else {
            return Err(ureq::Error::Tls(
                "https needs a TLS configuration (use marti:// rather than marti+http://)",
            ));
        };
        let mut conn = ClientConnection::new(tls.config.clone(), tls.server_name.clone())?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        Ok(Some(Either::B(TakTlsTransport {
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            stream: StreamOwned { conn, sock },
        })))
    }
}

/// An HTTP connection over takwire's TLS.
pub struct TakTlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TakTlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TakTlsTransport")
    }
}

impl Transport for TakTlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = self
            .buffers
            .output()
            .get(..amount)
            .ok_or(ureq::Error::Tls("output buffer shorter than announced"))?;
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let n = self.stream.read(input)?;
        self.buffers.input_appended(n);
        Ok(n > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// The rustls error behind a ureq error, if it is one.
pub fn rustls_error(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => tls::tls_error_of(io),
        _ => None,
    }
}

/// Whether a ureq error means retrying cannot help: the server rejected our certificate,
/// or we rejected the server's.
pub fn is_fatal(e: &ureq::Error) -> bool {
    rustls_error(e).is_some_and(tls::is_fatal)
}

/// A sentence for a failed request: the TLS problem in TAK terms when there is one.
pub fn describe(e: &ureq::Error) -> String {
    match rustls_error(e) {
        Some(r) => format!("TLS: {}", tls::describe(r)),
        None => e.to_string(),
    }
}
