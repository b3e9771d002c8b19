"""The keying station's page in a real browser (headless Chromium driven by Selenium): it
loads, opens a synthetic full-HD clip, shows its key, changes the despill and shows the
change (timed: the network's output is reused), keys a range with the progress bar running to
its end, and the files are written. Screenshots go to OUT (default out/serve).

  python3 tests/serve/test_station_browser.py [path/to/corridorkey] [OUT]
"""
from __future__ import annotations

import json
import sys
import time
import unittest
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, str(Path(__file__).resolve().parent))
from station_fixture import ROOT, Station, cli_path, make_clips, remove, temporary_root  # noqa: E402

CLI = cli_path(sys.argv)
OUT = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "out" / "serve"

# The canvas's pixels, summed in strides: a fingerprint of what the page shows.
CANVAS_SUM = """
const c = document.getElementById(arguments[0]);
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let s = 0;
for (let i = 0; i < d.length; i += 7) s = (s + d[i] * (i % 251 + 1)) % 1000000007;
return [c.width, c.height, s];
"""


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1500,950"]:
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class StationInABrowser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        OUT.mkdir(parents=True, exist_ok=True)
        cls.root = temporary_root()
        cls.clip = make_clips(CLI, cls.root, frames=3, width=1920, height=1080)[0]
        cls.station = Station(CLI, cls.root, img_size=512)
        cls.driver = browser()

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.station.stop()
        remove(cls.root)

    def version(self) -> int:
        return int(self.driver.execute_script("return document.body.dataset.version || '0'"))

    def wait_for_version(self, above: int, timeout: float = 120) -> None:
        WebDriverWait(self.driver, timeout).until(lambda d: self.version() > above)

    def test_key_a_clip_in_the_page(self):
        d = self.driver
        d.get(self.station.url)
        self.wait_for_version(0)
        self.assertIn(self.clip, d.find_element(By.ID, "clip").text)
        width, height, processed = d.execute_script(CANVAS_SUM, "canvas-a")
        self.assertEqual((width, height), (1920, 1080))
        d.save_screenshot(str(OUT / "station_opened.png"))

        # Less despill: the foreground keeps more of the screen's green. The network's output
        # is reused, so the change is the finish alone.
        before = self.version()
        d.execute_script("const s = document.getElementById('despill'); s.value = 0;"
                         "s.dispatchEvent(new Event('input'));")
        self.wait_for_version(before)
        _, _, processed_after = d.execute_script(CANVAS_SUM, "canvas-a")
        self.assertNotEqual(processed, processed_after)
        timing = d.find_element(By.ID, "timing").text
        self.assertIn("network cached", timing)
        shown = float(d.execute_script("return document.body.dataset.shownSeconds"))
        print(f"full-HD despill change shown in {shown:.3f} s ({timing})")
        (OUT / "despill_change_seconds.txt").write_text(f"{shown:.3f}\n{timing}\n")
        saved = json.loads((self.root / self.clip / "corridorkey.json").read_text())
        self.assertEqual(saved["frame"]["despill_strength"], 0.0)

        # Zoom to pixels and a wipe against the plate, for the screenshot.
        d.find_element(By.ID, "zoom-pixels").click()
        d.execute_script("const w = document.getElementById('wipe'); w.value = 40; w.dispatchEvent(new Event('input'));"
                         "document.getElementById('zoom-fit').click();")
        d.save_screenshot(str(OUT / "station_wipe.png"))

        # Key frames 1-2 and watch the progress bar run out.
        d.execute_script("document.getElementById('first').value = 1; document.getElementById('last').value = 2;")
        d.find_element(By.ID, "key").click()
        WebDriverWait(d, 300).until(lambda drv: drv.execute_script("return document.body.dataset.job") in ("done", "failed"))
        self.assertEqual(d.execute_script("return document.body.dataset.job"), "done",
                         d.find_element(By.ID, "messages").text)
        progress = d.find_element(By.ID, "progress")
        self.assertEqual(progress.get_attribute("value"), progress.get_attribute("max"))
        self.assertIn("2 keyed", d.find_element(By.ID, "job-status").text)
        d.save_screenshot(str(OUT / "station_keyed.png"))
        for folder in ["Matte", "FG", "Processed", "Comp"]:
            files = sorted(p.name for p in (self.root / self.clip / "Output" / folder).iterdir())
            self.assertEqual(len(files), 2, folder)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
