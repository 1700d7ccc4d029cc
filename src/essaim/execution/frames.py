"""The framing between the server and its query workers: one byte of kind, four bytes of length
(big-endian), then the payload. A request is one ``REQUEST`` frame holding JSON; a worker answers
with ``HEADER`` (JSON: the kind of result and the media type chosen), zero or more ``DATA``
frames of serialised results, then ``END`` — or with one ``ERROR`` frame (JSON) at any point
before ``END``."""

from __future__ import annotations

import json
import struct
from typing import Any

REQUEST = b"Q"
HEADER = b"H"
DATA = b"D"
END = b"E"
ERROR = b"X"

PREFIX = struct.Struct(">cI")
#: A worker sends what it has serialised once this much has accumulated.
CHUNK = 64 * 1024


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    return PREFIX.pack(kind, len(payload)) + payload


def json_frame(kind: bytes, value: Any) -> bytes:
    return frame(kind, json.dumps(value, separators=(",", ":")).encode())
