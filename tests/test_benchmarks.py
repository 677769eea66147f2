"""Each benchmark runs once in smoke mode so it cannot rot; timings are never asserted.

The stored results file is checked for what the docs and README draw from it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # see the contributing guide: -m 'not slow'

ROOT = Path(__file__).parents[1]
BENCHMARKS = sorted((ROOT / "benchmarks").glob("bench_*.py"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import report  # noqa: E402

STORED = json.loads((ROOT / "benchmarks" / "results.json").read_text())["benchmarks"]


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.stem)
def test_benchmark_smoke_run(script, tmp_path):
    results = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, script.name, "--smoke", "--save", str(results)],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SKLEARN_AE_MNIST": ""},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    if script.stem == "bench_mixed":  # mixed tables: the bundled penguins in smoke mode
        assert "the bundled penguins only" in result.stdout
    elif script.stem == "bench_out_of_core":  # data it writes itself
        assert "synthetic table" in result.stdout
    elif "bench_defaults" not in script.name:  # stated on digits, MNIST plays no part
        assert "falling back to digits" in result.stdout
    name = script.stem.removeprefix("bench_")
    stored = json.loads(results.read_text())["benchmarks"][name]
    assert stored["produced"]["smoke"] is True
    assert stored["produced"]["command"] == f"python benchmarks/{script.name} --smoke"
    if "No CUDA device available" in result.stdout:  # bench_gpu on a CPU-only machine
        assert stored["values"]["skipped"]
        return
    assert stored["tables"] and "|" in result.stdout  # printed and stored its tables
    # What the docs draw from a run of this benchmark renders.
    text = report.render_section(name, stored, tmp_path)
    assert ".. csv-table::" in text


def test_run_all_stores_each_run_and_redraws_tables_figures_and_readme(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.README_START}\nstale\n{report.README_END}\nrest\n")
    results, docs = tmp_path / "results.json", tmp_path / "docs"
    results.write_text(json.dumps({"benchmarks": {"conv": STORED["conv"]}}))
    command = [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--smoke"]
    command += ["--only", "defaults", "overhead", "--results", str(results)]
    command += ["--docs", str(docs), "--readme", str(readme)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    stored = json.loads(results.read_text())["benchmarks"]
    assert sorted(stored) == ["conv", "defaults", "overhead"]  # the entry not rerun is kept
    assert stored["conv"] == STORED["conv"]
    assert (docs / "overhead_curves.png").stat().st_size > 10_000
    assert "smoke run" in (docs / "overhead.inc").read_text()
    assert "Not measured yet" in (docs / "vae.inc").read_text()
    text = readme.read_text()
    assert "stale" not in text and text.startswith("intro\n") and text.endswith("rest\n")
    assert " ".join(report.readme_block(stored).split()) in " ".join(text.split())


@pytest.mark.parametrize("flags", [["--smoke", "--mnist", "somewhere"], []])
def test_run_all_refuses_to_replace_the_stored_results_with_a_smaller_run(flags):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--only", "gpu", *flags],
        capture_output=True,
        text=True,
        env={**os.environ, "SKLEARN_AE_MNIST": ""},
    )
    assert done.returncode == 2
    assert "results.json holds full MNIST runs" in done.stderr
    assert "--results OTHER.json" in done.stderr
    assert json.loads((ROOT / "benchmarks" / "results.json").read_text())["benchmarks"] == STORED


def test_stored_results_cover_every_section_and_say_how_they_were_produced():
    assert sorted(STORED) == sorted(report.SECTIONS)
    for name, result in STORED.items():
        produced = result["produced"]
        assert produced["smoke"] is False, name
        assert produced["command"].startswith(f"python benchmarks/bench_{name}.py"), name
        if name != "defaults":  # defaults is stated on digits; tables, adbench on ADBench
            expected = {
                "tables": "ADBench",
                "adbench": "ADBench",
                "mixed": "mixed tables",
                "out_of_core": "synthetic table",  # data it writes itself
            }
            assert expected.get(name, "MNIST") in produced["data"], name
        for key in ("date", "machine", "threads", "python", "versions", "commit"):
            assert produced[key], (name, key)
        for table in result["tables"].values():
            assert len(table["columns"]) == len(table["formats"]), name
            assert all(len(row) == len(table["columns"]) for row in table["rows"]), name


def test_docs_draw_at_least_four_figures_and_the_readme_quotes_the_stored_results(tmp_path):
    report.render(out=tmp_path)
    figures = sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(figures) >= 4, figures
    includes = "".join(p.read_text() for p in tmp_path.glob("*.inc"))
    assert all(f"/_benchmarks/{figure}" in includes for figure in figures)
    assert "Not measured yet" not in includes
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert " ".join(report.readme_block(STORED).split()) in readme


@pytest.fixture
def stored_copy(tmp_path, monkeypatch):
    """The stored results, README and docs output redirected to a scratch folder."""
    import _common

    results, readme = tmp_path / "results.json", tmp_path / "README.md"
    results.write_text(json.dumps({"benchmarks": STORED}))
    readme.write_text(f"{report.README_START}\n{report.README_END}\n")
    for module in (_common, report):
        monkeypatch.setattr(module, "RESULTS_FILE", results)
    monkeypatch.setattr(report, "DOCS_OUT", tmp_path / "docs")
    monkeypatch.setattr(report, "README", readme)
    return results


def _record(name, data, smoke=False, no_save=False):
    import argparse

    import _common

    args = argparse.Namespace(threads=1, smoke=smoke, save=None, no_save=no_save)
    record = _common.Record(name, args, data)
    record.content["tables"] = json.loads(json.dumps(STORED[name]["tables"]))
    record.content["values"] = dict(STORED[name]["values"])
    return record


def test_a_full_benchmark_run_alone_replaces_its_entry_and_redraws(stored_copy):
    record = _record("score", "MNIST test split (8000 train / 2000 held out)")
    record.value("score_epochs", 1.234)
    record.save()
    stored = json.loads(stored_copy.read_text())["benchmarks"]
    assert stored["score"]["values"]["score_epochs"] == 1.234
    assert {k: v for k, v in stored.items() if k != "score"} == {
        k: v for k, v in STORED.items() if k != "score"
    }
    assert "1.23 training epochs" in (report.DOCS_OUT / "score.inc").read_text()
    assert "Keras tutorial" in report.README.read_text()


@pytest.mark.parametrize(
    "name, data, flags",
    [
        ("score", "MNIST test split", {"smoke": True}),
        ("score", "scikit-learn digits (1347 train / 450 held out)", {}),
        ("score", "MNIST test split", {"no_save": True}),
    ],
)
def test_a_smoke_digits_or_no_save_run_leaves_the_stored_results_alone(
    stored_copy, name, data, flags
):
    before = stored_copy.read_text()
    record = _record(name, data, **flags)
    record.value("score_epochs", 1.234)
    record.save()
    assert stored_copy.read_text() == before


def test_a_gpu_run_without_cuda_keeps_stored_gpu_measurements(stored_copy):
    measured = dict(STORED, gpu={**STORED["gpu"], "tables": STORED["vae"]["tables"]})
    stored_copy.write_text(json.dumps({"benchmarks": measured}))
    record = _record("gpu", "MNIST test split")
    record.value("skipped", "no CUDA device on the machine that ran it")
    record.save(replaces_measurements=False)
    assert json.loads(stored_copy.read_text())["benchmarks"]["gpu"] == measured["gpu"]
