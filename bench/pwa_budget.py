"""The phone app's budgets: first-load bytes, offline start time, Lighthouse scores.

    .venv/bin/python bench/pwa_budget.py            # bytes + offline start + Lighthouse
    .venv/bin/python bench/pwa_budget.py --no-lighthouse

Serves the app like `make run` (gunicorn, a throwaway SQLite database with the demo
city), then:

1. First load: every JS, CSS and font response Chromium fetches to show the sign-in
   screen and, signed in as worker1, the home screen — gzipped size (what a server
   with compression sends), against the 150 KB budget.
2. Offline start: the installed app reopened with the network off, 10 times; time from
   navigation to the home screen drawn from IndexedDB (goal: under 1 s).
3. Lighthouse 13 (npm, into a cache folder outside the repo) at its default mobile
   profile: performance, accessibility, best practices (goals: a11y and BP >= 95).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import BenchError, start_ours, temp_dir  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
BUDGET_KB = 150
LIGHTHOUSE_VERSION = "13.5.0"
LIGHTHOUSE_DIR = Path(tempfile.gettempdir()) / "civicgrid-bench-lighthouse"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
COUNTED = ("script", "stylesheet", "font")


def first_load(browser, base: str) -> list[tuple[str, int, int]]:
    """(path, bytes, gzipped bytes) of every script, style sheet and font loaded."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    seen: dict[str, tuple[int, int]] = {}

    def count(response):
        if response.request.resource_type in COUNTED and response.ok:
            body = response.body()
            seen[response.url.replace(base, "")] = (len(body), len(gzip.compress(body, 9)))

    page.on("response", count)
    page.goto(base + "/")
    page.wait_for_selector("#signin-form")
    page.fill("#username", "worker1")
    page.fill("#password", "demo12345")
    page.click("#signin-form [type=submit]")
    page.wait_for_selector("#home")
    page.wait_for_load_state("networkidle")
    context.close()
    return sorted((path, raw, packed) for path, (raw, packed) in seen.items())


def offline_start(browser, base: str, runs: int = 10) -> list[float]:
    """Seconds from navigation to the home screen, installed and offline."""
    # wait_for_function evaluates a string, which the app's CSP (no 'unsafe-eval') forbids.
    context = browser.new_context(**PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(base + "/")
    page.fill("#username", "worker1")
    page.fill("#password", "demo12345")
    page.click("#signin-form [type=submit]")
    page.wait_for_selector("#home")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_selector("#sync-status[data-state=synced]", timeout=20_000)
    context.set_offline(True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        page.goto(base + "/#/", wait_until="commit")
        page.reload(wait_until="commit")
        page.wait_for_selector("#home", timeout=10_000)
        times.append(time.perf_counter() - started)
    context.close()
    return times


def lighthouse(base: str) -> dict:
    if not shutil.which("npm"):
        raise BenchError("Lighthouse needs Node.js and npm")
    binary = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
        print(f"installing lighthouse@{LIGHTHOUSE_VERSION} into {LIGHTHOUSE_DIR} …", flush=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(LIGHTHOUSE_DIR),
                        f"lighthouse@{LIGHTHOUSE_VERSION}"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "lh.json"
        subprocess.run([str(binary), base + "/", "--quiet", "--output=json", f"--output-path={report}",
                        "--only-categories=performance,accessibility,best-practices",
                        "--chrome-flags=--headless --no-sandbox --disable-background-networking"],
                       check=True, env={"CHROME_PATH": CHROMIUM, "PATH": "/usr/bin:/bin"})
        data = json.loads(report.read_text())
    scores = {name: round(category["score"] * 100) for name, category in data["categories"].items()}
    failing = [audit["title"] for audit in data["audits"].values()
               if audit.get("score") is not None and audit["score"] < 1
               and audit.get("scoreDisplayMode") == "binary"]
    return {"scores": scores, "failing_binary_audits": failing}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-lighthouse", action="store_true")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        folder = temp_dir(stack, "civicgrid-pwa-bench-")
        base, _pid = start_ours(stack, folder, f"sqlite:///{folder / 'bench.sqlite'}", workers=2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            files = first_load(browser, base)
            starts = offline_start(browser, base)
            browser.close()
        total_raw = sum(raw for _, raw, _ in files)
        total_gz = sum(packed for _, _, packed in files)
        print("First load (sign-in, then worker1's home): scripts, style sheets, fonts")
        for path, raw, packed in files:
            print(f"  {path:<32} {raw / 1024:7.1f} KB  gzip {packed / 1024:6.1f} KB")
        verdict = "within" if total_gz <= BUDGET_KB * 1024 else "OVER"
        print(f"  {'total':<32} {total_raw / 1024:7.1f} KB  gzip {total_gz / 1024:6.1f} KB "
              f"({verdict} the {BUDGET_KB} KB budget)")
        print(f"Offline start from the home screen, {len(starts)} runs: median "
              f"{statistics.median(starts) * 1000:.0f} ms, worst {max(starts) * 1000:.0f} ms "
              f"(goal < 1000 ms)")
        if not args.no_lighthouse:
            result = lighthouse(base)
            print("Lighthouse " + LIGHTHOUSE_VERSION + " (mobile profile): " + ", ".join(
                f"{name} {score}" for name, score in result["scores"].items()))
            if result["failing_binary_audits"]:
                print("  failing audits: " + "; ".join(result["failing_binary_audits"]))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"pwa_budget: {error}", file=sys.stderr)
        sys.exit(1)
