#!/usr/bin/env python3
"""Throughput of one connection with 16 requests in flight: the blocking client from 16 threads and the
asyncio client from 16 tasks, each sending VALIDATE for a full card.

    python3 clients/python/bench.py [SOCKET] [SECONDS]"""
import asyncio
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cardcheck  # noqa: E402

CARD = dict(pan="4111 1111 1111 1111", expiry="12/30", csc="123", street="1 Main St", postal_code="12345",
            on_file_street="1 Main Street", on_file_postal_code="12345")


def blocking(path: str, seconds: float) -> float:
    count = [0] * 16
    with cardcheck.Client(path) as client:
        deadline = time.monotonic() + seconds

        def run(slot):
            while time.monotonic() < deadline:
                client.validate(**CARD)
                count[slot] += 1
        threads = [threading.Thread(target=run, args=(i,)) for i in range(16)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(count) / (time.monotonic() - started)


async def asynchronous(path: str, seconds: float) -> float:
    count = [0]
    async with cardcheck.AsyncClient(path) as client:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds

        async def run():
            while loop.time() < deadline:
                await client.validate(**CARD)
                count[0] += 1
        started = loop.time()
        await asyncio.gather(*(run() for _ in range(16)))
        return count[0] / (loop.time() - started)


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "run/cardcheck.sock"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(f"python {sys.version.split()[0]}, one connection, 16 in flight, VALIDATE of a full card")
    print(f"Client (16 threads):     {blocking(path, seconds):9,.0f} requests/s")
    print(f"AsyncClient (16 tasks):  {asyncio.run(asynchronous(path, seconds)):9,.0f} requests/s")
