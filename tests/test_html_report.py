"""The HTML report: self-contained, escaped, and opened in a real headless browser."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd
import pytest

from conftest import read_only, run_lygsim, three_berth_option
from lygsim.cli import main
from lygsim.errors import ResultsError
from lygsim.html_report import REPORT_FILE, write_report

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "lianyungang_2023.yaml"
MM2 = ROOT / "scenarios" / "validation" / "mm2_rho08.yaml"
EVIL = "Tom & Jerry <script>alert(1)</script>"
BROWSER_TIMEOUT_S = 90


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A small baseline run whose scenario description carries markup."""
    out = tmp_path_factory.mktemp("report") / "run"
    code = main(
        [
            "run",
            str(BASELINE),
            "--days",
            "60",
            "--reps",
            "2",
            "--seed",
            "1",
            "--workers",
            "1",
            "--quiet",
            "--set",
            f"scenario.description={EVIL}",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert main(["report", str(out)]) == 0  # figures and report of the run folder
    return out


@pytest.fixture(scope="module")
def report(run_folder) -> str:
    return (run_folder / REPORT_FILE).read_text(encoding="utf-8")


def test_report_is_self_contained(run_folder, report):
    assert report.startswith("<!DOCTYPE html>")
    lowered = report.lower()
    for bad in ('src="http', "src='http", 'href="http', "href='http", "url(", "@import", "<link"):
        assert bad not in lowered, bad
    assert "<script" not in lowered  # no JavaScript at all
    assert re.findall(r'href="([^"]*)"', report) == [
        a for a in re.findall(r'href="([^"]*)"', report) if a.startswith("#")
    ]
    srcs = re.findall(r"<img [^>]*src=\"([^\"]*)\"", report)
    pngs = sorted((run_folder / "figures").glob("*.png"))
    assert len(srcs) == len(pngs) >= 8
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(re.findall(r"<img ", report)) == len(srcs)


def test_report_escapes_scenario_text(report):
    assert EVIL not in report
    assert "<script>alert(1)</script>" not in report
    assert html.escape(EVIL) in report  # shown, as text


def test_report_content(run_folder, report):
    summary = pd.read_csv(run_folder / "summary.csv")
    for section in ("Scenario", "Key figures per terminal", "Figures", "Manifest"):
        assert f">{section}</h2>" in report
    for term in ("container", "ore", "crude", "liquid_bulk", "dry_bulk", "roro"):
        assert f"<td>{term}</td>" in report
    occ = summary[(summary.name == "container") & (summary.metric == "berth_occupancy")].iloc[0]
    assert (
        f"{occ['mean']:.1%}" in report and f"[{occ['ci_low']:.1%}, {occ['ci_high']:.1%}]" in report
    )
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert html.escape(manifest["command"]) in report
    assert f"<td>{manifest['versions']['matplotlib']}</td>" in report
    assert "31 days" in report and "60 days" in report  # warm-up and horizon


def test_csv_and_manifest_text_is_escaped(run_folder, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(run_folder, folder, ignore=shutil.ignore_patterns("runs", "*.parquet"))
    summary = pd.read_csv(folder / "summary.csv")
    summary["unit"] = "<b>t</b>"
    summary.to_csv(folder / "summary.csv", index=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["command"] = "lygsim run '<img src=x onerror=alert(1)>'"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    text = write_report(folder).read_text(encoding="utf-8")
    assert "<b>t</b>" not in text and "&lt;b&gt;t&lt;/b&gt;" in text
    assert "<img src=x" not in text


def test_comparison_report(tmp_path):
    out = tmp_path / "cmp"
    option = three_berth_option(tmp_path, "mm3", "three berths")
    args = ["compare", str(MM2), str(option), "--days", "300", "--reps", "3", "--seed", "2"]
    assert main([*args, "--workers", "1", "--quiet", "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    text = (out / REPORT_FILE).read_text(encoding="utf-8")
    assert ">Options against the base</h2>" in text and "<h3>mm3</h3>" in text
    assert (out / "figures" / "option_comparison.png").is_file()
    assert text.count('src="data:image/png;base64,') == len(list((out / "figures").glob("*.png")))


@pytest.fixture(scope="module")
def study_folder(tmp_path_factory) -> Path:
    """A tiny option study: M/M/2 against M/M/3, its figures and report."""
    root = tmp_path_factory.mktemp("study")
    three_berth_option(root, "mm3")
    (root / "tiny.yaml").write_text(
        f"name: tiny\ndescription: {EVIL!r}\nbase: {MM2}\noptions: [mm3.yaml]\nreps: 2\n"
        "seed: 4\ndays: 300\ndemand: '0.5:1.0:0.25'\ncapacity_reps: 2\nuntil: 2030\n",
        encoding="utf-8",
    )
    out = root / "results"
    assert (
        main(["study", str(root / "tiny.yaml"), "--workers", "1", "--quiet", "--out", str(out)])
        == 0
    )
    folder = out / "tiny"
    assert main(["report", str(folder)]) == 0  # figures and report of the study folder
    return folder


def test_study_report(study_folder):
    text = (study_folder / REPORT_FILE).read_text(encoding="utf-8")
    for section in ("Study", "Options against the base", "Practical capacity", "Growth horizon"):
        assert f">{section}</h2>" in text, section
    names = {p.name for p in (study_folder / "figures").glob("*.png")}
    assert {"option_comparison.png", "capacity_queue.png", "horizon.png"} <= names
    assert text.count('src="data:image/png;base64,') == len(names)
    assert EVIL not in text and html.escape(EVIL) in text


def test_capacity_report(tmp_path):
    out = tmp_path / "cap"
    args = ["capacity", str(MM2), "--demand", "0.5:1.0:0.25", "--reps", "2", "--days", "300"]
    assert main([*args, "--workers", "1", "--quiet", "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    text = (out / REPORT_FILE).read_text(encoding="utf-8")
    assert (
        ">Practical capacity</h2>" in text and "<title>lygsim capacity: mm2_rho08</title>" in text
    )
    assert (out / "figures" / "capacity_queue.png").is_file()
    assert text.count('src="data:image/png;base64,') == 1


def test_report_command_errors(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "is not a folder" in err and err.count("\n") == 1
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "holds no lygsim results" in err and "summary.csv" in err
    with pytest.raises(ResultsError, match="no lygsim results"):
        write_report(tmp_path)


# --- a real browser ----------------------------------------------------------------------

PROBE = """<script>
window.__lygsimErrors = [];
window.addEventListener("error", function (e) {
  var what = e.message || ("failed to load " + (e.target && e.target.tagName));
  window.__lygsimErrors.push(what);
}, true);
(function () {
  var original = console.error;
  console.error = function () {
    window.__lygsimErrors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
})();
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var out = {
    images: imgs.length,
    broken: imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                .map(function (i) { return i.alt; }),
    errors: window.__lygsimErrors,
    resources: performance.getEntriesByType("resource").map(function (r) { return r.name; })
  };
  var pre = document.createElement("pre");
  pre.id = "lygsim-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def chromium() -> str:
    """The Chromium binary; skip without one, but fail in CI, which installs it."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None
    )
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI is set but chromium is missing (.ci/run installs Debian's chromium)")
    pytest.skip("chromium is not installed (Debian: apt-get install chromium); CI makes this fail")


def browse(binary: str, url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run headless Chromium on a file:// URL, network off, bounded in time."""
    assert url.startswith("file://")
    cmd = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--hide-scrollbars",
        "--virtual-time-budget=10000",
        *extra,
        url,
    ]
    env = {**os.environ, "HOME": str(profile)}
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, env=env, check=False
    )


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.parametrize("which", ["run", "study"])
def test_report_opens_in_a_real_browser(which, request, tmp_path):
    binary = chromium()
    run_folder = request.getfixturevalue(f"{which}_folder")
    report = run_folder / REPORT_FILE

    shot = tmp_path / "shot.png"
    done = browse(
        binary,
        report.resolve().as_uri(),
        tmp_path / "profile1",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
    )
    assert shot.is_file() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    assert console_lines(done.stderr) == []
    img = mpimg.imread(shot)
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    assert img[..., :3].std() > 0.05, "the screenshot is blank"

    # the same page with a probe that reports image loads and errors into the DOM
    probed = tmp_path / "probed.html"
    text = report.read_text(encoding="utf-8")
    probed.write_text(text.replace("<head>", "<head>\n" + PROBE, 1), encoding="utf-8")
    done = browse(binary, probed.resolve().as_uri(), tmp_path / "profile2", "--dump-dom")
    found = re.search(r'<pre id="lygsim-probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no probe result in the DOM; stderr: {done.stderr[-2000:]}"
    probe = json.loads(html.unescape(found.group(1)))
    assert probe["images"] == len(list((run_folder / "figures").glob("*.png")))
    assert probe["broken"] == []
    assert probe["errors"] == []
    assert [r for r in probe["resources"] if not r.startswith(("data:", "file:"))] == []
    assert console_lines(done.stderr) == []


# --- waits by cause, overloaded terminals, horizon folders, broken folders ------------------


def test_report_splits_the_wait_by_cause_and_keeps_berth_delays_apart(report):
    assert "Mean wait by cause (hours per ship)" in report
    assert "add up to the mean wait" in report
    assert "Delays at the berth (hours per ship)" in report
    assert "part of the mean service time" in report
    # the waiting-times caption says which replications the figure pools
    assert "the first few replications only" in report
    assert "all replications pooled" not in report


@pytest.fixture(scope="module")
def overloaded_folder(tmp_path_factory) -> tuple[Path, str]:
    """M/M/1 at occupancy 1.2 for a year after its warm-up: an overloaded terminal."""
    out = tmp_path_factory.mktemp("overload") / "run"
    mm1 = ROOT / "scenarios" / "validation" / "mm1_rho08.yaml"
    args = ["run", str(mm1), "--days", "565", "--reps", "2", "--workers", "1"]
    args += ["--set", "arrivals.poisson.interarrival_h.mean=8.3333", "--out", str(out)]
    proc = run_lygsim(*args, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_an_overloaded_terminal_is_reported_everywhere(overloaded_folder):
    out, stdout = overloaded_folder
    # the console: values over the thresholds flagged, a legend, and a warning line
    lines = stdout.splitlines()
    row = next(line for line in lines if line.startswith("queue "))
    assert row.count("!") == 2, row  # occupancy and W/S
    assert any(line.startswith("! above the terminal's threshold") for line in lines)
    assert (
        "warning: terminal queue is overloaded in 2 of 2 replications: demand exceeds "
        "capacity, waits grow without bound"
    ) in lines
    # summary.csv: a KPI row, its mean the share of replications overloaded
    summary = pd.read_csv(out / "summary.csv")
    flag = summary[(summary.name == "queue") & (summary.metric == "overloaded")]
    assert flag["mean"].tolist() == [1.0]
    # the report: a warning box at the top of the KPI section
    text = (out / REPORT_FILE).read_text(encoding="utf-8")
    kpis = text.index('id="kpis"')
    box = text.index('<div class="warning"')
    assert kpis < box < text.index("<table", kpis)
    assert "Terminal queue is overloaded in 2 of 2 replications" in text


def test_a_horizon_folder_gets_its_figure_and_report(tmp_path):
    out = tmp_path / "horizon"
    args = ["horizon", str(BASELINE), "--demand", "0.8:1.6:0.4", "--reps", "2"]
    args += ["--days", "120", "--workers", "1", "--until", "2035", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    assert (out / "figures" / "horizon.png").is_file()
    assert "Growth horizon" in (out / REPORT_FILE).read_text(encoding="utf-8")
    # lygsim report on the folder as the command left it, figures and report removed
    shutil.rmtree(out / "figures")
    (out / REPORT_FILE).unlink()
    assert main(["report", str(out)]) == 0
    assert mpimg.imread(out / "figures" / "horizon.png").shape[0] > 100
    text = (out / REPORT_FILE).read_text(encoding="utf-8")
    assert "lygsim growth horizon: lianyungang_2023" in text
    assert 'id="horizon"' in text and 'id="capacity"' in text
    assert 'id="fig-horizon"' in text


def _break(folder: Path, case: str) -> str:
    """Damage a copy of a run folder; returns the file the error must name."""
    if case == "empty":
        (folder / "summary.csv").write_bytes(b"")
        return "summary.csv"
    if case == "binary":
        (folder / "summary.csv").write_bytes(bytes(range(256)) * 8)
        return "summary.csv"
    if case == "no_columns":
        (folder / "summary.csv").write_text("terminal,metric\ncontainer,calls\n")
        return "summary.csv"
    if case == "header_only":
        head = (folder / "summary.csv").read_text().splitlines()[0]
        (folder / "summary.csv").write_text(head + "\n")
        return "summary.csv"
    if case == "not_a_number":
        s = pd.read_csv(folder / "summary.csv")
        s["mean"] = s["mean"].astype(object)
        s.loc[0, "mean"] = "lots"
        s.to_csv(folder / "summary.csv", index=False)
        return "summary.csv"
    if case == "visits":
        (folder / "visits.parquet").write_bytes(b"PAR1" + bytes(range(200)))
        return "visits.parquet"
    if case == "scenario_yaml":
        (folder / "scenario.yaml").write_text("scenario: [unclosed\n")
        return "scenario.yaml"
    if case == "figures_is_a_file":
        shutil.rmtree(folder / "figures", ignore_errors=True)
        (folder / "figures").write_text("not a folder")
        return "figures"
    if case == "report_is_a_folder":
        (folder / REPORT_FILE).unlink(missing_ok=True)
        (folder / REPORT_FILE / "inside").mkdir(parents=True)
        return REPORT_FILE
    raise AssertionError(case)


BROKEN = [
    "empty",
    "binary",
    "no_columns",
    "header_only",
    "not_a_number",
    "visits",
    "scenario_yaml",
    "figures_is_a_file",
    "report_is_a_folder",
]


@pytest.mark.parametrize("case", BROKEN)
def test_report_on_a_broken_folder_is_one_line_naming_the_file(case, run_folder, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder, ignore=shutil.ignore_patterns("runs"))
    name = _break(folder, case)
    proc = run_lygsim("report", str(folder))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(folder / name) in lines[0], lines[0]


def test_report_on_a_read_only_folder_is_one_line(run_folder, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder, ignore=shutil.ignore_patterns("runs"))
    with read_only(*[p for p in [folder, *folder.rglob("*")] if p.is_dir()]):
        proc = run_lygsim("report", str(folder))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert str(folder) in proc.stderr and "Traceback" not in proc.stderr
