//! Reading and writing messages over a byte stream (TCP, TLS): the framing shared by both.

use std::io::{self, BufWriter, Read, Write};

use crate::framing::{Message, StreamDecoder, TAK_MAGIC, write_varint};
use crate::transport::{MessageSink, Sink, Source};

/// Reads a byte stream and splits it into messages.
pub struct StreamSource<R> {
    reader: R,
    decoder: StreamDecoder,
}

impl<R: Read + Send> StreamSource<R> {
    /// A source over `reader` accepting messages of up to `max` bytes.
    pub fn new(reader: R, max: usize) -> Self {
        StreamSource {
            reader,
            decoder: StreamDecoder::new(max),
        }
    }
}

impl<R: Read + Send> Source for StreamSource<R> {
    fn receive(&mut self, deliver: &mut MessageSink<'_>) -> io::Result<bool> {
        let n = loop {
            match self.decoder.read_from(&mut self.reader) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // The link failed: an event it cut off is reported, not silently lost.
                    if let Some(cut) = self.decoder.finish() {
                        deliver(Err(cut));
                    }
                    return Err(e);
                }
                Ok(n) => break n,
            }
        };
        if n == 0 {
            if let Some(e) = self.decoder.finish() {
                deliver(Err(e));
            }
            return Ok(false);
        }
        while let Some(m) = self.decoder.next_message() {
            deliver(m);
        }
        Ok(true)
    }

    fn finish(&mut self, deliver: &mut MessageSink<'_>) {
        if let Some(cut) = self.decoder.finish() {
            deliver(Err(cut));
        }
    }
}

/// Writes messages to a byte stream: XML events followed by a newline, TAK protocol payloads
/// with stream framing. Buffered; flushed when the outgoing queue runs empty.
pub struct StreamSink<W: Write> {
    writer: BufWriter<W>,
    header: Vec<u8>,
}

impl<W: Write + Send> StreamSink<W> {
    /// A sink over `writer`.
    pub fn new(writer: W) -> Self {
        StreamSink {
            writer: BufWriter::with_capacity(64 * 1024, writer),
            header: Vec::with_capacity(11),
        }
    }
}

impl<W: Write + Send> Sink for StreamSink<W> {
    fn send(&mut self, msg: Message<'_>) -> io::Result<()> {
        match msg {
            Message::Xml(x) => {
                self.writer.write_all(x)?;
                self.writer.write_all(b"\n")
            }
            Message::Tak(p) => {
                self.header.clear();
                self.header.push(TAK_MAGIC);
                write_varint(p.len() as u64, &mut self.header);
                self.writer.write_all(&self.header)?;
                self.writer.write_all(p)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}
