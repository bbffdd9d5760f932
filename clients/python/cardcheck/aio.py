"""The asyncio client: one connection shared by every task, requests pipelined and matched by id."""
import asyncio
import itertools
from typing import Callable, Dict, Optional

from . import _wire
from ._wire import Frame, FrameReader
from .client import DEFAULT_SOCKET
from .types import (
    CardCheckError, ConnectionFailed, ProtocolError, ServerError, Timeout, ValidateRequest, ValidateResult, Hello,
    Interpretation, Stats, GeneratedCode, GeneratedAuthenticationValue, Verification,
)


class _ConnectionLost(Exception):
    pass


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.pending: Dict[int, "tuple[int, asyncio.Future]"] = {}
        self.closed = False
        # Why the connection closed; a request submitted after the close gets the server's refusal, as in client.py.
        self.failure: Exception = _ConnectionLost()
        self.task = asyncio.ensure_future(self._read())

    def submit(self, request_id: int, opcode: int, data: bytes) -> asyncio.Future:
        if self.closed:
            raise self.failure if isinstance(self.failure, ServerError) else _ConnectionLost()
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = (opcode, future)
        try:
            self.writer.write(data)
        except (OSError, RuntimeError):
            pass  # the reader delivers the server's refusal, or the EOF
        return future

    async def _read(self) -> None:
        frames = FrameReader()
        failure: Exception = _ConnectionLost()
        try:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    break
                for frame in frames.feed(data):
                    if frame.request_id == 0 and frame.opcode == _wire.ERROR:
                        failure = _wire.decode_error(frame)
                        continue
                    opcode, future = self.pending.get(frame.request_id, (None, None))
                    if future is None:
                        continue  # the answer to a request that timed out
                    if frame.opcode not in (opcode | 0x80, _wire.ERROR):
                        # Left pending: _fail gives it this error with the others.
                        raise ProtocolError(f"a response with opcode 0x{frame.opcode:02x} to a request 0x{opcode:02x}")
                    del self.pending[frame.request_id]
                    if future.done():
                        continue
                    future.set_result(frame)
        except ProtocolError as error:
            failure = error
        except (OSError, asyncio.IncompleteReadError):
            pass
        self._fail(failure)

    def _fail(self, error: Exception) -> None:
        if not self.closed:
            self.closed, self.failure = True, error
        waiting, self.pending = self.pending, {}
        for _, future in waiting.values():
            if not future.done():
                future.set_exception(error)
        self.writer.close()

    async def close(self) -> None:
        self._fail(_ConnectionLost())
        self.task.cancel()
        try:
            await self.task
        except (asyncio.CancelledError, Exception):
            pass


class AsyncClient:
    """The asyncio form of cardcheck.Client: the same operations, awaited. Use `async with`."""

    def __init__(self, path: str = DEFAULT_SOCKET, *, timeout: float = 5.0, attempts: int = 3):
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.path, self.timeout, self.attempts = path, timeout, max(1, attempts)
        self._connection: Optional[_Connection] = None
        self._connecting: Optional[asyncio.Lock] = None
        self._ids = itertools.count(1)
        self._closed = False
        self.reconnects = 0

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"cardcheck.AsyncClient({self.path!r})"

    async def close(self) -> None:
        self._closed = True
        connection, self._connection = self._connection, None
        if connection:
            await connection.close()

    async def validate(self, request: Optional[ValidateRequest] = None, *, timeout: Optional[float] = None,
                       **keys) -> ValidateResult:
        if request is None:
            request = ValidateRequest(**keys)
        elif keys:
            raise TypeError("give a ValidateRequest or keys, not both")
        return await self._call(_wire.VALIDATE, lambda rid: _wire.encode_validate(rid, request),
                                _wire.decode_validate, timeout)

    async def hello(self, client_name: str = "cardcheck-python", *, timeout: Optional[float] = None) -> Hello:
        return await self._call(_wire.HELLO, lambda rid: _wire.encode_hello(rid, client_name), _wire.decode_hello,
                                timeout)

    async def ping(self, payload: bytes = b"", *, timeout: Optional[float] = None) -> bytes:
        return await self._call(_wire.PING, lambda rid: _wire.encode_ping(rid, payload), _wire.decode_ping, timeout)

    async def interpret(self, avs: Optional[str] = None, csc: Optional[str] = None, *,
                        timeout: Optional[float] = None) -> Interpretation:
        return await self._call(_wire.INTERPRET, lambda rid: _wire.encode_interpret(rid, avs, csc),
                                _wire.decode_interpret, timeout)

    async def stats(self, *, timeout: Optional[float] = None) -> Stats:
        return await self._call(_wire.STATS, lambda rid: _wire.encode_stats(rid), _wire.decode_stats, timeout)

    async def metrics(self, *, timeout: Optional[float] = None) -> str:
        return await self._call(_wire.STATS, lambda rid: _wire.encode_stats(rid, True), _wire.decode_exposition,
                                timeout)

    async def generate_csc(self, pan: str, expiry: str, service_code: Optional[str] = None, *,
                           timeout: Optional[float] = None) -> GeneratedCode:
        return await self._call(_wire.CSC_GENERATE,
                                lambda rid: _wire.encode_csc(_wire.CSC_GENERATE, rid, pan, expiry, service_code),
                                _wire.decode_generated, timeout)

    async def generate_cavv(self, pan: str, three_ds_status: str, *, key_indicator: Optional[str] = None,
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
        return await self._call(_wire.CAVV_GENERATE, lambda rid: _wire.encode_cavv(_wire.CAVV_GENERATE, rid, values),
                          _wire.decode_generated_value, timeout)

    async def verify_cavv(self, pan: str, authentication_value: str, *,
                    timeout: Optional[float] = None) -> Verification:
        """Checks a CAVV or AAV (base64 of 20 bytes, or 40 hex digits) with the daemon's keys (CAVV_VERIFY): M with
        the key that matched, N, or U when no key covers the card and value."""
        values = dict(pan=pan, authentication_value=authentication_value)
        return await self._call(_wire.CAVV_VERIFY, lambda rid: _wire.encode_cavv(_wire.CAVV_VERIFY, rid, values),
                          _wire.decode_verification, timeout)

    async def verify_csc(self, pan: str, expiry: str, csc: str, service_code: Optional[str] = None, *,
                         timeout: Optional[float] = None) -> Verification:
        return await self._call(_wire.CSC_VERIFY,
                                lambda rid: _wire.encode_csc(_wire.CSC_VERIFY, rid, pan, expiry, service_code, csc),
                                _wire.decode_verification, timeout)

    def _next_id(self) -> int:
        request_id = next(self._ids)
        if request_id > 0xFFFFFFFF:
            self._ids = itertools.count(2)
            request_id = 1
        return request_id

    async def _connect(self, deadline: float) -> _Connection:
        loop = asyncio.get_running_loop()
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        delay = 0.02
        while True:
            async with self._connecting:
                if self._closed:
                    raise CardCheckError("the client is closed")
                previous = self._connection
                if previous is not None and not previous.closed:
                    return previous
                try:
                    remaining = max(0.01, deadline - loop.time())
                    reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(self.path), remaining)
                    self._connection = _Connection(reader, writer)
                    if previous is not None:
                        self.reconnects += 1
                    return self._connection
                except (OSError, asyncio.TimeoutError) as error:
                    reason = getattr(error, "strerror", None) or type(error).__name__
            if loop.time() + delay >= deadline:
                raise ConnectionFailed(f"cannot connect to {self.path}: {reason}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)

    async def _call(self, opcode: int, encode: Callable[[int], bytes], decode: Callable[[Frame], object],
                    timeout: Optional[float]):
        loop = asyncio.get_running_loop()
        limit = self.timeout if timeout is None else timeout
        deadline = loop.time() + limit
        for _ in range(self.attempts):
            connection = await self._connect(deadline)
            request_id = self._next_id()
            try:
                future = connection.submit(request_id, opcode, encode(request_id))
            except _ConnectionLost:
                continue
            try:
                frame = await asyncio.wait_for(asyncio.shield(future), max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                connection.pending.pop(request_id, None)
                raise Timeout(f"no answer from cardcheckd within {limit:g} s") from None
            except _ConnectionLost:
                continue
            if frame.opcode == _wire.ERROR:
                raise _wire.decode_error(frame)
            try:
                return decode(frame)
            except ProtocolError:
                await connection.close()
                raise
        raise ConnectionFailed(f"the connection to {self.path} broke {self.attempts} times")
