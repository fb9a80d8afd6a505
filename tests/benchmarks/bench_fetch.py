"""Fetch client figures: the cost of sliced waits, and what a gzip bomb costs in memory.

Against a loopback ``http.server`` in this process:

- time to GET a day-sized answer (plain and gzip), the hardened client (every wait a 0.25 s
  slice, gzip inflated a slice at a time) against the old path measured in the same run
  (``urllib.request`` + ``gzip.decompress``): median, p95 and their ratio;
- peak memory (VmHWM of a fresh process) for a 300 KB gzip body that unpacks to 300 MB,
  the old path against the client, which refuses it at 64 MB;
- how long a run takes to give up on a host that does not resolve, and on a refused port.

Numbers, never assertions. ``python tests/benchmarks/bench_fetch.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import socket
import statistics
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "desktop"))
sys.path.insert(0, str(ROOT))

from digestdesk.core.fetch import FetchError, HttpClient  # noqa: E402


def day_body(papers: int) -> bytes:
    items = [
        {
            "paper": {
                "id": f"2505.{n:05d}",
                "title": f"Invented paper {n} on sparse attention and retrieval",
                "summary": "An invented abstract. " * 60,
                "authors": [{"name": f"Author {k}"} for k in range(8)],
                "upvotes": n,
            },
            "publishedAt": "2025-05-02T00:00:00.000Z",
        }
        for n in range(papers)
    ]
    return json.dumps(items).encode()


class Server:
    def __init__(self, routes: dict[str, tuple[bytes, dict[str, str]]]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body, headers = routes[self.path]
                self.send_response(200)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def old_get(url: str) -> bytes:
    """What the client did before: urllib, read all, gzip.decompress all."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        body: bytes = answer.read(64 * 1024 * 1024 + 1)
        if answer.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
    return body


def times(job: Callable[[], Any], repeat: int) -> list[float]:
    job()  # warm
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        job()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


PEAK = textwrap.dedent(
    """
    import resource, sys
    sys.path[:0] = [{desktop!r}, {root!r}]
    from tests.benchmarks.bench_fetch import old_get
    from digestdesk.core.fetch import FetchError, HttpClient
    url = {url!r}
    try:
        if {old!r}:
            old_get(url)
        else:
            HttpClient(cache_dir=None).get(url, what="for the benchmark")
        outcome = "read it all"
    except MemoryError:
        outcome = "MemoryError"
    except FetchError as error:
        outcome = "refused at 64 MB"
    # VmHWM starts afresh at exec; ru_maxrss keeps the parent's peak from before the fork.
    try:
        status = open("/proc/self/status").read().split("VmHWM:")[1]
        peak = int(status.split()[0]) // 1024
    except (OSError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(peak, outcome)
    """
)


def peak_mb(url: str, old: bool) -> tuple[int, str]:
    code = PEAK.format(desktop=str(ROOT / "desktop"), root=str(ROOT), url=url, old=old)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    mb, outcome = done.stdout.split(maxsplit=1)
    return int(mb), outcome.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    body = day_body(400)  # about the size of a busy day's first pages
    zlib_bomb = gzip.compress(b"\0" * (300 << 20), 9)
    server = Server(
        {
            "/plain": (body, {"Content-Type": "application/json"}),
            "/gzip": (gzip.compress(body), {"Content-Encoding": "gzip"}),
            "/bomb": (zlib_bomb, {"Content-Encoding": "gzip"}),
        }
    )
    try:
        print(f"## Fetch client (loopback, {args.repeat} GETs each, ms)\n")
        print("| answer | old urllib p50 | p95 | client p50 | p95 | ratio p50 |")
        print("|---|---|---|---|---|---|")
        client = HttpClient(cache_dir=None)
        for path, label in (("/plain", "plain"), ("/gzip", "gzip")):
            url = server.url + path
            old = times(lambda url=url: old_get(url), args.repeat)
            new = times(lambda url=url: client.get(url, what="bench"), args.repeat)
            size = len(body) >> 10
            print(
                f"| {label}, {size} KB JSON | {statistics.median(old):.2f} | {p95(old):.2f} | "
                f"{statistics.median(new):.2f} | {p95(new):.2f} | "
                f"{statistics.median(new) / statistics.median(old):.2f} |"
            )
        print(f"\n## A gzip bomb ({len(zlib_bomb) >> 10} KB unpacking to 300 MB): peak RSS\n")
        print("| path | peak RSS MB | outcome |")
        print("|---|---|---|")
        for label, old_path in (("old urllib + gzip.decompress", True), ("client", False)):
            mb, outcome = peak_mb(server.url + "/bomb", old_path)
            print(f"| {label} | {mb} | {outcome} |")
        print("\n## Giving up (s)\n")
        print("| case | seconds | requests |")
        print("|---|---|---|")
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        for label, url in (
            ("name under .invalid", "http://digestdesk-bench.invalid/x"),
            ("refused port", f"http://127.0.0.1:{port}/x"),
        ):
            client = HttpClient(cache_dir=None)
            started = time.perf_counter()
            try:
                client.resolve(url)
                client.get(url, what="bench")
            except FetchError:
                pass
            print(f"| {label} | {time.perf_counter() - started:.3f} | {client.requests} |")
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
