"""The blocking client: one connection shared by every thread, requests pipelined and matched by id."""
import itertools
import socket
import threading
import time
from typing import Callable, Dict, Optional

from . import _wire
from ._wire import Frame, FrameReader
from .types import (
    CardCheckError, ConnectionFailed, ProtocolError, ServerError, Timeout, ValidateRequest, ValidateResult,
    Hello, Interpretation, Stats, GeneratedCode, GeneratedAuthenticationValue, Verification,
)

DEFAULT_SOCKET = "run/cardcheck.sock"


class _ConnectionLost(Exception):
    """The connection closed before the answer: the request is resent on a new one (all are idempotent)."""


class _Pending:
    __slots__ = ("opcode", "done", "frame", "error")

    def __init__(self, opcode: int):
        self.opcode, self.done, self.frame, self.error = opcode, threading.Event(), None, None


class _Connection:
    """A socket, its reader thread and the requests waiting on it."""

    def __init__(self, path: str, timeout: float):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except BaseException:
            self.sock.close()
            raise
        self.sock.settimeout(None)
        self.pending: Dict[int, _Pending] = {}
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.closed = False
        # Why the connection closed. A request submitted after the close gets the server's refusal (which can
        # arrive before the first write); after anything else it is sent again on a new connection.
        self.failure: Exception = _ConnectionLost()
        self.reader = threading.Thread(target=self._read, name="cardcheck-reader", daemon=True)
        self.reader.start()

    def submit(self, request_id: int, opcode: int, data: bytes) -> _Pending:
        pending = _Pending(opcode)
        with self.lock:
            if self.closed:
                raise self.failure if isinstance(self.failure, ServerError) else _ConnectionLost()
            self.pending[request_id] = pending
        try:
            with self.write_lock:
                self.sock.sendall(data)
        except OSError:
            # The server may have refused us before we wrote: the reader will deliver its error, or the EOF.
            pass
        return pending

    def forget(self, request_id: int) -> None:
        with self.lock:
            self.pending.pop(request_id, None)

    def _read(self) -> None:
        reader = FrameReader()
        failure: Exception = _ConnectionLost()
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                for frame in reader.feed(data):
                    if frame.request_id == 0 and frame.opcode == _wire.ERROR:
                        failure = _wire.decode_error(frame)  # a refusal or a broken stream: the server closes
                        continue
                    with self.lock:
                        pending = self.pending.get(frame.request_id)
                        if pending is None:
                            continue  # the answer to a request that timed out
                        if frame.opcode not in (pending.opcode | 0x80, _wire.ERROR):
                            # Left pending: _fail gives it this error with the others.
                            raise ProtocolError(
                                f"a response with opcode 0x{frame.opcode:02x} to a request 0x{pending.opcode:02x}")
                        del self.pending[frame.request_id]
                    pending.frame = frame
                    pending.done.set()
        except ProtocolError as error:
            failure = error
        except OSError:
            pass
        self._fail(failure)
        self.sock.close()

    def _fail(self, error: Exception) -> None:
        with self.lock:
            if not self.closed:
                self.closed, self.failure = True, error
            waiting, self.pending = self.pending, {}
        for pending in waiting.values():
            pending.error = error
            pending.done.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        self._fail(_ConnectionLost())
        self.reader.join(timeout=5)
        self.sock.close()


class Client:
    """A blocking client of cardcheckd, safe to share between threads.

    Every call has a timeout (`timeout` seconds by default). A connection that breaks is reopened and the
    request sent again, up to `attempts` times within the timeout: every operation is idempotent. Errors
    are CardCheckError subclasses: ServerError (cardcheckd's answer), Timeout, ConnectionFailed,
    ProtocolError."""

    def __init__(self, path: str = DEFAULT_SOCKET, *, timeout: float = 5.0, attempts: int = 3):
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.path, self.timeout, self.attempts = path, timeout, max(1, attempts)
        self._lock = threading.Lock()
        self._connection: Optional[_Connection] = None
        self._ids = itertools.count(1)
        self._closed = False
        self.reconnects = 0

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"cardcheck.Client({self.path!r})"

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connection, self._connection = self._connection, None
        if connection:
            connection.close()

    # Operations

    def validate(self, request: Optional[ValidateRequest] = None, *, timeout: Optional[float] = None,
                 **keys) -> ValidateResult:
        """Checks a card: `validate(pan=..., expiry=..., csc=..., postal_code=...)` with the JSON Lines
        request keys (and `strict_street`, `international_avs`), or `validate(ValidateRequest(...))`."""
        if request is None:
            request = ValidateRequest(**keys)
        elif keys:
            raise TypeError("give a ValidateRequest or keys, not both")
        return self._call(_wire.VALIDATE, lambda rid: _wire.encode_validate(rid, request), _wire.decode_validate, timeout)

    def hello(self, client_name: str = "cardcheck-python", *, timeout: Optional[float] = None) -> Hello:
        return self._call(_wire.HELLO, lambda rid: _wire.encode_hello(rid, client_name), _wire.decode_hello, timeout)

    def ping(self, payload: bytes = b"", *, timeout: Optional[float] = None) -> bytes:
        return self._call(_wire.PING, lambda rid: _wire.encode_ping(rid, payload), _wire.decode_ping, timeout)

    def interpret(self, avs: Optional[str] = None, csc: Optional[str] = None, *,
                  timeout: Optional[float] = None) -> Interpretation:
        return self._call(_wire.INTERPRET, lambda rid: _wire.encode_interpret(rid, avs, csc),
                          _wire.decode_interpret, timeout)

    def stats(self, *, timeout: Optional[float] = None) -> Stats:
        return self._call(_wire.STATS, lambda rid: _wire.encode_stats(rid), _wire.decode_stats, timeout)

    def metrics(self, *, timeout: Optional[float] = None) -> str:
        """The daemon's metrics in the Prometheus text format."""
        return self._call(_wire.STATS, lambda rid: _wire.encode_stats(rid, True), _wire.decode_exposition, timeout)

    def generate_csc(self, pan: str, expiry: str, service_code: Optional[str] = None, *,
                     timeout: Optional[float] = None) -> GeneratedCode:
        return self._call(_wire.CSC_GENERATE,
                          lambda rid: _wire.encode_csc(_wire.CSC_GENERATE, rid, pan, expiry, service_code),
                          _wire.decode_generated, timeout)

    def generate_cavv(self, pan: str, three_ds_status: str, *, key_indicator: Optional[str] = None,
                      transaction_number: Optional[str] = None, second_factor: Optional[str] = None,
                      merchant_name: Optional[str] = None, acs_id: Optional[str] = None,
                      authentication_method: Optional[str] = None,
                      timeout: Optional[float] = None) -> GeneratedAuthenticationValue:
        """Makes a 3-D Secure authentication value with the daemon's key for the card's range (CAVV_GENERATE;
        the peer must be listed in cavv_generate_users or cavv_generate_groups): a Visa CAVV or a Mastercard SPA
        AAV for status `Y` or `A`. Unset fields take the defaults PROTOCOL.md gives (the range's first key, a
        random tracking or sequence number)."""
        values = dict(pan=pan, three_ds_status=three_ds_status, key_indicator=key_indicator,
                      transaction_number=transaction_number, second_factor=second_factor,
                      merchant_name=merchant_name, acs_id=acs_id, authentication_method=authentication_method)
        return self._call(_wire.CAVV_GENERATE, lambda rid: _wire.encode_cavv(_wire.CAVV_GENERATE, rid, values),
                          _wire.decode_generated_value, timeout)

    def verify_cavv(self, pan: str, authentication_value: str, *,
                    timeout: Optional[float] = None) -> Verification:
        """Checks a CAVV or AAV (base64 of 20 bytes, or 40 hex digits) with the daemon's keys (CAVV_VERIFY): M with
        the key that matched, N, or U when no key covers the card and value."""
        values = dict(pan=pan, authentication_value=authentication_value)
        return self._call(_wire.CAVV_VERIFY, lambda rid: _wire.encode_cavv(_wire.CAVV_VERIFY, rid, values),
                          _wire.decode_verification, timeout)

    def verify_csc(self, pan: str, expiry: str, csc: str, service_code: Optional[str] = None, *,
                   timeout: Optional[float] = None) -> Verification:
        return self._call(_wire.CSC_VERIFY,
                          lambda rid: _wire.encode_csc(_wire.CSC_VERIFY, rid, pan, expiry, service_code, csc),
                          _wire.decode_verification, timeout)

    # The machinery

    def _next_id(self) -> int:
        with self._lock:
            request_id = next(self._ids)
            if request_id > 0xFFFFFFFF:
                self._ids = itertools.count(2)
                request_id = 1
            return request_id

    def _connect(self, deadline: float) -> _Connection:
        delay = 0.02
        while True:
            with self._lock:
                if self._closed:
                    raise CardCheckError("the client is closed")
                connection = self._connection
                if connection is not None and not connection.closed:
                    return connection
                try:
                    self._connection = _Connection(self.path, max(0.01, deadline - time.monotonic()))
                    if connection is not None:
                        self.reconnects += 1
                    return self._connection
                except OSError as error:
                    reason = error.strerror or type(error).__name__
            if time.monotonic() + delay >= deadline:
                raise ConnectionFailed(f"cannot connect to {self.path}: {reason}")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _call(self, opcode: int, encode: Callable[[int], bytes], decode: Callable[[Frame], object],
              timeout: Optional[float]):
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        for attempt in range(self.attempts):
            connection = self._connect(deadline)
            request_id = self._next_id()
            try:
                pending = connection.submit(request_id, opcode, encode(request_id))
            except _ConnectionLost:
                continue
            if not pending.done.wait(max(0.0, deadline - time.monotonic())):
                connection.forget(request_id)
                raise Timeout(f"no answer from cardcheckd within {limit:g} s")
            if isinstance(pending.error, _ConnectionLost):
                continue
            if pending.error is not None:
                raise pending.error
            if pending.frame.opcode == _wire.ERROR:
                raise _wire.decode_error(pending.frame)
            try:
                return decode(pending.frame)
            except ProtocolError:
                connection.close()
                raise
        raise ConnectionFailed(f"the connection to {self.path} broke {self.attempts} times")
