"""The binary protocol of Protocol/PROTOCOL.md: frames, fields and the operations' codecs. No sockets."""
import base64
import struct
from typing import Dict, List, NamedTuple, Optional, Tuple

from .types import (
    Action, AvsResult, Brand, CscResult, Funding, ThreeDSResult, ErrorKind, ExpiryStatus, CscPresence, AvsFlag, ProtocolError,
    ServerError, reason_name,
    ValidateRequest, ValidateResult, Hello, Interpretation, Stats, GeneratedCode, GeneratedAuthenticationValue, Verification,
    REASONS,
)

VERSION = 0xC1
HEADER = struct.Struct(">IBBHI")  # length, version, opcode, flags, request id
HELLO, PING, VALIDATE, INTERPRET, STATS, CSC_GENERATE, CSC_VERIFY, CAVV_GENERATE, CAVV_VERIFY = 1, 2, 3, 4, 5, 6, 7, 8, 9
ERROR = 0xFF
OPERATIONS = {HELLO, PING, VALIDATE, INTERPRET, STATS, CSC_GENERATE, CSC_VERIFY, CAVV_GENERATE, CAVV_VERIFY}

# VALIDATE request tags, in the order they are written.
VALIDATE_TAGS = (
    ("pan", 0x01), ("expiry", 0x02), ("csc", 0x03), ("csc_indicator", 0x04),
    ("street", 0x10), ("postal_code", 0x11), ("country", 0x12),
    ("on_file_street", 0x20), ("on_file_postal_code", 0x21), ("on_file_country", 0x22),
    ("three_ds_status", 0x30), ("eci", 0x31), ("authentication_value", 0x32), ("three_ds_version", 0x33),
    ("three_ds_status_reason", 0x34), ("profile", 0x40),
)
FLAG_STRICT_STREET, FLAG_INTERNATIONAL_AVS, FLAG_PROMETHEUS = 0x0001, 0x0002, 0x0001


class Frame(NamedTuple):
    version: int
    opcode: int
    flags: int
    request_id: int
    fields: List[Tuple[int, bytes]]


def field(tag: int, value: bytes) -> bytes:
    if len(value) > 0xFFFF:
        raise ValueError("a field value is at most 65,535 bytes")
    return struct.pack(">BH", tag, len(value)) + value


def frame(opcode: int, request_id: int, body: bytes = b"", flags: int = 0) -> bytes:
    return HEADER.pack(8 + len(body), VERSION, opcode, flags, request_id) + body


def text(value: str) -> bytes:
    return value.encode("utf-8")


def encode_validate(request_id: int, request: ValidateRequest) -> bytes:
    body = bytearray()
    for name, tag in VALIDATE_TAGS:
        value = getattr(request, name)
        if value is None:
            continue
        body += field(tag, bytes([value]) if name == "csc_indicator" else text(value))
    flags = (FLAG_STRICT_STREET if request.strict_street else 0) | (
        FLAG_INTERNATIONAL_AVS if request.international_avs else 0)
    return frame(VALIDATE, request_id, bytes(body), flags)


def encode_hello(request_id: int, client_name: str, highest_version: int = 1) -> bytes:
    return frame(HELLO, request_id, field(1, text(client_name)) + field(2, bytes([highest_version])))


def encode_ping(request_id: int, payload: bytes = b"") -> bytes:
    if len(payload) > 256:
        raise ValueError("a PING payload is at most 256 bytes")
    return frame(PING, request_id, field(1, payload) if payload else b"")


def encode_interpret(request_id: int, avs: Optional[str], csc: Optional[str]) -> bytes:
    body = (field(1, text(avs)) if avs is not None else b"") + (field(2, text(csc)) if csc is not None else b"")
    return frame(INTERPRET, request_id, body)


def encode_stats(request_id: int, prometheus: bool = False) -> bytes:
    return frame(STATS, request_id, b"", FLAG_PROMETHEUS if prometheus else 0)


def encode_csc(opcode: int, request_id: int, pan: str, expiry: str, service_code: Optional[str],
               csc: Optional[str] = None) -> bytes:
    body = field(1, text(pan)) + field(2, text(expiry))
    if service_code is not None:
        body += field(3, text(service_code))
    if csc is not None:
        body += field(4, text(csc))
    return frame(opcode, request_id, body)


# CAVV_GENERATE and CAVV_VERIFY request fields, in tag order (PROTOCOL.md).
CAVV_FIELDS = ("pan", "authentication_value", "three_ds_status", "key_indicator", "transaction_number",
               "second_factor", "merchant_name", "acs_id", "authentication_method")


def encode_cavv(opcode: int, request_id: int, values: dict) -> bytes:
    """A CAVV operation's request: each field of `values` that is not None, as text."""
    body = b"".join(field(tag, text(values[name])) for tag, name in enumerate(CAVV_FIELDS, start=1)
                    if values.get(name) is not None)
    return frame(opcode, request_id, body)


class FrameReader:
    """Splits a byte stream into frames. A frame over `maximum` bytes, under the 8-byte header or without
    the 0xC magic is a ProtocolError: the stream cannot be trusted any more."""

    def __init__(self, maximum: int = 1 << 24):
        self.buffer = bytearray()
        self.maximum = maximum

    def feed(self, data: bytes) -> List[Frame]:
        self.buffer += data
        frames = []
        while len(self.buffer) >= 4:
            (length,) = struct.unpack_from(">I", self.buffer)
            if length < 8 or length > self.maximum:
                raise ProtocolError(f"a response frame of {length} bytes")
            if len(self.buffer) < 4 + length:
                break
            version, opcode, flags, request_id = struct.unpack_from(">BBHI", self.buffer, 4)
            if version >> 4 != 0xC:
                raise ProtocolError(f"a response without the protocol's magic (version byte 0x{version:02x})")
            frames.append(Frame(version, opcode, flags, request_id, parse_fields(bytes(self.buffer[12:4 + length]))))
            del self.buffer[:4 + length]
        return frames


def parse_fields(body: bytes) -> List[Tuple[int, bytes]]:
    fields, offset = [], 0
    while offset < len(body):
        if offset + 3 > len(body):
            raise ProtocolError("a response field header runs past its frame")
        tag, length = struct.unpack_from(">BH", body, offset)
        offset += 3
        if offset + length > len(body):
            raise ProtocolError("a response field runs past its frame")
        fields.append((tag, body[offset:offset + length]))
        offset += length
    return fields


def _fields(frame: Frame) -> Dict[int, bytes]:
    result = {}
    for tag, value in frame.fields:
        if tag in result:
            raise ProtocolError(f"response field 0x{tag:02x} appears twice")
        result[tag] = value
    return result


def _u(value: bytes, size: int, name: str) -> int:
    if len(value) != size:
        raise ProtocolError(f"response field {name} is {len(value)} bytes, not {size}")
    return int.from_bytes(value, "big")


def _bool(value: Optional[bytes], name: str) -> Optional[bool]:
    if value is None:
        return None
    number = _u(value, 1, name)
    if number > 1:
        raise ProtocolError(f"response field {name} is not a boolean")
    return number == 1


def _text(value: Optional[bytes], name: str) -> Optional[str]:
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(f"response field {name} is not UTF-8") from None


def _enum(kind, value: Optional[bytes], name: str):
    if value is None:
        return None
    try:
        return kind(_u(value, 1, name))
    except ValueError:
        raise ProtocolError(f"response field {name} has an unknown value") from None


def _letter(value: Optional[bytes], name: str) -> Optional[str]:
    letter = _text(value, name)
    if letter is not None and (len(letter) != 1 or not letter.isalpha()):
        raise ProtocolError(f"response field {name} is not one letter")
    return letter


def _enum_letter(kind, value: Optional[bytes], name: str):
    letter = _letter(value, name)
    if letter is None:
        return None
    try:
        return kind(letter)
    except ValueError:
        raise ProtocolError(f"response field {name} is not a result letter") from None


def decode_error(frame: Frame) -> ServerError:
    f = _fields(frame)
    if 1 not in f or 2 not in f:
        raise ProtocolError("an error response without its kind or code")
    kind = _u(f[1], 1, "kind")
    retry_after = _u(f[5], 4, "retry_after_ms") if 5 in f else None
    return ServerError(ErrorKind.named(kind), _text(f[2], "code"), _text(f.get(3), "field"),
                       _text(f.get(4), "message") or "", frame.request_id, retry_after)


def decode_validate(frame: Frame) -> ValidateResult:
    f = _fields(frame)
    if 0x0C not in f or 0x0D not in f:
        raise ProtocolError("a VALIDATE response without its action or reasons")
    mask = _u(f[0x0D], 8, "reasons")
    brand = _text(f.get(0x03), "brand")
    legacy = _text(f.get(0x0E), "legacy_brand")
    funding = f.get(0x10)
    if funding is not None and not 1 <= _u(funding, 1, "funding") <= len(Funding):
        raise ProtocolError("response field funding has an unknown value")
    networks = _text(f.get(0x13), "networks")
    three_ds = f.get(0x14)
    if three_ds is not None and not 1 <= _u(three_ds, 1, "three_ds_result") <= len(ThreeDSResult):
        raise ProtocolError("response field three_ds_result has an unknown value")
    return ValidateResult(
        masked_pan=_text(f.get(0x01), "masked_pan"),
        luhn_valid=_bool(f.get(0x02), "luhn_valid"),
        brand=Brand.named(brand) if brand is not None else None,
        length_valid=_bool(f.get(0x04), "length_valid"),
        expiry=_enum(ExpiryStatus, f.get(0x05), "expiry"),
        csc_presence=_enum(CscPresence, f.get(0x06), "csc_presence"),
        csc_format_valid=_bool(f.get(0x07), "csc_format_valid"),
        csc_result=_enum_letter(CscResult, f.get(0x08), "csc_result"),
        avs_result=_enum_letter(AvsResult, f.get(0x09), "avs_result"),
        avs_street_match=_bool(f.get(0x0A), "avs_street_match"),
        avs_postal_match=_bool(f.get(0x0B), "avs_postal_match"),
        action=_enum(Action, f[0x0C], "action"),
        reasons=tuple(reason_name(bit) for bit in range(64) if mask >> bit & 1),
        legacy_brand=Brand.named(legacy) if legacy is not None else None,
        issuer_country=_text(f.get(0x0F), "issuer_country"),
        funding=None if funding is None else Funding.from_wire(funding[0]),
        product=_text(f.get(0x11), "product"),
        issuer=_text(f.get(0x12), "issuer"),
        networks=None if networks is None else tuple(Brand.named(name) for name in networks.split(";")),
        three_ds_result=None if three_ds is None else ThreeDSResult.from_wire(three_ds[0]),
        liability_shift=_bool(f.get(0x15), "liability_shift"),
        authentication_value_result=_value_letter(f.get(0x16)),
    )


def _value_letter(raw: Optional[bytes]) -> Optional[str]:
    if raw is None:
        return None
    letter = _text(raw, "authentication_value_result")
    if letter not in ("M", "N", "U"):
        raise ProtocolError("response field authentication_value_result is not M, N or U")
    return letter


def decode_hello(frame: Frame) -> Hello:
    f = _fields(frame)
    return Hello(_text(f.get(1), "server_name"), _text(f.get(2), "server_version"),
                 _u(f.get(3, b"\0"), 1, "protocol_version"), _u(f.get(4, bytes(4)), 4, "max_frame"),
                 _u(f.get(5, bytes(4)), 4, "max_in_flight"))


def decode_ping(frame: Frame) -> bytes:
    return _fields(frame).get(1, b"")


def decode_interpret(frame: Frame) -> Interpretation:
    f = _fields(frame)
    if 0x20 not in f:
        raise ProtocolError("an INTERPRET response without its action")
    return Interpretation(
        avs_meaning=_text(f.get(0x01), "avs_meaning"), avs_street=_enum(AvsFlag, f.get(0x02), "avs_street"),
        avs_postal=_enum(AvsFlag, f.get(0x03), "avs_postal"), avs_action=_enum(Action, f.get(0x04), "avs_action"),
        avs_advice=_text(f.get(0x05), "avs_advice"), csc_meaning=_text(f.get(0x10), "csc_meaning"),
        csc_action=_enum(Action, f.get(0x11), "csc_action"), csc_advice=_text(f.get(0x12), "csc_advice"),
        action=_enum(Action, f[0x20], "action"),
    )


STATS_NAMES = ("uptime_seconds", "open_connections", "connections_accepted", "connections_refused",
               "requests", "validate_requests", "errors", "worker_queues")


def decode_stats(frame: Frame) -> Stats:
    f = _fields(frame)
    return Stats(**{name: _u(f[tag], 8, name) if tag in f else None for tag, name in enumerate(STATS_NAMES, 1)})


def decode_exposition(frame: Frame) -> str:
    return _text(_fields(frame).get(0x20, b""), "exposition")


def decode_generated(frame: Frame) -> GeneratedCode:
    f = _fields(frame)
    if 1 not in f:
        raise ProtocolError("a CSC_GENERATE response without its code")
    return GeneratedCode(_text(f[1], "code"), _text(f.get(2), "key"), _text(f.get(3), "kcv"))


def decode_generated_value(frame: Frame) -> GeneratedAuthenticationValue:
    f = _fields(frame)
    if 1 not in f:
        raise ProtocolError("a CAVV_GENERATE response without its value")
    value = GeneratedAuthenticationValue(_text(f[1], "authentication_value"), _text(f.get(2), "key"),
                                         _text(f.get(3), "kcv"))
    try:
        size = len(base64.b64decode(value.authentication_value, validate=True))
    except ValueError:
        size = -1
    if size != 20:
        raise ProtocolError("a CAVV_GENERATE response whose value is not the base64 of 20 bytes")
    return value


def decode_verification(frame: Frame) -> Verification:
    f = _fields(frame)
    result = _letter(f.get(4), "result")
    if result not in ("M", "N", "U", "L"):
        raise ProtocolError("a CSC_VERIFY or CAVV_VERIFY response without M, N, U or L")
    return Verification(CscResult(result), _text(f.get(2), "key"), _text(f.get(3), "kcv"))
