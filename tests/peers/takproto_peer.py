#!/usr/bin/env python3
"""takproto (PyPI, an independent TAK protocol codec) as a test peer for takwire.

Reads one JSON request per line on stdin and answers one JSON line on stdout:

  {"op": "encode", "xml": "<event ...>", "framing": "mesh" | "stream"}
      -> {"ok": true, "hex": "..."}        takproto.xml2proto(xml, TAKProtoVer.MESH|STREAM)

  {"op": "decode", "hex": "...", "framing": "mesh" | "stream"}
      -> {"ok": true, "framing_ok": bool, "control": {...} | null, "event": {...} | null}
         takproto.parse_proto(bytes), then the TakMessage's fields as the protobuf runtime
         decoded them. Typed detail parts are written as XML the way ATAK's converter
         writes them back (required attributes always, contact's endpoint only when not
         empty, and not at all when xmlDetail already has an element of that name), so
         the Rust side can compare elements without rendering them itself. Doubles travel
         as repr() strings, exact. framing_ok says the frame had exactly the header and
         length its framing defines, with nothing after the payload.

Errors are {"ok": false, "error": "..."}. The script exits at end of input.
"""

import json
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

from google.protobuf.internal.decoder import _DecodeVarint
import takproto
from takproto import TAKProtoVer


def element(name, attrs):
    body = "".join(f" {k}={quoteattr(v)}" for k, v in attrs)
    return f"<{name}{body}/>"


def typed_parts(detail, xml_names):
    """The typed messages of a Detail as XML elements, as ATAK writes them back."""
    out = []

    def add(name, attrs):
        if name not in xml_names:
            out.append(element(name, attrs))

    if detail.HasField("contact"):
        c = detail.contact
        attrs = [("endpoint", c.endpoint)] if c.endpoint else []
        add("contact", attrs + [("callsign", c.callsign)])
    if detail.HasField("group"):
        add("__group", [("name", detail.group.name), ("role", detail.group.role)])
    if detail.HasField("precisionLocation"):
        p = detail.precisionLocation
        add("precisionlocation", [("geopointsrc", p.geopointsrc), ("altsrc", p.altsrc)])
    if detail.HasField("status"):
        add("status", [("battery", str(detail.status.battery))])
    if detail.HasField("takv"):
        t = detail.takv
        add("takv", [("device", t.device), ("platform", t.platform), ("os", t.os),
                     ("version", t.version)])
    if detail.HasField("track"):
        add("track", [("speed", repr(detail.track.speed)), ("course", repr(detail.track.course))])
    return out


def framing_ok(data, framing):
    if framing == "mesh":
        return bytes(data[:3]) == b"\xbf\x01\xbf"
    if data[:1] != b"\xbf":
        return False
    size, pos = _DecodeVarint(bytes(data), 1)
    return pos + size == len(data)


def decode(req):
    data = bytearray(bytes.fromhex(req["hex"]))
    msg = takproto.parse_proto(data)
    if msg is None:
        return {"ok": False, "error": "takproto.parse_proto returned nothing"}
    out = {"ok": True, "framing_ok": framing_ok(data, req["framing"]),
           "control": None, "event": None}
    if msg.HasField("takControl"):
        c = msg.takControl
        out["control"] = {"min": c.minProtoVersion, "max": c.maxProtoVersion,
                          "contactUid": c.contactUid}
    if msg.HasField("cotEvent"):
        e = msg.cotEvent
        ev = {k: getattr(e, k) for k in ("type", "access", "qos", "opex", "uid", "how")}
        for k in ("sendTime", "startTime", "staleTime"):
            ev[k] = getattr(e, k)
        for k in ("lat", "lon", "hae", "ce", "le"):
            ev[k] = repr(getattr(e, k))
        ev["has_detail"] = e.HasField("detail")
        ev["xmlDetail"] = e.detail.xmlDetail
        names = set()
        if e.detail.xmlDetail:
            root = ET.fromstring("<detail>" + e.detail.xmlDetail + "</detail>")
            names = {child.tag for child in root}
        ev["typed"] = typed_parts(e.detail, names)
        out["event"] = ev
    return out


def encode(req):
    ver = TAKProtoVer.MESH if req["framing"] == "mesh" else TAKProtoVer.STREAM
    data = takproto.xml2proto(req["xml"].encode("utf-8"), ver)
    return {"ok": True, "hex": bytes(data).hex()}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            resp = {"encode": encode, "decode": decode}[req["op"]](req)
        except Exception as e:  # report, keep serving
            resp = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
