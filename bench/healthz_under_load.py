"""Does the server stay responsive under abuse? /healthz latency while slow fetches, a sign-in flood and
anonymous match batches run at the same time — all on loopback, bounded in time.

    python bench/healthz_under_load.py [--seconds 30]

Starts the real server (`kiemchung serve --pipeline`, a subprocess on a free port, SQLite in a temporary data
directory with the demo data, embedder `hashing`) and a loopback site that drips its answers a byte at a
time. Then, together, for `--seconds`:

- slow fetches: a fact-checker adds evidence URLs on the dripping site (archived in the background), and a
  feed source on the same site is collected by the pipeline;
- a sign-in flood: clients posting wrong passwords to /login;
- anonymous match batches: clients posting 16-post batches to POST /api/v1/match;
- a probe: GET /healthz every 50 ms.

Prints a table (healthz p50/p95/max, what each load got back) and exits 1 when the p95 of /healthz is over
100 ms. A figure, not a timed test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

P95_LIMIT_S = 0.100
DRIP_S = 0.2  # one byte every 0.2 s: a page that never finishes within the fetch deadline
POST = "Bộ Y tế khẳng định uống nước chanh nóng không chữa được ung thư, thông tin lan truyền là sai sự thật. " * 5
DEMO_PASSWORD = "kiemchung-demo"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Dripping(BaseHTTPRequestHandler):
    """Answers every GET with a page sent one byte every DRIP_S seconds."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"<html><head><title>cham</title></head><body>" + b"x" * 2000 + b"</body></html>"
        answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        try:
            for index in range(len(answer)):
                self.wfile.write(answer[index : index + 1])
                self.wfile.flush()
                time.sleep(DRIP_S)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


def start_dripping_site() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Dripping)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def start_server(data_dir: Path, port: int, drip_base: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
           "KIEMCHUNG_FETCH_TIMEOUT": "5", "KIEMCHUNG_BACKGROUND_EMBEDDING": "false",
           "KIEMCHUNG_OBEY_ROBOTS": "false"}  # fmt: skip
    cli = [sys.executable, "-m", "kiemchung", "--data-dir", str(data_dir)]
    subprocess.run([*cli, "init", "--demo"], env=env, check=True, capture_output=True, timeout=120)
    subprocess.run([*cli, "sources", "add", "feed", "cham", f"{drip_base}/feed", "--interval", "5"], env=env,
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    log = (data_dir.parent / "server.log").open("wb")
    server = subprocess.Popen([*cli, "serve", "--port", str(port), "--pipeline"], env=env,
                              stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start: " + (data_dir.parent / "server.log").read_text(errors="replace"))


def sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    data = {"email": email, "password": password, "login_csrf": token.group(1) if token else "", "next": "/queue"}
    return client.post("/login", data=data)


def loop(stop: threading.Event, results: Counter[str], work: Callable[[], str]) -> None:
    while not stop.is_set():
        try:
            results[work()] += 1
        except httpx.HTTPError as exc:
            results[type(exc).__name__] += 1


def slow_fetches(base: str, drip_base: str, stop: threading.Event, results: Counter[str]) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        sign_in(client, "factchecker@demo.kiemchung", DEMO_PASSWORD)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/queue").text)
        client.headers["X-CSRF-Token"] = csrf.group(1) if csrf else ""
        case = client.post("/api/v1/cases", json={"claim": "Nước chanh nóng chữa được ung thư"}).json()
        counter = iter(range(1_000_000))

        def add() -> str:
            url = f"{drip_base}/trang-{next(counter)}"
            answer = client.post(f"/api/v1/cases/{case['id']}/evidence", json={"kind": "url", "url": url})
            time.sleep(0.5)
            return str(answer.status_code)

        loop(stop, results, add)


def sign_in_flood(base: str, stop: threading.Event, results: Counter[str]) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        loop(stop, results, lambda: str(sign_in(client, "editor@demo.kiemchung", "wrong-password").status_code))


def anonymous_matching(base: str, stop: threading.Event, results: Counter[str]) -> None:
    batch = {"posts": [{"id": n, "text": POST} for n in range(16)]}
    with httpx.Client(base_url=base, timeout=60) as client:
        loop(stop, results, lambda: str(client.post("/api/v1/match", json=batch).status_code))


def probe(base: str, stop: threading.Event, latencies: list[float], results: Counter[str]) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            status = client.get("/healthz").status_code
            latencies.append(time.perf_counter() - started)
            results[str(status)] += 1
            time.sleep(0.05)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


Loads = dict[str, Counter[str]]


def generate_load(base: str, drip_base: str, seconds: float, out: multiprocessing.Queue[Loads]) -> None:
    """The three loads, for `seconds`, in their own process (the probe's process stays quiet)."""
    stop = threading.Event()
    loads: Loads = {name: Counter() for name in ("evidence", "sign-in", "match")}
    workers = [
        threading.Thread(target=slow_fetches, args=(base, drip_base, stop, loads["evidence"])),
        *(threading.Thread(target=sign_in_flood, args=(base, stop, loads["sign-in"])) for _ in range(4)),
        *(threading.Thread(target=anonymous_matching, args=(base, stop, loads["match"])) for _ in range(4)),
    ]
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join(40)
    out.put(loads)


def measure(base: str, seconds: float) -> list[float]:
    stop, latencies = threading.Event(), []
    prober = threading.Thread(target=probe, args=(base, stop, latencies, Counter()))
    prober.start()
    time.sleep(seconds)
    stop.set()
    prober.join(40)
    return latencies


def figures(latencies: list[float]) -> str:
    p50, p95, worst = statistics.median(latencies), percentile(latencies, 0.95), max(latencies)
    return f"{len(latencies)} | {p50 * 1000:.1f} | {p95 * 1000:.1f} | {worst * 1000:.1f}"


def run(seconds: float) -> int:
    drip, drip_base = start_dripping_site()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="kiemchung-load-") as folder:
        server = start_server(Path(folder) / "data", port, drip_base)
        results: multiprocessing.Queue[Loads] = multiprocessing.Queue()
        try:
            quiet = measure(base, 3.0)
            loader = multiprocessing.Process(target=generate_load, args=(base, drip_base, seconds, results))
            loader.start()
            time.sleep(1.0)  # the loads get going
            loaded = measure(base, seconds - 1.0)
            loads = results.get(timeout=60)
            loader.join(10)
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
            drip.shutdown()
    print(f"\n/healthz with and without load ({seconds:.0f} s of load, {os.cpu_count()} CPUs)\n")
    print("| load | answers |\n| --- | --- |")
    for name, counts in loads.items():
        print(f"| {name} | {', '.join(f'{status}: {n}' for status, n in sorted(counts.items()))} |")
    print("\n| /healthz | probes | p50 ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |")
    print(f"| quiet | {figures(quiet)} |")
    print(f"| under load | {figures(loaded)} |")
    p95 = percentile(loaded, 0.95)
    if p95 > P95_LIMIT_S:
        print(f"\nFAIL: p95 under load {p95 * 1000:.1f} ms is over {P95_LIMIT_S * 1000:.0f} ms")
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load runs (at most 60)")
    args = parser.parse_args()
    raise SystemExit(run(min(args.seconds, 60.0)))


if __name__ == "__main__":
    main()
