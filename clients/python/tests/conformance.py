#!/usr/bin/env python3
"""The Python client against Protocol/vectors and a live cardcheckd (run by clients/test/run).

Environment: CARDCHECK_SOCKET (a daemon holding wire.json's keys, CSC_GENERATE allowed), CARDCHECK_VECTORS
(Protocol/vectors), CARDCHECK_CARDS and CARDCHECK_EXPECTED (generated requests and the lines
`cardcheck validate --local --keys` gives them), CARDCHECK_RESTART (a command that restarts the daemon)."""
import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

if not os.environ.get("CARDCHECK_INSTALLED"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import cardcheck  # noqa: E402
from cardcheck import _wire  # noqa: E402

FAILURES, CHECKS = [], [0]
JSON_ONLY_ERRORS = {"invalid_json", "not_an_object", "unknown_key", "wrong_type"}


def check(condition, what):
    CHECKS[0] += 1
    if not condition:
        FAILURES.append(what)
        print("FAIL", what, file=sys.stderr)


def line(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def error_line(error: cardcheck.ServerError) -> str:
    return line({"error": {"code": error.code, "field": error.field, "message": error.message}})


# What a vector's meaning asks, as a typed call of the client, and what its answer means.

def typed_call(meaning):
    """(opcode, encode(request_id), call(client) or coroutine maker) for a vector a client can send, else None."""
    names = [f["name"] for f in meaning["fields"]]
    if (meaning["version"] != _wire.VERSION or meaning["opcode"] not in _wire.OPERATIONS
            or "frame_length" in meaning or len(set(names)) != len(names)
            or any("length" in f or f["name"] == "(unknown)" for f in meaning["fields"])):
        return None
    values = {f["name"]: f["value"] for f in meaning["fields"]}
    op, flags = meaning["opcode"], meaning["flags"]
    if op == _wire.VALIDATE:
        if any(f["name"] == "csc_indicator" and f["type"] != "u8" for f in meaning["fields"]):
            return None
        request = cardcheck.ValidateRequest(**values, strict_street=bool(flags & 1), international_avs=bool(flags & 2))
        return (lambda rid: _wire.encode_validate(rid, request)), (lambda c: c.validate(request))
    if op == _wire.HELLO:
        return (lambda rid: _wire.encode_hello(rid, values["client_name"], values["highest_version"])), (
            lambda c: c.hello(values["client_name"]))
    if op == _wire.PING:
        payload = values.get("payload", "").encode()
        return (lambda rid: _wire.encode_ping(rid, payload)), (lambda c: c.ping(payload))
    if op == _wire.INTERPRET:
        avs, csc = values.get("avs"), values.get("csc")
        return (lambda rid: _wire.encode_interpret(rid, avs, csc)), (lambda c: c.interpret(avs, csc))
    if op == _wire.STATS:
        return (lambda rid: _wire.encode_stats(rid, bool(flags & 1))), (
            lambda c: c.metrics() if flags & 1 else c.stats())
    if op in (_wire.CAVV_GENERATE, _wire.CAVV_VERIFY):
        if values.get("pan") is None:
            return None  # the typed API cannot leave out a required field
        if op == _wire.CAVV_VERIFY:
            if values.get("authentication_value") is None:
                return None
            return (lambda rid: _wire.encode_cavv(op, rid, values)), (
                lambda c: c.verify_cavv(values["pan"], values["authentication_value"]))
        if values.get("three_ds_status") is None:
            return None
        options = {name: values.get(name) for name in _wire.CAVV_FIELDS[3:]}
        return (lambda rid: _wire.encode_cavv(op, rid, values)), (
            lambda c: c.generate_cavv(values["pan"], values["three_ds_status"], **options))
    pan, expiry, service, csc = values.get("pan"), values.get("expiry"), values.get("service_code"), values.get("csc")
    if pan is None or expiry is None or (op == _wire.CSC_VERIFY and csc is None):
        return None  # the typed API cannot leave out a required field
    if op == _wire.CSC_GENERATE:
        return (lambda rid: _wire.encode_csc(op, rid, pan, expiry, service)), (
            lambda c: c.generate_csc(pan, expiry, service))
    return (lambda rid: _wire.encode_csc(op, rid, pan, expiry, service, csc)), (
        lambda c: c.verify_csc(pan, expiry, csc, service))


def expected_answer(meaning):
    """The answer a response meaning describes, in the client's terms: a dict of attribute values, or an
    error (kind, code, field, message)."""
    values = {f["name"]: f.get("means", f["value"]) for f in meaning["fields"]}
    if meaning["opcode"] == _wire.ERROR:
        return ("error", values["kind"], values["code"], values.get("field"), values.get("message", ""))
    op = meaning["opcode"] & 0x7F
    if op == _wire.VALIDATE:
        expiry = values.get("expiry")
        return {"masked_pan": values.get("masked_pan"), "luhn_valid": values.get("luhn_valid"),
                "brand": values.get("brand"), "legacy_brand": values.get("legacy_brand"),
                "length_valid": values.get("length_valid"), "issuer_country": values.get("issuer_country"),
                "funding": values.get("funding"), "product": values.get("product"), "issuer": values.get("issuer"),
                "networks": None if values.get("networks") is None else values["networks"].split(";"),
                "expiry_valid": None if expiry is None else expiry == "valid",
                "csc_presence": values.get("csc_presence"), "csc_format_valid": values.get("csc_format_valid"),
                "csc_result": values.get("csc_result"), "avs_result": values.get("avs_result"),
                "avs_street_match": values.get("avs_street_match"), "avs_postal_match": values.get("avs_postal_match"),
                "three_ds_result": values.get("three_ds_result"), "liability_shift": values.get("liability_shift"),
                "authentication_value_result": values.get("authentication_value_result"),
                "action": values["action"], "reasons": values["reasons"]}
    if op == _wire.PING:
        return {"payload": values.get("payload", "")}
    if op == _wire.STATS:
        return None  # the server's counters at that moment
    return values


def actual_answer(answer):
    if isinstance(answer, cardcheck.ServerError):
        return ("error", str(answer.kind), answer.code, answer.field, answer.message)
    if isinstance(answer, cardcheck.ValidateResult):
        return answer.as_dict()
    if isinstance(answer, bytes):
        return {"payload": answer.decode()}
    if isinstance(answer, (cardcheck.Interpretation,)):
        return {k: (v.name.lower() if hasattr(v, "name") else v) for k, v in vars(answer).items() if v is not None}
    if isinstance(answer, (cardcheck.Hello, cardcheck.GeneratedCode, cardcheck.GeneratedAuthenticationValue,
                           cardcheck.Verification)):
        return {k: (str(v) if isinstance(v, cardcheck.CscResult) else v) for k, v in vars(answer).items()
                if v is not None}
    return answer


def decoded(frame_hex: str, request_opcode: int):
    frame = _wire.FrameReader().feed(bytes.fromhex(frame_hex))[0]
    if frame.opcode == _wire.ERROR:
        return _wire.decode_error(frame)
    return {
        _wire.VALIDATE: _wire.decode_validate, _wire.HELLO: _wire.decode_hello, _wire.PING: _wire.decode_ping,
        _wire.INTERPRET: _wire.decode_interpret, _wire.CSC_GENERATE: _wire.decode_generated,
        _wire.CSC_VERIFY: _wire.decode_verification, _wire.CAVV_GENERATE: _wire.decode_generated_value,
        _wire.CAVV_VERIFY: _wire.decode_verification,
        _wire.STATS: _wire.decode_exposition if frame.fields and frame.fields[0][0] == 0x20 else _wire.decode_stats,
    }[request_opcode](frame)


def tags(frame_bytes: bytes):
    return [tag for tag, _ in _wire.parse_fields(frame_bytes[12:])]


def vectors_offline(wire):
    """Every vector's request as the client encodes it, and every response as it decodes it."""
    for vector in wire["vectors"]:
        meaning = vector["request_meaning"]
        call = typed_call(meaning)
        if call is not None:
            check(call[0](meaning["request_id"]).hex() == vector["request"], f"encode: {vector['name']}")
        if meaning["opcode"] in _wire.OPERATIONS:
            expected = expected_answer(vector["response_meaning"])
            if expected is not None:
                got = actual_answer(decoded(vector["response"], meaning["opcode"]))
                check(got == expected, f"decode: {vector['name']}: {got} != {expected}")


def recv_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError("the server closed the connection")
        data += chunk
    return data


def read_frame(sock):
    head = recv_exactly(sock, 4)
    return head + recv_exactly(sock, struct.unpack(">I", head)[0])


def vectors_live_raw(wire, path):
    """Every vector's request bytes to the daemon: its response bytes, all pipelined on one connection."""
    open_vectors = [v for v in wire["vectors"] if not v.get("closes_connection")]
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(path)
        sock.sendall(b"".join(bytes.fromhex(v["request"]) for v in open_vectors))
        answers = {}
        for _ in open_vectors:
            frame = read_frame(sock)
            answers[struct.unpack(">I", frame[8:12])[0]] = frame
    for vector in open_vectors:
        answer = answers.get(vector["request_meaning"]["request_id"])
        if vector.get("response_varies"):
            check(answer is not None and tags(answer) == tags(bytes.fromhex(vector["response"])),
                  f"live raw: {vector['name']}")
        else:
            check(answer is not None and answer.hex() == vector["response"], f"live raw: {vector['name']}")
    for vector in wire["vectors"]:
        if vector.get("closes_connection"):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(path)
                sock.sendall(bytes.fromhex(vector["request"]))
                check(read_frame(sock).hex() == vector["response"] and sock.recv(1) == b"",
                      f"live raw, then the close: {vector['name']}")


def vectors_live_typed(wire, client):
    """Every vector the client's API can send, through it: the answer the response means."""
    for vector in wire["vectors"]:
        meaning = vector["request_meaning"]
        call = typed_call(meaning)
        if call is None:
            continue
        expected = expected_answer(vector["response_meaning"])
        try:
            answer = call[1](client)
        except cardcheck.ServerError as error:
            answer = error
        if expected is None:
            check(answer is not None and not isinstance(answer, cardcheck.ServerError), f"live typed: {vector['name']}")
        elif vector["name"].startswith("HELLO"):
            got = actual_answer(answer)
            check(got["server_name"] == expected["server_name"] and got["max_frame"] == expected["max_frame"],
                  f"live typed: {vector['name']}")
        else:
            check(actual_answer(answer) == expected, f"live typed: {vector['name']}: {actual_answer(answer)}")


def request_from_line(text):
    keys = json.loads(text)
    if isinstance(keys.get("csc_indicator"), str):
        keys["csc_indicator"] = int(keys["csc_indicator"])
    return cardcheck.ValidateRequest(**{k: v for k, v in keys.items() if v is not None})


def answer_line(client, text):
    try:
        return line(client.validate(request_from_line(text)).as_dict())
    except cardcheck.ServerError as error:
        return error_line(error)


def jsonl_vectors(jsonl, client):
    for vector in jsonl["vectors"]:
        if vector["response"].startswith('{"error"') and json.loads(vector["response"])["error"]["code"] in JSON_ONLY_ERRORS:
            continue  # a JSON syntax or key error: the binary protocol has no such request
        check(answer_line(client, vector["request"]) == vector["response"], f"JSON Lines vector: {vector['name']}")


def generated_cards(path, cards, expected):
    """Every generated card through one shared connection from 8 threads, then through AsyncClient."""
    with cardcheck.Client(path) as client:
        before = client.stats().connections_accepted
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda text: answer_line(client, text), cards))
        accepted = client.stats().connections_accepted
    wrong = [i for i, (a, b) in enumerate(zip(answers, expected)) if a != b]
    check(len(answers) == len(expected) and not wrong, f"{len(wrong)} generated cards differ, first {wrong[:3]}")
    check(accepted == before, f"8 threads shared one connection (accepted {before} -> {accepted})")

    async def run_async():
        async with cardcheck.AsyncClient(path) as client:
            async def one(text):
                try:
                    return line((await client.validate(request_from_line(text))).as_dict())
                except cardcheck.ServerError as error:
                    return error_line(error)
            return await asyncio.gather(*(one(text) for text in cards))
    answers = asyncio.run(run_async())
    wrong = [i for i, (a, b) in enumerate(zip(answers, expected)) if a != b]
    check(not wrong, f"AsyncClient: {len(wrong)} generated cards differ")
    return len(cards)


def restart_midway(path, restart, cards, expected):
    """Callers keep validating while the daemon restarts: every answer is right, the client reconnected."""
    with cardcheck.Client(path, timeout=10) as client:
        stop, results, errors = threading.Event(), [], []

        def caller(offset):
            index = offset
            while not stop.is_set():
                try:
                    results.append(answer_line(client, cards[index % len(cards)]) == expected[index % len(cards)])
                except cardcheck.CardCheckError as error:
                    errors.append(repr(error))
                index += 4
        threads = [threading.Thread(target=caller, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        subprocess.run(restart, shell=True, check=True)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
        check(not errors and results and all(results), f"restart: {len(errors)} errors {errors[:2]}, "
              f"{results.count(False)} wrong of {len(results)}")
        check(client.reconnects >= 1, "restart: the client reconnected")


def restart_midway_async(path, restart, cards, expected):
    """The same through AsyncClient: 4 tasks keep validating while the daemon restarts."""
    async def run():
        async with cardcheck.AsyncClient(path, timeout=10) as client:
            stop, results, errors = asyncio.Event(), [], []

            async def caller(offset):
                index = offset
                while not stop.is_set():
                    try:
                        answer = line((await client.validate(request_from_line(cards[index % len(cards)]))).as_dict())
                    except cardcheck.ServerError as error:
                        answer = error_line(error)
                    except cardcheck.CardCheckError as error:
                        errors.append(repr(error))
                        answer = None
                    results.append(answer == expected[index % len(cards)])
                    index += 4
            tasks = [asyncio.ensure_future(caller(i)) for i in range(4)]
            await asyncio.sleep(0.3)
            process = await asyncio.create_subprocess_shell(restart)
            check(await process.wait() == 0, "async restart: the restart command")
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.gather(*tasks)
            check(not errors and results and all(results), f"async restart: {len(errors)} errors {errors[:2]}")
            check(client.reconnects >= 1, "async restart: the client reconnected")
    asyncio.run(run())


class FakeServer:
    """A Unix socket server that answers each connection with `behaviour(connection)`."""

    def __init__(self, behaviour):
        self.directory = tempfile.mkdtemp()
        self.path = os.path.join(self.directory, "fake.sock")
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(self.path)
        self.sock.listen(8)
        self.connections = []
        threading.Thread(target=self.serve, args=(behaviour,), daemon=True).start()

    def serve(self, behaviour):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(connection)

            def run(connection=connection):
                try:
                    behaviour(connection)
                except OSError:
                    pass  # closed by close(): the test is over
            threading.Thread(target=run, daemon=True).start()

    def close(self):
        self.sock.close()
        for connection in self.connections:
            connection.close()


def error_kinds(path):
    secret_pan, secret_code = "4111111111111111", "987"
    with cardcheck.Client(path) as client:
        for request, kind, code in [
            (dict(pan="4111x"), cardcheck.ErrorKind.INVALID_FIELD, "pan_invalid_character"),
            (dict(), cardcheck.ErrorKind.MISSING_FIELD, "nothing_to_check"),
            (dict(pan=secret_pan, csc=secret_code, csc_indicator=9), cardcheck.ErrorKind.INVALID_FIELD, "csc_contradiction"),
        ]:
            try:
                client.validate(**request)
                check(False, f"{code}: an answer instead of an error")
            except cardcheck.ServerError as error:
                check(error.kind == kind and error.code == code, f"{code}: {error.kind} {error.code}")
                check(secret_pan not in str(error) and secret_code not in str(error), f"{code}: no secret in the error")
        check(client.ping(b"still here") == b"still here", "the connection survives request errors")
        check(secret_pan not in repr(cardcheck.ValidateRequest(pan=secret_pan, csc=secret_code))
              and secret_code not in repr(cardcheck.ValidateRequest(pan=secret_pan, csc=secret_code)),
              "a request's repr shows neither the PAN nor the code")
        check(client.generate_csc("4114585553881637", "12/28").code not in repr(
            client.generate_csc("4114585553881637", "12/28")), "a generated code's repr hides it")
        value = client.generate_cavv("4123456789012349", "Y")
        check(len(value.value_bytes) == 20 and value.authentication_value not in repr(value),
              "a generated authentication value's repr hides it")
        check(client.verify_cavv("4123456789012349", value.authentication_value).matched, "a random-ATN CAVV verifies")

    # Silence: a per-request timeout, and the connection stays usable for later answers.
    silent = FakeServer(lambda connection: connection.recv(65536) and time.sleep(30))
    with cardcheck.Client(silent.path, timeout=0.3) as client:
        started = time.monotonic()
        try:
            client.ping()
            check(False, "a silent server: an answer")
        except cardcheck.Timeout:
            check(0.25 < time.monotonic() - started < 2, "a silent server: Timeout after the request's timeout")
    silent.close()

    # Garbage: a ProtocolError, never a hang; the next call opens a new connection.
    def garbage(connection):
        while connection.recv(65536):
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    liar = FakeServer(garbage)
    with cardcheck.Client(liar.path, timeout=2) as client:
        for attempt in range(2):
            try:
                client.ping()
                check(False, "garbage: an answer")
            except cardcheck.ProtocolError:
                check(True, "garbage: ProtocolError")
        check(len(liar.connections) == 2, "garbage: the broken connection was closed and a new one opened")
    liar.close()

    # A wrong opcode in a well-framed answer: a ProtocolError too.
    def wrong_opcode(connection):
        data = connection.recv(65536)
        request_id = struct.unpack(">I", data[8:12])[0]
        connection.sendall(_wire.frame(0x83, request_id))
    wrong = FakeServer(wrong_opcode)
    with cardcheck.Client(wrong.path, timeout=2) as client:
        try:
            client.ping()
            check(False, "wrong opcode: an answer")
        except cardcheck.ProtocolError:
            check(True, "wrong opcode: ProtocolError")
    wrong.close()

    # A refusal sent before the client writes: the server's error, not a broken pipe or a retry.
    def refuse(connection):
        body = _wire.field(1, b"\x08") + _wire.field(2, b"not_permitted") + _wire.field(4, b"peer not allowed")
        connection.sendall(_wire.frame(_wire.ERROR, 0, body))
        connection.close()
    refusing = FakeServer(refuse)
    with cardcheck.Client(refusing.path, timeout=2) as client:
        try:
            client.validate(pan="4111111111111111")
            check(False, "refusal: an answer")
        except cardcheck.ServerError as error:
            check(error.kind == cardcheck.ErrorKind.NOT_PERMITTED and error.closes_connection, f"refusal: {error}")
    # The same with the refusal and the close read before the first write (the order a busy client sees):
    # the refusal still, not "the connection broke" after three reconnections.
    opened = cardcheck.client._Connection.__init__

    def opened_and_refused(connection, *arguments):
        opened(connection, *arguments)
        connection.reader.join(2)
    cardcheck.client._Connection.__init__ = opened_and_refused
    try:
        with cardcheck.Client(refusing.path, timeout=2) as client:
            try:
                client.validate(pan="4111111111111111")
                check(False, "refusal read before the write: an answer")
            except cardcheck.ServerError as error:
                check(error.kind == cardcheck.ErrorKind.NOT_PERMITTED and len(refusing.connections) == 2,
                      f"refusal read before the write: {error}, {len(refusing.connections)} connections")
            except cardcheck.CardCheckError as error:
                check(False, f"refusal read before the write: {type(error).__name__} {error}")
    finally:
        cardcheck.client._Connection.__init__ = opened
    refusing.close()

    # The same faults through AsyncClient: a timeout, a ProtocolError, a refusal; never a hang.
    async def async_faults():
        silent_server = FakeServer(lambda connection: connection.recv(65536) and time.sleep(30))
        async with cardcheck.AsyncClient(silent_server.path, timeout=0.3) as client:
            try:
                await client.ping()
                check(False, "async, a silent server: an answer")
            except cardcheck.Timeout:
                check(True, "async, a silent server: Timeout")
        silent_server.close()
        garbage_server = FakeServer(garbage)
        async with cardcheck.AsyncClient(garbage_server.path, timeout=2) as client:
            try:
                await client.ping()
                check(False, "async, garbage: an answer")
            except cardcheck.ProtocolError:
                check(True, "async, garbage: ProtocolError")
        garbage_server.close()
        refusing_server = FakeServer(refuse)
        async with cardcheck.AsyncClient(refusing_server.path, timeout=2) as client:
            try:
                await client.validate(pan="4111111111111111")
                check(False, "async, refusal: an answer")
            except cardcheck.ServerError as error:
                check(error.kind == cardcheck.ErrorKind.NOT_PERMITTED, f"async, refusal: {error}")
        refusing_server.close()
    asyncio.run(async_faults())

    # Nobody listening: ConnectionFailed within the timeout.
    started = time.monotonic()
    try:
        cardcheck.Client("/nonexistent/cardcheck.sock", timeout=0.5).ping()
        check(False, "no daemon: an answer")
    except cardcheck.ConnectionFailed:
        check(time.monotonic() - started < 2, "no daemon: ConnectionFailed within the timeout")


def main():
    path = os.environ["CARDCHECK_SOCKET"]
    vectors = Path(os.environ["CARDCHECK_VECTORS"])
    wire = json.loads((vectors / "wire.json").read_text())
    jsonl = json.loads((vectors / "validate-jsonl.json").read_text())
    cards = Path(os.environ["CARDCHECK_CARDS"]).read_text().splitlines()
    expected = Path(os.environ["CARDCHECK_EXPECTED"]).read_text().splitlines()

    vectors_offline(wire)
    vectors_live_raw(wire, path)
    with cardcheck.Client(path) as client:
        vectors_live_typed(wire, client)
        jsonl_vectors(jsonl, client)
    generated = generated_cards(path, cards, expected)
    restart_midway(path, os.environ["CARDCHECK_RESTART"], cards, expected)
    restart_midway_async(path, os.environ["CARDCHECK_RESTART"], cards, expected)
    error_kinds(path)
    print(f"python: {CHECKS[0]} checks ({len(wire['vectors'])} wire vectors, {len(jsonl['vectors'])} JSON Lines "
          f"vectors, {generated} generated cards twice), {len(FAILURES)} failed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
