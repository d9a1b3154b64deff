//! `log://stdout` and `log://stderr`: print each outgoing event as one line of XML.

use std::io::{self, Write};
use std::sync::Arc;

use crate::config::Config;
use crate::error::Result;
use crate::framing::Message;
use crate::transport::{Connector, Link, Sink};
use crate::wire::Format;

/// Prints events to standard output or standard error.
#[derive(Debug)]
pub struct LogConnector {
    stderr: bool,
}

impl LogConnector {
    /// A connector for `log://stdout` or `log://stderr`.
    pub fn new(config: &Config) -> Self {
        LogConnector {
            stderr: config.cot_url.host() == "stderr",
        }
    }
}

struct LogSink {
    stderr: bool,
}

impl Sink for LogSink {
    fn send(&mut self, msg: Message<'_>) -> io::Result<()> {
        let line: &[u8] = match msg {
            Message::Xml(x) => x,
            // The link forces XML, so this is not reached; say what it was if it is.
            Message::Tak(_) => b"<!-- TAK protocol message -->",
        };
        if self.stderr {
            let mut e = io::stderr().lock();
            e.write_all(line)?;
            e.write_all(b"\n")
        } else {
            let mut o = io::stdout().lock();
            o.write_all(line)?;
            o.write_all(b"\n")
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.stderr {
            io::stderr().flush()
        } else {
            io::stdout().flush()
        }
    }
}

impl Connector for LogConnector {
    fn connect(&mut self) -> Result<Link> {
        Ok(Link {
            source: None,
            sink: Some(Box::new(LogSink {
                stderr: self.stderr,
            })),
            closer: Arc::new(|| {}),
            forced_format: Some(Format::Xml),
            peer: if self.stderr {
                "log://stderr"
            } else {
                "log://stdout"
            }
            .into(),
        })
    }

    fn reconnects(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        if self.stderr {
            "log://stderr"
        } else {
            "log://stdout"
        }
        .into()
    }
}
