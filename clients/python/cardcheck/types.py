"""Requests, results and errors of the cardcheck client. No I/O here.

A request's repr never shows the PAN in full nor the security code; results carry only the masked PAN."""
import base64
import enum
from dataclasses import dataclass, field, fields
from typing import Optional, Tuple, Union

# The reasons in the order of Protocol/JSONLINES.md: bit n of the wire's reason mask is REASONS[n].
REASONS = (
    ("luhn_failed", "unionpay_luhn_failed", "brand_unknown", "length_invalid", "expiry_malformed", "expired",
     "expiry_too_far", "csc_not_provided")
    + tuple("csc_" + letter for letter in "DIMNPSUX")
    + tuple("avs_" + chr(ord("A") + index) for index in range(26))
    + ("funding_prepaid", "funding_debit", "funding_credit", "country_mismatch", "luhn_optional_failed")
    + ("three_ds_not_authenticated", "three_ds_rejected", "three_ds_unavailable", "three_ds_pending",
       "three_ds_eci_mismatch", "three_ds_value_missing", "three_ds_value_invalid", "three_ds_value_mismatch",
       "velocity_card", "velocity_bin")
)


def reason_name(bit: int) -> str:
    """The name of reason bit `bit`; a bit newer than this client is shown by its number."""
    return REASONS[bit] if bit < len(REASONS) else f"reason_{bit}"


class Action(enum.IntEnum):
    """The recommended action, least to most severe."""
    ACCEPT = 0
    REVIEW = 1
    RETRY = 2
    DECLINE = 3

    def __str__(self) -> str:
        return self.name.lower()


class ExpiryStatus(enum.IntEnum):
    VALID = 0
    MALFORMED = 1
    EXPIRED = 2
    TOO_FAR_AHEAD = 3


class CscPresence(enum.IntEnum):
    NOT_PROVIDED = 0
    PROVIDED = 1
    ILLEGIBLE = 2
    NOT_ON_CARD = 9

    def __str__(self) -> str:
        return self.name.lower()


class AvsFlag(enum.IntEnum):
    MATCH = 0
    NO_MATCH = 1
    NOT_CHECKED = 2
    NOT_SUPPORTED = 3


class Brand(str, enum.Enum):
    """The built-in brands of Protocol/JSONLINES.md. A brand this client does not know (one the server's
    brands file declares, or a newer built-in one) arrives as its name (str)."""
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMERICAN_EXPRESS = "american-express"
    DINERS_CLUB = "diners-club"
    DISCOVER = "discover"
    JCB = "jcb"
    UNIONPAY = "unionpay"
    MAESTRO = "maestro"
    ELO = "elo"
    MIR = "mir"
    HIPER = "hiper"
    HIPERCARD = "hipercard"
    NARANJA = "naranja"
    VERVE = "verve"
    TROY = "troy"
    DANKORT = "dankort"
    FORBRUGSFORENINGEN = "forbrugsforeningen"
    CABAL = "cabal"
    ALELO = "alelo"
    ALIA = "alia"
    VR = "vr"
    SODEXO = "sodexo"
    CARNET = "carnet"
    CARTES_BANCAIRES = "cartes-bancaires"
    OLIMPICA = "olimpica"
    CREDITEL = "creditel"
    CONFIABLE = "confiable"
    SYNCHRONY = "synchrony"
    ROUTEX = "routex"
    MADA = "mada"
    BP_PLUS = "bp-plus"
    PASSCARD = "passcard"
    EDENRED = "edenred"
    ANDA = "anda"
    TARJETA_D = "tarjeta-d"
    PANAL = "panal"
    UATP = "uatp"
    # Legacy names: only ever a legacy_brand, beside the live brand.
    SWITCH = "switch"
    SOLO = "solo"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def named(cls, name: str) -> Union["Brand", str]:
        try:
            return cls(name)
        except ValueError:
            return name


class Funding(str, enum.Enum):
    """How a card is funded, from the server's range file (wire: 1 to 5)."""
    CREDIT = "credit"
    DEBIT = "debit"
    PREPAID = "prepaid"
    CHARGE = "charge"
    DEFERRED_DEBIT = "deferred_debit"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def from_wire(cls, code: int) -> "Funding":
        return list(cls)[code - 1]


class ThreeDSResult(str, enum.Enum):
    """What the server made of a request's 3-D Secure data (wire: 1 to 8)."""
    AUTHENTICATED = "authenticated"
    ATTEMPTED = "attempted"
    NOT_AUTHENTICATED = "not_authenticated"
    UNAVAILABLE = "unavailable"
    REJECTED = "rejected"
    PENDING = "pending"
    INFORMATIONAL = "informational"
    INVALID = "invalid"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def from_wire(cls, code: int) -> "ThreeDSResult":
        return list(cls)[code - 1]


class CscResult(str, enum.Enum):
    """A card security code result letter: M match, N no match, P not processed, S should be on the card,
    U unavailable or no key, and the gateway letters D (suspicious), I (failed validation), X (no response);
    L: the card is locked by the daemon's velocity limits and the code was not checked."""
    D = "D"
    I = "I"  # noqa: E741 (the letter's name)
    M = "M"
    N = "N"
    P = "P"
    S = "S"
    U = "U"
    X = "X"
    L = "L"

    def __str__(self) -> str:
        return self.value


# An AVS result letter, A to Z (the meanings: Protocol/JSONLINES.md, `cardcheck interpret`).
AvsResult = enum.Enum("AvsResult", {chr(letter): chr(letter) for letter in range(ord("A"), ord("Z") + 1)},
                      type=str)
AvsResult.__str__ = lambda self: self.value
AvsResult.__doc__ = "An AVS result letter, A to Z: X Y A W Z N U R G domestic, D B P C I international."


class ErrorKind(enum.IntEnum):
    """The error kinds of Protocol/PROTOCOL.md."""
    MALFORMED = 1
    FRAME_TOO_LARGE = 2
    UNSUPPORTED_VERSION = 3
    UNKNOWN_OPERATION = 4
    MISSING_FIELD = 5
    INVALID_FIELD = 6
    OVERLOADED = 7
    NOT_PERMITTED = 8
    INTERNAL = 9
    RATE_LIMITED = 10

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def named(cls, number: int) -> Union["ErrorKind", int]:
        try:
            return cls(number)
        except ValueError:
            return number


class CardCheckError(Exception):
    """Every error this client raises. Messages never hold a PAN or a security code."""


class ServerError(CardCheckError):
    """cardcheckd answered with an error: its `kind`, stable `code`, the `field` at fault and a message."""

    def __init__(self, kind, code: str, field: Optional[str], message: str, request_id: int = 0,
                 retry_after_ms: Optional[int] = None):
        self.kind, self.code, self.field, self.message, self.request_id = kind, code, field, message, request_id
        # With `rate_limited`: milliseconds until the peer may send again.
        self.retry_after_ms = retry_after_ms
        super().__init__(f"{kind}: {code}" + (f" ({field})" if field else "") + (f": {message}" if message else ""))

    @property
    def closes_connection(self) -> bool:
        return self.request_id == 0 or self.kind in (ErrorKind.FRAME_TOO_LARGE, ErrorKind.OVERLOADED) or (
            self.code in ("malformed_stream", "not_permitted"))


class ProtocolError(CardCheckError):
    """A response this client cannot read: the connection is closed (the next call opens a new one)."""


class ConnectionFailed(CardCheckError):
    """cardcheckd could not be reached (or went away) within the request's time and attempts."""


class Timeout(CardCheckError, TimeoutError):
    """No answer within the request's timeout. The connection stays usable; a late answer is dropped."""


def _masked(pan: Optional[str]) -> Optional[str]:
    if pan is None:
        return None
    digits = "".join(c for c in pan if c.isdigit())
    return f"{digits[:6]}…{digits[-4:]}" if len(digits) >= 12 else "…"


@dataclass(frozen=True)
class ValidateRequest:
    """The JSON Lines request keys, and the two AVS options of the VALIDATE flags."""
    pan: Optional[str] = None
    expiry: Optional[str] = None
    csc: Optional[str] = field(default=None, repr=False)
    csc_indicator: Optional[int] = None
    street: Optional[str] = None
    postal_code: Optional[str] = None
    country: Optional[str] = None
    on_file_street: Optional[str] = None
    on_file_postal_code: Optional[str] = None
    on_file_country: Optional[str] = None
    # 3-D Secure as the gateway received it (Protocol/JSONLINES.md); the others need three_ds_status.
    three_ds_status: Optional[str] = None
    eci: Optional[str] = None
    authentication_value: Optional[str] = None
    three_ds_version: Optional[str] = None
    three_ds_status_reason: Optional[str] = None
    # The merchant's policy profile on the daemon (its `profiles` directory); None: the daemon's policy.
    profile: Optional[str] = None
    strict_street: bool = False
    international_avs: bool = False

    def __post_init__(self):
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "csc_indicator":
                if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 255):
                    raise TypeError("csc_indicator is an int (0, 1, 2 or 9)")
            elif item.name in ("strict_street", "international_avs"):
                if not isinstance(value, bool):
                    raise TypeError(f"{item.name} is a bool")
            elif value is not None and not isinstance(value, str):
                raise TypeError(f"{item.name} is a str")  # never the value: it may be a PAN or a code

    def __repr__(self) -> str:
        shown = [f"pan={_masked(self.pan)!r}"] if self.pan is not None else []
        if self.csc is not None:
            shown.append("csc=<hidden>")
        if self.authentication_value is not None:
            shown.append("authentication_value=<hidden>")  # a one-use cryptogram: not for logs either
        shown += [f"{item.name}={getattr(self, item.name)!r}" for item in fields(self)
                  if item.name not in ("pan", "csc", "authentication_value")
                  and getattr(self, item.name) not in (None, False)]
        return f"ValidateRequest({', '.join(shown)})"

    __str__ = __repr__


@dataclass(frozen=True)
class ValidateResult:
    """The JSON Lines result: the same keys and values (None where the check was not asked)."""
    masked_pan: Optional[str]
    luhn_valid: Optional[bool]
    brand: Optional[Union[Brand, str]]
    length_valid: Optional[bool]
    expiry: Optional[ExpiryStatus]
    csc_presence: Optional[CscPresence]
    csc_format_valid: Optional[bool]
    csc_result: Optional[CscResult]
    avs_result: Optional[AvsResult]
    avs_street_match: Optional[bool]
    avs_postal_match: Optional[bool]
    action: Action
    reasons: Tuple[str, ...]
    # From the server's card data (built-in legacy names, and its range file): None when not known.
    legacy_brand: Optional[Union[Brand, str]] = None
    issuer_country: Optional[str] = None
    funding: Optional[Funding] = None
    product: Optional[str] = None
    issuer: Optional[str] = None
    networks: Optional[Tuple[Union[Brand, str], ...]] = None
    # With 3-D Secure data in the request: None without.
    three_ds_result: Optional[ThreeDSResult] = None
    liability_shift: Optional[bool] = None
    # The authentication value checked with the issuer's key: "M", "N", "U" (no key); None without one.
    authentication_value_result: Optional[str] = None

    @property
    def expiry_valid(self) -> Optional[bool]:
        return None if self.expiry is None else self.expiry == ExpiryStatus.VALID

    def as_dict(self) -> dict:
        """Exactly the JSON Lines result object (Protocol/JSONLINES.md): its keys, in order, and values."""
        return {
            "masked_pan": self.masked_pan,
            "luhn_valid": self.luhn_valid,
            "brand": None if self.brand is None else str(self.brand),
            "legacy_brand": None if self.legacy_brand is None else str(self.legacy_brand),
            "length_valid": self.length_valid,
            "issuer_country": self.issuer_country,
            "funding": None if self.funding is None else str(self.funding),
            "product": self.product,
            "issuer": self.issuer,
            "networks": None if self.networks is None else [str(network) for network in self.networks],
            "expiry_valid": self.expiry_valid,
            "csc_presence": None if self.csc_presence is None else str(self.csc_presence),
            "csc_format_valid": self.csc_format_valid,
            "csc_result": None if self.csc_result is None else str(self.csc_result),
            "avs_result": None if self.avs_result is None else str(self.avs_result),
            "avs_street_match": self.avs_street_match,
            "avs_postal_match": self.avs_postal_match,
            "three_ds_result": None if self.three_ds_result is None else str(self.three_ds_result),
            "liability_shift": self.liability_shift,
            "authentication_value_result": self.authentication_value_result,
            "action": str(self.action),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Hello:
    server_name: Optional[str]
    server_version: Optional[str]
    protocol_version: int
    max_frame: int
    max_in_flight: int


@dataclass(frozen=True)
class Interpretation:
    avs_meaning: Optional[str]
    avs_street: Optional[AvsFlag]
    avs_postal: Optional[AvsFlag]
    avs_action: Optional[Action]
    avs_advice: Optional[str]
    csc_meaning: Optional[str]
    csc_action: Optional[Action]
    csc_advice: Optional[str]
    action: Action


@dataclass(frozen=True)
class Stats:
    uptime_seconds: Optional[int]
    open_connections: Optional[int]
    connections_accepted: Optional[int]
    connections_refused: Optional[int]
    requests: Optional[int]
    validate_requests: Optional[int]
    errors: Optional[int]
    worker_queues: Optional[int]


@dataclass(frozen=True)
class GeneratedCode:
    """A code made with the issuer's key. Its repr hides the code."""
    code: str = field(repr=False)
    key: Optional[str]
    kcv: Optional[str]


@dataclass(frozen=True)
class GeneratedAuthenticationValue:
    """A 3-D Secure authentication value (Visa CAVV, Mastercard SPA AAV) made with the issuer's key: base64
    of its 20 bytes. Its repr names the key, never the value."""
    authentication_value: str = field(repr=False)
    key: Optional[str]
    kcv: Optional[str]

    @property
    def value_bytes(self) -> bytes:
        return base64.b64decode(self.authentication_value)

    @property
    def hex(self) -> str:
        return self.value_bytes.hex().upper()


@dataclass(frozen=True)
class Verification:
    """`M` match, `N` no match, `U` no key covers the card; with `M`, the key that matched."""
    result: CscResult
    key: Optional[str] = None
    kcv: Optional[str] = None

    @property
    def matched(self) -> bool:
        return self.result == "M"
