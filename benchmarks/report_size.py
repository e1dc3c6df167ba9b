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
import os
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


def _browser_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of each Chromium process this one started (Linux ``/proc``).

    On a shared machine wall time grows with everyone else's load; CPU time much less so, and on
    an idle machine page loading is mostly one busy main thread, so it approximates the idle wall time.
    """
    tick = os.sysconf("SC_CLK_TCK")
    parents, cpu = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1: stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        parents[int(entry.name)] = int(fields[1])
        if "chrom" in name:
            cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    mine = {os.getpid()}
    for _ in range(6):  # python → playwright driver → chromium → its children
        mine |= {pid for pid, parent in parents.items() if parent in mine}
    return {pid: seconds for pid, seconds in cpu.items() if pid in mine}


def load_times(report: Path, chromium: str, runs: int, screenshot: Path | None) -> list[tuple[float, float]]:
    """(wall seconds from navigation start to a drawn table with unpacked case details, browser CPU
    seconds spent meanwhile), per fresh page."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for i in range(runs):
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            before = _browser_cpu()
            page.goto(report.resolve().as_uri(), wait_until="load", timeout=120_000)
            # A report without case data (older versions) is ready once its rows are drawn.
            page.wait_for_function("(window.assuraiReady === true || !document.getElementById('assurai-case-data')) && "
                                   "document.querySelectorAll('#results-table tbody.results-table-row').length > 0",
                                   timeout=120_000)
            wall = page.evaluate("performance.now()") / 1000
            after = _browser_cpu()
            times.append((wall, sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())))
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
    parser.add_argument("--keep", type=Path, help="copy the report the run wrote here (outside the repository)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = args.report or Path(tmp) / "report.html"
        figures: dict[str, object] = {}
        if args.report is None:
            figures["suite wall time (s)"] = round(run_suite(report), 1)
            if args.keep is not None:
                shutil.copyfile(report, args.keep)
        figures.update(breakdown(report.read_text(encoding="utf-8")))
        if args.chromium:
            times = load_times(report, args.chromium, args.runs, args.screenshot)
            for k, label in enumerate(("load wall (s)", "load browser CPU (s)")):
                values = [t[k] for t in times]
                figures[f"{label} min/median/max"] = [round(min(values), 2), round(statistics.median(values), 2),
                                                      round(max(values), 2)]
            figures["load average (1 min)"] = round(os.getloadavg()[0], 1)
        else:
            figures["load"] = "no chromium found: pass --chromium PATH"
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    print(f"size {'OK' if figures['total'] < LIMIT_BYTES else 'OVER'} (limit {LIMIT_BYTES:,} bytes)")  # type: ignore[operator]


if __name__ == "__main__":
    main()
