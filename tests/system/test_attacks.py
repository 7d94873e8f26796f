"""Issue 12's attacks on the tool, one test each: a marker file that must not appear, a label
count that must not drop, or a clean refusal within bounded time and memory. Each section is one
kind of attack; the race and kill tests beside these live in tests/test_crash.py."""

from __future__ import annotations

from ..conftest import SAMPLE, run_cli  # noqa: F401  (the sections below use them)


# === 1. the project lock and compare-and-swap on state.json ====================================




# === 2. model files that would run code ========================================================
import hashlib  # noqa: E402  (each section imports what it uses: sections merge apart)
import json  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ..conftest import Run, snapshot  # noqa: E402


def _bounded(*args, cwd: Path, seconds: int = 60) -> subprocess.CompletedProcess:
    """The CLI in a subprocess with at most 2 GiB of address space and `seconds` of wall time."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # BLAS threads reserve memory
    return subprocess.run([sys.executable, "-m", "activelearn", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=seconds, preexec_fn=limit, check=False, env=env)


class _Payload:
    """Unpickled, writes `marker` and returns the real model bundle read from `real`: a stealthy
    model that would look normal to every command."""

    def __init__(self, marker: Path, real: Path):
        self.marker, self.real = str(marker), str(real)

    def __reduce__(self):
        code = (f"__import__('pathlib').Path({self.marker!r}).write_text('ran') or "
                f"__import__('joblib').load({self.real!r})")
        return eval, (code,)


def _model_record(project: Path) -> tuple[dict, dict]:
    state = json.loads((project / "state.json").read_text())
    return state, state["models"][-1]


def _point_state_at(project: Path, file: str, sha256: str) -> None:
    state, record = _model_record(project)
    record.update(file=file, sha256=sha256)
    (project / "state.json").write_text(json.dumps(state, indent=2))


def _pickled_payload(tmp_path: Path, marker: Path) -> bytes:
    """A pickle that runs code and hands back a genuine (joblib) model of the penguins."""
    import joblib

    from activelearn.models import build_pipeline

    pool = pd.read_csv(SAMPLE / "penguins.csv").dropna()
    columns = {"bill_length_mm": "numeric", "flipper_length_mm": "numeric"}
    pipeline = build_pipeline("logistic", columns, 0, pool["species"].to_numpy()).fit(pool, pool["species"])
    real = tmp_path / "real.joblib"
    joblib.dump({"pipeline": pipeline, "metadata": {"columns": columns}}, real)
    return pickle.dumps(_Payload(marker, real))


@pytest.mark.parametrize("command", [["query", "-n", "3"], ["predict", "--out", "p.csv"]])
def test_a_pickle_put_in_place_of_a_model_never_runs(trained_project, tmp_path, command):
    marker = tmp_path / "marker"
    payload = _pickled_payload(tmp_path, marker)
    _, record = _model_record(trained_project)
    (trained_project / record["file"]).write_bytes(payload)
    _point_state_at(trained_project, record["file"], hashlib.sha256(payload).hexdigest())
    before = snapshot(trained_project)
    result = _bounded("-C", trained_project, *command, cwd=tmp_path)
    assert not marker.exists()
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"error: {trained_project / record['file']}: model 1 is a pickle (saved by an older activelearn, or not by "
        "activelearn) and is not loaded; run `activelearn train --force`\n"
    )
    assert snapshot(trained_project) == before


def test_a_skops_file_that_names_a_function_is_refused_without_calling_it(trained_project, tmp_path):
    import skops.io
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    marker = tmp_path / "marker"
    hostile = Pipeline([("run", FunctionTransformer(os.system, kw_args={"command": f"touch {marker}"}))])
    data = skops.io.dumps({"pipeline": hostile, "metadata": {"columns": {}}})
    _, record = _model_record(trained_project)
    (trained_project / record["file"]).write_bytes(data)
    _point_state_at(trained_project, record["file"], hashlib.sha256(data).hexdigest())
    before = snapshot(trained_project)
    reason = f"model 1 holds types activelearn never saves ({os.system.__module__}.system) and is not loaded"
    for command in (["query", "-n", "3"], ["predict", "--out", "p.csv"], ["verify"]):
        result = _bounded("-C", trained_project, *command, cwd=tmp_path)
        assert not marker.exists()
        assert result.returncode == 1
        if command == ["verify"]:
            assert result.stdout == f"problem: {record['file']}: {reason} (run `activelearn train --force`)\n"
        else:
            assert result.stdout == ""
            assert result.stderr == f"error: {trained_project / record['file']}: {reason}; run `activelearn train --force`\n"
    assert snapshot(trained_project) == before
    # train, even on the same labels, replaces a model nothing could load
    trained = _bounded("-C", trained_project, "train", "--json", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["version"] == 2 and not marker.exists()
    state, latest = _model_record(trained_project)
    assert latest["change"] == "unloadable" and latest["file"] == "models/model-0002.skops"
    assert _bounded("-C", trained_project, "query", "-n", "3", cwd=tmp_path).returncode == 0


def _outside_paths(project: Path, tmp_path: Path) -> list[tuple[str, Path]]:
    """(what state.json says, the file it reaches): absolute, climbing out with ../, a symlink."""
    _, record = _model_record(project)
    outside = tmp_path / "elsewhere.skops"
    outside.write_bytes((project / record["file"]).read_bytes())
    (project / "models" / "link.skops").symlink_to(outside)
    return [(str(outside), outside), ("models/../../elsewhere.skops", outside), ("models/link.skops", outside)]


def test_a_model_path_outside_models_is_refused_by_every_command_and_verify(trained_project, tmp_path):
    for file, reached in _outside_paths(trained_project, tmp_path):
        _point_state_at(trained_project, file, hashlib.sha256(reached.read_bytes()).hexdigest())
        before = snapshot(trained_project)
        for command in (["query", "-n", "3"], ["predict", "--out", "p.csv"]):
            ran = _bounded("-C", trained_project, *command, cwd=tmp_path) if command[0] == "query" else None
            result = ran and Run(ran.returncode, ran.stdout, ran.stderr, None) or run_cli("-C", trained_project, *command)
            assert result.exit_code == 1 and result.stdout == "", file
            assert result.stderr == (
                f"error: {trained_project / 'state.json'}: model 1 is recorded at {file!r}, outside models/; "
                "it is not loaded; restore state.json from a backup, or run `activelearn train --force`\n"
            )
            assert snapshot(trained_project) == before
        verified = run_cli("-C", trained_project, "verify")
        assert verified.exit_code == 1
        assert verified.stdout == (
            f"problem: state.json: model 1 is recorded at {file!r}, outside models/; it is not loaded "
            "(restore state.json from a backup, or run `activelearn train --force`)\n"
        )


def test_the_model_is_loaded_from_the_very_bytes_whose_hash_was_checked(trained_project, tmp_path, monkeypatch):
    """The file is swapped for a payload right after its hash is computed: what is loaded is
    still what was checked, and the payload never runs."""
    from activelearn import storage

    marker = tmp_path / "marker"
    payload = _pickled_payload(tmp_path, marker)
    _, record = _model_record(trained_project)
    model = trained_project / record["file"]
    swaps = []

    def swapping(original):
        def digest(*args):
            value = original(*args)
            if value == record["sha256"] and not swaps:  # the model's hash was just checked
                model.write_bytes(payload)  # an attacker who wins the race
                swaps.append(value)
            return value
        return digest

    for name in ("sha256_file", "sha256_bytes"):
        if hasattr(storage, name):
            monkeypatch.setattr(storage, name, swapping(getattr(storage, name)))
    result = run_cli("-C", trained_project, "query", "-n", "3")
    assert swaps and not marker.exists()
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "batches/batch-0001.csv\n"




# === 3/4. spreadsheet outputs: batch overwrite, CR/LF in cells, guarded exports, terminal escapes




# === 5. bounded parsers: bombs and huge files ==================================================




# === 6. broken project files ===================================================================




# === medium: inbox symlinks, fake annotators, control characters at init, colliding ids, scheduler




# === hostile corpus: tests/fixtures/hostile/ ===================================================
