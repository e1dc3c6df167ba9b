"""Size and load time of the self-contained HTML report of a run in which every case regressed.

One command, from the repository root::

    python benchmarks/report_size.py                      # run the suite, then measure
    python benchmarks/report_size.py --report r.html      # measure a report you already have

The run gates the scripted model that complies with everything (``assurai/scripted-unsafe``)
against the committed baseline of the scripted safe model, so all 3,344 bundled cases regress and
every one of them carries its before/after. The page is opened in headless Chromium through
Playwright (``pip install playwright``; the browser is the system's ``chromium``, or
``--chromium PATH``, since Playwright's own browser download is not reachable everywhere).
Load time is from navigation start until pytest-html has drawn the results table and the AssurAI
case details are unpacked (``window.assuraiReady``). Writes nothing into the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_BYTES = 5_000_000
LIMIT_SECONDS = 3.0


def run_suite(out: Path) -> float:
    """Run the bundled suite into ``out`` (self-contained HTML); returns the wall time."""
    command = [sys.executable, "-m", "pytest", str(ROOT / "test_factors"), "-q", "-p", "no:cacheprovider",
               "-n", "2", "--assurai-model=assurai/scripted-unsafe",
               "--assurai-baseline=assurai-scripted-safe__rules", f"--assurai-baseline-dir={ROOT / 'baselines'}",
               f"--html={out}", "--self-contained-html", f"--rootdir={ROOT}"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 1 or not out.exists():  # 1: the gates regressed, as they must
        raise SystemExit(f"the run ended {done.returncode}, not 1:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - start


def breakdown(page: str) -> dict[str, int]:
    """Bytes of the page's parts: pytest-html's JSON blob, the AssurAI case data, the rest."""
    sizes = {"total": len(page.encode("utf-8"))}
    blob = re.search(r'data-jsonblob="([^"]*)"', page)
    data = re.search(r'id="assurai-case-data"[^>]*>(.*?)</script>', page, re.S)
    sizes["pytest-html rows (JSON blob)"] = len(blob.group(1).encode()) if blob else 0
    sizes["AssurAI case data"] = len(data.group(1).encode()) if data else 0
    sizes["rest (summary, worst cases, CSS, scripts)"] = sizes["total"] - sum(list(sizes.values())[1:])
    return sizes


def load_times(report: Path, chromium: str, runs: int, screenshot: Path | None) -> list[float]:
    """Seconds from navigation start to a drawn table with unpacked case details, per fresh page."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for i in range(runs):
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.goto(report.resolve().as_uri(), wait_until="load", timeout=120_000)
            # A report without case data (older versions) is ready once its rows are drawn.
            page.wait_for_function("(window.assuraiReady === true || !document.getElementById('assurai-case-data')) && "
                                   "document.querySelectorAll('#results-table tbody.results-table-row').length > 0",
                                   timeout=120_000)
            times.append(page.evaluate("performance.now()") / 1000)
            if screenshot is not None and i == runs - 1:
                page.screenshot(path=str(screenshot), full_page=False)
            page.close()
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="measure this report instead of running the suite")
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    parser.add_argument("--runs", type=int, default=5, help="page loads to time (default 5)")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of the last load here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = args.report or Path(tmp) / "report.html"
        figures: dict[str, object] = {}
        if args.report is None:
            figures["suite wall time (s)"] = round(run_suite(report), 1)
        figures.update(breakdown(report.read_text(encoding="utf-8")))
        if args.chromium:
            times = load_times(report, args.chromium, args.runs, args.screenshot)
            figures["load (s) min/median/max"] = [round(min(times), 2), round(statistics.median(times), 2),
                                                  round(max(times), 2)]
        else:
            figures["load"] = "no chromium found: pass --chromium PATH"
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    print(f"size {'OK' if figures['total'] < LIMIT_BYTES else 'OVER'} (limit {LIMIT_BYTES:,} bytes)")  # type: ignore[operator]


if __name__ == "__main__":
    main()
