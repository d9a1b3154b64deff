//! A link's wire format and, for TAK_PROTO=1 on a streaming link, the TAK protocol
//! negotiation that decides it (see [`crate::proto::control`]).
//!
//! The reader drives it: a server's `t-x-takp-v` offering version 1 makes it queue a
//! `t-x-takp-q` request for the writer, which sends it (in XML) and then holds all other
//! traffic until the reader sees the `t-x-takp-r` response. On `true` the link's format
//! becomes protobuf for both threads; on `false`, or an offer without version 1, the link
//! stays with XML. A peer that sends TAK protocol frames without any negotiation decodes
//! them too (the protocol's first ground rule), so output switches to protobuf as well.

use std::sync::Mutex;

use crossbeam_channel::{Receiver, Sender};

use crate::cot::Event;
use crate::proto::control::{self, ControlEvent};
use crate::wire::{Format, FormatCell};

/// What the reader asks of the writer.
#[derive(Debug)]
pub(crate) enum ToWriter {
    /// Send this request (XML), then send nothing else until [`ToWriter::Settled`].
    Request(Box<Event>),
    /// The response arrived; carry on in the link's (maybe new) format.
    Settled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// XML; no offer seen yet.
    Waiting,
    /// The request is queued or sent; waiting for the response.
    Requested,
    /// Decided, either way.
    Done,
}

/// The format of one link, shared by its reader and writer.
#[derive(Debug)]
pub(crate) struct LinkFormat {
    format: FormatCell,
    negotiating: bool,
    state: Mutex<State>,
    to_writer: Sender<ToWriter>,
    writer_rx: Receiver<ToWriter>,
}

impl LinkFormat {
    /// A link that uses `format` from the start, with no negotiation.
    pub(crate) fn fixed(format: Format) -> LinkFormat {
        LinkFormat::new(format, false)
    }

    /// A streaming link that starts in XML and negotiates TAK protocol version 1.
    pub(crate) fn negotiated() -> LinkFormat {
        LinkFormat::new(Format::Xml, true)
    }

    fn new(format: Format, negotiating: bool) -> LinkFormat {
        let (to_writer, writer_rx) = crossbeam_channel::bounded(4);
        LinkFormat {
            format: FormatCell::new(format),
            negotiating,
            state: Mutex::new(if negotiating {
                State::Waiting
            } else {
                State::Done
            }),
            to_writer,
            writer_rx,
        }
    }

    /// The current format.
    pub(crate) fn cell(&self) -> &FormatCell {
        &self.format
    }

    /// The writer's end of the control channel.
    pub(crate) fn writer_rx(&self) -> &Receiver<ToWriter> {
        &self.writer_rx
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-update; the state is a
        // plain value, still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The reader got an XML event. Returns true if it was a negotiation event this link
    /// consumed (not to be delivered to the application): an offer while no decision is
    /// made, a response to the request. Once decided, such events are ordinary events (a
    /// server relaying another client's traffic may carry them).
    pub(crate) fn on_xml_event(&self, event: &Event) -> bool {
        if !self.negotiating {
            return false;
        }
        let Some(c) = ControlEvent::from_event(event) else {
            return false;
        };
        let mut state = self.state();
        match (c, *state) {
            (ControlEvent::Support { uid, versions }, State::Waiting) => {
                if versions.contains(&control::VERSION) {
                    log::info!(
                        "TAK protocol: the server offers {versions:?}; requesting version 1"
                    );
                    *state = State::Requested;
                    let request = control::request(&uid, control::VERSION);
                    if self
                        .to_writer
                        .try_send(ToWriter::Request(Box::new(request)))
                        .is_err()
                    {
                        *state = State::Done;
                    }
                } else {
                    log::info!(
                        "TAK protocol: the server offers versions {versions:?}, takwire speaks 1; staying with XML"
                    );
                    *state = State::Done;
                }
                true
            }
            (ControlEvent::Support { .. }, State::Requested) => {
                log::debug!("TAK protocol: ignoring a repeated offer");
                true
            }
            (ControlEvent::Response { accepted, .. }, State::Requested) => {
                if accepted {
                    log::info!(
                        "TAK protocol: the server accepted version 1; switching to protobuf"
                    );
                    self.format.set(Format::Proto);
                } else {
                    log::info!("TAK protocol: the server declined version 1; staying with XML");
                }
                *state = State::Done;
                let _ = self.to_writer.try_send(ToWriter::Settled);
                true
            }
            _ => false,
        }
    }

    /// The reader got a TAK protocol message. A peer that sends version 1 decodes it, so
    /// a link still waiting for an offer switches its output to protobuf.
    pub(crate) fn on_tak_message(&self) {
        if !self.negotiating {
            return;
        }
        let mut state = self.state();
        if *state == State::Waiting {
            log::info!(
                "TAK protocol: the peer sends protobuf without negotiating; switching to it"
            );
            self.format.set(Format::Proto);
            *state = State::Done;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(versions: Vec<u32>) -> Event {
        ControlEvent::Support {
            uid: "neg-1".into(),
            versions,
        }
        .to_event()
    }

    fn response(accepted: bool) -> Event {
        ControlEvent::Response {
            uid: "neg-1".into(),
            accepted,
        }
        .to_event()
    }

    #[test]
    fn accepted_negotiation_switches_to_protobuf() {
        let l = LinkFormat::negotiated();
        assert_eq!(l.cell().get(), Format::Xml);
        assert!(!l.on_xml_event(&Event::hello(control::RESPONSE_TIMEOUT)));
        // A response before any request is not one for this link: delivered, no change.
        assert!(!l.on_xml_event(&response(true)));
        assert_eq!(l.cell().get(), Format::Xml);
        assert!(l.on_xml_event(&offer(vec![1])));
        let Ok(ToWriter::Request(req)) = l.writer_rx().try_recv() else {
            panic!("no request queued")
        };
        assert_eq!(
            ControlEvent::from_event(&req),
            Some(ControlEvent::Request {
                uid: "neg-1".into(),
                version: Some(1)
            })
        );
        assert!(l.on_xml_event(&offer(vec![1])));
        assert!(l.writer_rx().try_recv().is_err(), "one request per link");
        assert!(l.on_xml_event(&response(true)));
        assert!(matches!(l.writer_rx().try_recv(), Ok(ToWriter::Settled)));
        assert_eq!(l.cell().get(), Format::Proto);
        // Decided: further control events are ordinary events.
        assert!(!l.on_xml_event(&offer(vec![1])));
        assert!(!l.on_xml_event(&response(false)));
        assert_eq!(l.cell().get(), Format::Proto);
    }

    #[test]
    fn declined_or_unsupported_stays_xml() {
        let l = LinkFormat::negotiated();
        assert!(l.on_xml_event(&offer(vec![1])));
        assert!(l.on_xml_event(&response(false)));
        assert_eq!(l.cell().get(), Format::Xml);

        let l = LinkFormat::negotiated();
        assert!(l.on_xml_event(&offer(vec![2, 3])));
        assert!(l.writer_rx().try_recv().is_err());
        assert_eq!(l.cell().get(), Format::Xml);
        // Nor does a later protobuf frame change a decided link.
        l.on_tak_message();
        assert_eq!(l.cell().get(), Format::Xml);
    }

    #[test]
    fn unnegotiated_protobuf_from_the_peer_switches() {
        let l = LinkFormat::negotiated();
        l.on_tak_message();
        assert_eq!(l.cell().get(), Format::Proto);

        let fixed = LinkFormat::fixed(Format::Xml);
        assert!(!fixed.on_xml_event(&offer(vec![1])));
        fixed.on_tak_message();
        assert_eq!(fixed.cell().get(), Format::Xml);
    }
}
