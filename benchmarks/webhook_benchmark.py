"""Webhook receiver throughput and latency on loopback.

Starts `xero-warehouse webhooks serve` in its own process with a fresh event store, sends
signed batches from concurrent async clients (bounded by count and time), and reports
events accepted per second, request latency percentiles, and whether every event was
stored exactly once.

    uv run python benchmarks/webhook_benchmark.py --requests 2000 --events 10 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from pipelines.webhooks.receiver import WEBHOOK_PATH, signature_of

KEY = "benchmark-webhook-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_receiver(port: int, store: Path) -> subprocess.Popen:
    command = str(Path(sys.executable).parent / "xero-warehouse")
    env = os.environ | {"XERO_WEBHOOK_KEY": KEY, "XERO_WEBHOOK_STORE": str(store)}
    process = subprocess.Popen(
        [command, "webhooks", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", content=b"{}", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the receiver did not start")


def batch(tenant: str, count: int, sequence: int) -> bytes:
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    events = []
    for _ in range(count):
        rid = str(uuid.uuid4())
        events.append(
            {
                "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{rid}",
                "resourceId": rid,
                "eventDateUtc": f"{now}.000",
                "eventType": "UPDATE",
                "eventCategory": "INVOICE",
                "tenantId": tenant,
                "tenantType": "ORGANISATION",
            }
        )
    payload = {
        "events": events,
        "firstEventSequence": sequence,
        "lastEventSequence": sequence + count - 1,
        "entropy": uuid.uuid4().hex[:20].upper(),
    }
    return json.dumps(payload).encode()


async def load(url: str, requests: int, events: int, concurrency: int, seconds: float):
    tenant = str(uuid.uuid4())
    bodies = [batch(tenant, events, 1 + i * events) for i in range(requests)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_index = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(timeout=10, limits=limits) as client:

        async def worker():
            nonlocal next_index
            while next_index < len(bodies) and time.monotonic() < deadline:
                body = bodies[next_index]
                next_index += 1
                headers = {"x-xero-signature": signature_of(KEY, body)}
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, statuses, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="signed batches to send")
    parser.add_argument("--events", type=int, default=10, help="events per batch")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60, help="stop sending after this")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        store = Path(workdir) / "webhooks.sqlite3"
        port = free_port()
        receiver = start_receiver(port, store)
        try:
            url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
            latencies, statuses, elapsed = asyncio.run(
                load(url, args.requests, args.events, args.concurrency, args.seconds)
            )
        finally:
            receiver.terminate()
            receiver.wait(timeout=30)
        with sqlite3.connect(store) as db:
            stored = db.execute("select count(*) from webhook_events").fetchone()[0]

    accepted = statuses.get(200, 0) * args.events
    print(
        f"requests sent        {len(latencies)} ({args.events} events each, "
        f"concurrency {args.concurrency})"
    )
    print(f"statuses             {dict(sorted(statuses.items()))}")
    print(
        f"events accepted      {accepted} in {elapsed:.2f}s = {accepted / elapsed:,.0f} events/s "
        f"({len(latencies) / elapsed:,.0f} requests/s)"
    )
    print(
        f"latency p50/p99/max  {percentile(latencies, 0.5) * 1000:.1f} / "
        f"{percentile(latencies, 0.99) * 1000:.1f} / {max(latencies) * 1000:.1f} ms"
    )
    print(f"events stored        {stored} ({'all' if stored == accepted else 'MISMATCH'})")


if __name__ == "__main__":
    main()
