"""A keying station for tests: synthetic clips under a temporary root, `corridorkey serve`
started on a free port with the bundled demo model, and requests to it."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_MODEL = ROOT / "models" / "corridorkey_demo.safetensors"


def make_clips(cli: str, root: Path, frames: int, width: int, height: int, shots: int = 1) -> list[str]:
    """Synthetic green-screen clips (`corridorkey synth`, no hint: automatic hints) under root."""
    subprocess.run([cli, "synth", str(root), "--shots", str(shots), "--frames", str(frames), "--width", str(width),
                    "--height", str(height), "--no-hint"], check=True, capture_output=True)
    return sorted(p.name for p in root.iterdir() if (p / "Input").exists())


class Station:
    def __init__(self, cli: str, root: Path, *extra: str, img_size: int = 256):
        self.cli = cli
        self.root = root
        self.proc = subprocess.Popen(
            [cli, "serve", "--root", str(root), "--port", "0", "--checkpoint", str(DEMO_MODEL), "--img-size",
             str(img_size), "--threads", "2", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        match = re.search(r"(http://[^ ]+)", line)
        if not match:
            self.proc.kill()
            raise RuntimeError("no URL from corridorkey serve: " + line + self.proc.stderr.read())
        self.url = match.group(1)
        self.base = self.url.split("?")[0].rstrip("/")
        self.host = self.base.split("//")[1]

    def request(self, path: str, body=None, headers=None, method=None):
        """(status, parsed JSON or raw bytes, headers) of a request to the station."""
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base + path, data=data, headers=hdrs, method=method)
        try:
            with urllib.request.urlopen(req, timeout=120) as res:
                payload, status, got = res.read(), res.status, res.headers
        except urllib.error.HTTPError as e:
            payload, status, got = e.read(), e.code, e.headers
        if got.get("Content-Type", "").startswith("application/json"):
            return status, json.loads(payload), got
        return status, payload, got

    def events_until_ended(self, clip: str, token: str = "", timeout: float = 300) -> list[dict]:
        """The job's events, read as the page reads them, until it has ended."""
        deadline = time.time() + timeout
        after, events = 0, []
        while time.time() < deadline:
            query = f"/api/events?clip={clip}&after={after}" + (f"&token={token}" if token else "")
            with urllib.request.urlopen(self.base + query, timeout=60) as res:
                for raw in res:
                    line = raw.decode().rstrip("\n")
                    if line.startswith("id: "):
                        after = int(line[4:])
                    elif line.startswith("data: "):
                        events.append(json.loads(line[6:]))
                        if events[-1]["kind"] == "ended":
                            return events
        raise TimeoutError(f"the job on {clip} did not end: {events[-3:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def default_settings(despill: float = 1.0) -> dict:
    return {"frame": {"despill_strength": despill, "auto_despeckle": True, "despeckle_size": 400, "refiner_scale": 1.0,
                      "screen": "auto"},
            "hint": {"erode": 0.006, "blur": 0.008, "min_island": 0.0002}}


def temporary_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="ck_station_"))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def cli_path(argv: list[str]) -> str:
    if len(argv) > 1:
        return argv[1]
    return os.environ.get("CORRIDORKEY_CLI", str(ROOT / "build" / "tools" / "corridorkey"))
