"""End to end: the real `kiemchung` command serves the demo archive over HTTP on loopback."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_served_demo_archive_answers_over_http(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    base = [sys.executable, "-m", "kiemchung", "--data-dir", str(data)]
    env = {**os.environ, "KIEMCHUNG_EMBEDDER": "hashing"}
    subprocess.run([*base, "init", "--demo"], check=True, capture_output=True, env=env, timeout=120)
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen([*base, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, log_path.read_text(errors="replace")
                assert time.monotonic() < deadline, "server did not start within 60 s"
                time.sleep(0.2)
        assert health.json()["status"] == "ok"
        body = httpx.get(f"http://127.0.0.1:{port}/api/v1/factchecks", timeout=10).json()
        assert body["total"] == 12
        assert "demo-001" in {item["id"] for item in body["items"]}
    finally:
        server.terminate()
        server.wait(timeout=20)
