"""The keying station's server (`corridorkey serve`): confinement to its root (no path
traversal, no symbolic link out of it), its Host, origin and token checks, previews that rerun
the network only when they must, settings saved with the clip and used by `process`, one job
per clip, cancellation, and a job that outlives the page that started it.

  python3 tests/serve/test_station_server.py [path/to/corridorkey]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import unittest
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from station_fixture import (DEMO_MODEL, Station, cli_path, default_settings, make_clips, remove,  # noqa: E402
                             temporary_root)

CLI = cli_path(sys.argv)


class StationServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = temporary_root()
        cls.clips = make_clips(CLI, cls.root, frames=6, width=160, height=96, shots=3)
        # A clip whose Input leads outside the root, and a file outside it.
        cls.outside = temporary_root()
        (cls.outside / "secret.txt").write_text("not for the station")
        escape = cls.root / "escape"
        escape.mkdir()
        (escape / "Input").symlink_to(cls.root / cls.clips[0] / "Input", target_is_directory=True)
        (escape / "Output").symlink_to(cls.outside, target_is_directory=True)
        cls.station = Station(CLI, cls.root)

    @classmethod
    def tearDownClass(cls):
        cls.station.stop()
        remove(cls.root)
        remove(cls.outside)

    def test_clips_are_listed_and_the_escaping_one_is_not(self):
        status, body, _ = self.station.request("/api/clips")
        self.assertEqual(status, 200)
        self.assertEqual([c["name"] for c in body["clips"]], self.clips)
        self.assertEqual(len(self.clips), 3)
        self.assertEqual(body["clips"][0]["frames"], 6)
        status, body, _ = self.station.request("/api/clip?clip=escape")
        self.assertEqual(status, 400)
        self.assertIn("leads outside the served folder", body["error"])

    def test_paths_outside_the_root_are_refused(self):
        for name in ["..", "../" + self.outside.name, "%2e%2e", "..%2Fetc", "/etc", "a/b", "", "."]:
            status, body, _ = self.station.request("/api/clip?clip=" + name)
            self.assertIn(status, (400, 404), name)
            self.assertIn("error", body, name)
        status, body, _ = self.station.request("/api/preview", {"clip": "../" + self.outside.name, "frame": 0,
                                                                 "settings": default_settings()})
        self.assertEqual(status, 400)
        status, body, _ = self.station.request("/api/jobs", {"clip": "escape", "first": 0, "last": 0})
        self.assertEqual(status, 400)
        self.assertIn("leads outside", body["error"])
        self.assertEqual(list(self.outside.iterdir()), [self.outside / "secret.txt"])

    def test_other_origins_and_hosts_are_refused(self):
        status, body, _ = self.station.request("/api/clips", headers={"Origin": "http://evil.example"})
        self.assertEqual(status, 403)
        self.assertIn("refused", body["error"])
        status, _, _ = self.station.request("/api/preview", {"clip": self.clips[0], "frame": 0,
                                                             "settings": default_settings()},
                                            headers={"Origin": "http://evil.example"})
        self.assertEqual(status, 403)
        status, body, _ = self.station.request("/api/clips", headers={"Host": "evil.example:80"})
        self.assertEqual(status, 403)
        self.assertIn("not this keying station", body["error"])
        # The page's own origin is welcome; a form's text body is not JSON and is refused.
        status, _, _ = self.station.request("/api/clips", headers={"Origin": "http://" + self.station.host})
        self.assertEqual(status, 200)
        status, _, _ = self.station.request("/api/cancel", b"clip=x", headers={"Content-Type": "text/plain"})
        self.assertEqual(status, 415)

    def test_previews_rerun_the_network_only_when_they_must_and_save_the_settings(self):
        clip = self.clips[2]
        status, first, _ = self.station.request("/api/preview", {"clip": clip, "frame": 1, "settings": default_settings()})
        self.assertEqual(status, 200, first)
        self.assertTrue(first["network_run"])
        self.assertEqual((first["width"], first["height"]), (160, 96))
        _, processed_before, headers = self.station.request(f"/api/view?clip={clip}&which=processed")
        self.assertEqual(len(processed_before), 160 * 96 * 4)
        self.assertEqual(headers["X-Width"], "160")
        _, matte_before, _ = self.station.request(f"/api/view?clip={clip}&which=matte")
        # Despill is post-processing: the network's output is reused, the foreground changes.
        status, second, _ = self.station.request("/api/preview", {"clip": clip, "frame": 1,
                                                                  "settings": default_settings(despill=0.0)})
        self.assertEqual(status, 200)
        self.assertFalse(second["network_run"])
        _, processed_after, _ = self.station.request(f"/api/view?clip={clip}&which=processed")
        _, matte_after, _ = self.station.request(f"/api/view?clip={clip}&which=matte")
        self.assertNotEqual(processed_before, processed_after)
        self.assertEqual(matte_before, matte_after)
        saved = json.loads((self.root / clip / "corridorkey.json").read_text())
        self.assertEqual(saved["frame"]["despill_strength"], 0.0)
        # The refiner scale feeds the network: it runs again.
        s = default_settings(despill=0.0)
        s["frame"]["refiner_scale"] = 0.5
        _, third, _ = self.station.request("/api/preview", {"clip": clip, "frame": 1, "settings": s})
        self.assertTrue(third["network_run"])
        for which in ["plate", "hint", "fg"]:
            status, data, _ = self.station.request(f"/api/view?clip={clip}&which={which}")
            self.assertEqual((status, len(data)), (200, 160 * 96 * 4), which)
        status, body, _ = self.station.request(f"/api/view?clip={clip}&which=secret")
        self.assertEqual(status, 400)
        status, body, _ = self.station.request("/api/preview", {"clip": clip, "frame": 99, "settings": s})
        self.assertEqual(status, 404)
        self.assertIn("99", body["error"])
        bad = default_settings(despill=3.0)
        status, body, _ = self.station.request("/api/preview", {"clip": clip, "frame": 1, "settings": bad})
        self.assertEqual(status, 400)
        self.assertIn("despill_strength", body["error"])
        # `process` keys the clip with what the station saved (its run manifest says so), and
        # a flag on its command line wins.
        out = subprocess.run([CLI, "process", str(self.root / clip), "--checkpoint", str(DEMO_MODEL), "--img-size", "256",
                              "--frames", "1-1", "--no-progress", "--overwrite"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        manifest = json.loads((self.root / clip / "Output" / "corridorkey_run.json").read_text())
        self.assertEqual(float(manifest["settings"]["despill"]), 0.0)
        self.assertEqual(float(manifest["settings"]["refiner"]), 0.5)
        out = subprocess.run([CLI, "process", str(self.root / clip), "--checkpoint", str(DEMO_MODEL), "--img-size", "256",
                              "--frames", "1-1", "--no-progress", "--overwrite", "--force", "--despill", "0.5"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        manifest = json.loads((self.root / clip / "Output" / "corridorkey_run.json").read_text())
        self.assertEqual(float(manifest["settings"]["despill"]), 0.5)

    def test_a_range_is_keyed_once_at_a_time_and_outlives_its_page(self):
        clip = self.clips[1]
        status, body, _ = self.station.request("/api/jobs", {"clip": clip, "first": 1, "last": 4})
        self.assertEqual(status, 200, body)
        status, body, _ = self.station.request("/api/jobs", {"clip": clip, "first": 1, "last": 4})
        self.assertEqual(status, 409)
        self.assertIn("already being keyed", body["error"])
        # A page that drops its event stream at once stops nothing.
        with urllib.request.urlopen(self.station.base + f"/api/events?clip={clip}", timeout=30) as res:
            res.readline()
        events = self.station.events_until_ended(clip)
        end = events[-1]
        self.assertTrue(end["ok"], end)
        self.assertEqual(end["keyed"], 4)
        matte = sorted(p.name for p in (self.root / clip / "Output" / "Matte").iterdir())
        self.assertEqual(len(matte), 4)
        self.assertTrue(all(p.endswith(".exr") for p in matte))
        self.assertEqual(len(list((self.root / clip / "Output" / "Comp").iterdir())), 4)
        self.assertFalse(any(".tmp" in p.name or p.name.startswith(".") for p in (self.root / clip / "Output" / "Matte").iterdir()))

    def test_a_cancelled_job_keeps_its_finished_frames(self):
        clip = self.clips[0]
        status, _, _ = self.station.request("/api/jobs", {"clip": clip, "first": 1, "last": 6})
        self.assertEqual(status, 200)
        status, _, _ = self.station.request("/api/cancel", {"clip": clip})
        self.assertEqual(status, 200)
        end = self.station.events_until_ended(clip)[-1]
        if end["ok"]:  # it finished before the cancel was seen: every frame is there
            self.assertEqual(end["keyed"], 6)
        else:
            self.assertTrue(end["cancelled"], end)
            self.assertIn("cancelled", end["message"])
        status, body, _ = self.station.request("/api/cancel", {"clip": "no-such-clip"})
        self.assertEqual(status, 400)


class StationAccess(unittest.TestCase):
    """Binding beyond loopback needs a token; with one, every API call must carry it."""

    def test_binding_beyond_loopback_needs_a_token(self):
        root = temporary_root()
        try:
            out = subprocess.run([CLI, "serve", "--root", str(root), "--bind", "0.0.0.0", "--port", "0",
                                  "--checkpoint", str(DEMO_MODEL)], capture_output=True, text=True, timeout=60)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("needs an access token", out.stderr)
            out = subprocess.run([CLI, "serve", "--root", str(root / "missing"), "--port", "0",
                                  "--checkpoint", str(DEMO_MODEL)], capture_output=True, text=True, timeout=60)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("missing", out.stderr)
        finally:
            remove(root)

    def test_a_token_guards_every_api_call(self):
        root = temporary_root()
        make_clips(CLI, root, frames=1, width=64, height=64)
        station = Station(CLI, root, "--token", "s3cret")
        try:
            self.assertTrue(station.url.endswith("?token=s3cret"))
            status, body, _ = station.request("/api/clips")
            self.assertEqual(status, 401)
            self.assertIn("access token", body["error"])
            status, _, _ = station.request("/api/clips", headers={"X-Token": "wrong"})
            self.assertEqual(status, 401)
            status, _, _ = station.request("/api/clips", headers={"X-Token": "s3cret"})
            self.assertEqual(status, 200)
            status, _, _ = station.request("/api/clips?token=s3cret")
            self.assertEqual(status, 200)
            status, page, _ = station.request("/")  # the page itself holds no secret
            self.assertEqual(status, 200)
            self.assertIn(b"keying station", page)
        finally:
            station.stop()
            remove(root)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
