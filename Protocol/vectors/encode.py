#!/usr/bin/env python3
"""Encodes every frame meaning in wire.json into its bytes, from PROTOCOL.md alone (no cardcheck code).

A vector's `request_meaning` and `response_meaning` are frames: version, opcode, flags, request id and
typed fields, in order. This script turns each into hex and checks it against the vector's `request` and
`response` (or, with --write, writes them). It is the independent encoder the vectors are made with.

    python3 Protocol/vectors/encode.py            # check: exit 1 on any difference
    python3 Protocol/vectors/encode.py --write    # rewrite the hex from the meanings
"""
import json
import struct
import sys
from pathlib import Path

VECTORS = Path(__file__).with_name("wire.json")


def encode_value(field):
    kind, value = field["type"], field["value"]
    if kind == "text":
        return value.encode("utf-8")
    if kind == "bool":
        return bytes([1 if value else 0])
    if kind in ("u8", "u16", "u32", "u64"):
        return value.to_bytes({"u8": 1, "u16": 2, "u32": 4, "u64": 8}[kind], "big")
    if kind == "hex":
        return bytes.fromhex(value)
    raise ValueError(f"unknown field type {kind}")


def encode_frame(meaning):
    body = bytearray()
    body += struct.pack(">BBHI", meaning["version"], meaning["opcode"], meaning["flags"], meaning["request_id"])
    for field in meaning["fields"]:
        value = encode_value(field)
        # `length` states a length other than the value's own: a deliberately broken field.
        body += struct.pack(">BH", field["tag"], field.get("length", len(value)))
        body += value
    # `frame_length` states a length prefix other than the frame's own: a deliberately broken frame.
    return struct.pack(">I", meaning.get("frame_length", len(body))) + bytes(body)


def main():
    write = "--write" in sys.argv[1:]
    document = json.loads(VECTORS.read_text())
    differences = 0
    for vector in document["vectors"]:
        for side in ("request", "response"):
            encoded = encode_frame(vector[side + "_meaning"]).hex()
            if write:
                vector[side] = encoded
            elif vector[side] != encoded:
                differences += 1
                print(f"{vector['name']}: {side} differs\n  file    {vector[side]}\n  meaning {encoded}")
    if write:
        VECTORS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"{len(document['vectors'])} vectors, {differences} differences")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
