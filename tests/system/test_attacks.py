"""Issue 12's attacks on the tool, one test each: a marker file that must not appear, a label
count that must not drop, or a clean refusal within bounded time and memory. Each section is one
kind of attack; the race and kill tests beside these live in tests/test_crash.py."""

from __future__ import annotations

from ..conftest import SAMPLE, run_cli  # noqa: F401  (the sections below use them)


# === 1. the project lock and compare-and-swap on state.json ====================================




# === 2. model files that would run code ========================================================




# === 3/4. spreadsheet outputs: batch overwrite, CR/LF in cells, guarded exports, terminal escapes




# === 5. bounded parsers: bombs and huge files ==================================================




# === 6. broken project files ===================================================================

# (imports of this section here, not at the top, so that the sections merge without conflict)
import copy  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from activelearn.errors import StateError  # noqa: E402
from activelearn.labels import read_label_log  # noqa: E402
from activelearn.messages import SHOWN_CHARACTERS  # noqa: E402
from activelearn.state import load_state  # noqa: E402

from ..conftest import fill_batch, snapshot  # noqa: E402
# Each damaged file is one verify problem with its fix, and every command refuses it with one
# line: exit 1, `error: <the file>: <what> ...; <the fix>`, no traceback, nothing written.

BROKEN_COMMANDS = {
    "status": ["status"],
    "train": ["train"],
    "query": ["query", "-n", "3"],
    "import-labels": ["import-labels", SAMPLE / "penguins_answers.csv"],
    "predict": ["predict", "--out", "{outside}/predictions.csv"],
    "export": ["export", "--out", "{outside}/labels.csv"],
    "batches": ["query", "--list"],
    "revert": ["import-labels", "--revert", "import-0001"],
}


def _refused_by_every_command(project: Path, error: str, *, but: tuple[str, ...] = ()) -> None:
    """Every command of BROKEN_COMMANDS (those named in `but` aside) run against the broken
    `project`: exit 1, stderr exactly the one line `error`, no traceback, no file written."""
    outside = project.parent / "outside"
    outside.mkdir(exist_ok=True)
    before = snapshot(project)
    for name, command in BROKEN_COMMANDS.items():
        if name in but:
            continue
        result = run_cli("-C", project, *(str(a).format(outside=outside) for a in command))
        assert result.exception is None, (name, result.exception)
        assert (result.exit_code, result.stderr, result.stdout) == (1, error + "\n", ""), name
        assert "Traceback" not in result.stderr
        assert snapshot(project) == before, name
    assert list(outside.iterdir()) == []


def _verify_problems(project: Path) -> str:
    result = run_cli("-C", project, "verify")
    assert result.exit_code == 1 and result.stderr == "", result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def imported_template(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("template") / "proj"
    assert run_cli("-q", "init", project, "--data", SAMPLE / "penguins.csv", "--label-column", "species").exit_code == 0
    assert run_cli("-C", project, "train").exit_code == 0
    batch = project / run_cli("-C", project, "query", "-n", "5").stdout.strip()
    fill_batch(batch, SAMPLE / "penguins_answers.csv")
    assert run_cli("-C", project, "import-labels", batch).exit_code == 0
    return project


@pytest.fixture
def imported_project(imported_template, tmp_path) -> Path:
    """A trained project whose second import (5 labels from a batch) is import-0002 (a fresh copy)."""
    project = tmp_path / "proj"
    shutil.copytree(imported_template, project)
    return project.resolve()


def test_a_deleted_label_log_is_refused_not_read_as_no_labels(imported_project):
    (imported_project / "data" / "labels.parquet").unlink()
    assert _verify_problems(imported_project) == (
        "problem: data/labels.parquet: the label log is missing, and state.json shows the project had one "
        "(restore it from a backup)\n"
    )
    _refused_by_every_command(imported_project, (
        f"error: {imported_project}/data/labels.parquet: the label log is missing, and state.json shows the "
        "project had one; restore it from a backup"
    ))


def test_a_label_log_deleted_before_any_train_is_refused_too(penguins_project):
    """init writes the log even empty, and says so in state.json: its absence is damage."""
    project = penguins_project.resolve()
    assert json.loads((project / "state.json").read_text())["label_log_written"] is True
    (project / "data" / "labels.parquet").unlink()
    result = run_cli("-C", project, "status")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"error: {project}/data/labels.parquet: the label log is missing, and state.json shows "
                             "the project had one; restore it from a backup\n")


def test_a_label_of_a_class_missing_from_the_config_is_refused_until_fixed(imported_project):
    config = imported_project / "activelearn.toml"
    config.write_text(config.read_text().replace('"Gentoo", ', "").replace(', "Gentoo"', ""))
    log = read_label_log(imported_project / "data" / "labels.parquet")
    gentoo = log[log["answer"] == "Gentoo"]
    imports = ", ".join(sorted(set(gentoo["import_id"])))
    assert len(gentoo) == 2 and imports == "import-0001"  # init's two Gentoo labels
    assert _verify_problems(imported_project) == (
        "problem: data/labels.parquet: labels 'Gentoo' are not among the classes of activelearn.toml (add them to "
        f"[data] classes, or revert the import that brought them: activelearn import-labels --revert {imports})\n"
    )
    # train must not fit a model with a class the project does not know; revert is the fix
    _refused_by_every_command(imported_project, (
        f"error: {imported_project}/data/labels.parquet: {len(gentoo)} labels are of classes not in activelearn.toml "
        f"[data] classes ('Gentoo'); add them to [data] classes, or revert the import that brought them "
        f"(activelearn import-labels --revert {imports})"
    ), but=("revert",))
    assert run_cli("-C", imported_project, "import-labels", "--revert", "import-0001").exit_code == 0
    assert run_cli("-C", imported_project, "verify").exit_code == 0
    assert run_cli("-C", imported_project, "status").exit_code == 0


def _rewrite_log(project: Path, change) -> None:
    path = project / "data" / "labels.parquet"
    pq.write_table(change(pq.read_table(path)), path)


@pytest.mark.parametrize(("values", "arrow"), [
    (lambda n: pa.array(["no"] * n), "string"),
    (lambda n: pa.array([0] * n), "int64"),
    (lambda n: pa.array([None] * (n - 1) + [False], pa.bool_()), "bool with empty values"),
])
def test_a_non_boolean_evaluation_column_is_refused(imported_project, values, arrow):
    _rewrite_log(imported_project, lambda t: t.set_column(t.column_names.index("evaluation"), "evaluation", values(len(t))))
    assert _verify_problems(imported_project) == (
        f"problem: data/labels.parquet: label log column 'evaluation' holds {arrow} where it should hold true or false "
        "in every row (restore it from a backup)\n"
    )
    _refused_by_every_command(imported_project, (
        f"error: {imported_project}/data/labels.parquet: label log column 'evaluation' holds {arrow} where it should "
        "hold true or false in every row; restore it from a backup"
    ))


@pytest.mark.parametrize("pandas", [
    b"{bogus",
    json.dumps({"index_columns": ["nope"], "columns": [{"name": "x"}]}).encode(),
    json.dumps({"index_columns": [], "columns": [{"name": "evaluation", "pandas_type": "unicode",
                                                  "numpy_type": "object", "field_name": "evaluation"}]}).encode(),
])
def test_bogus_pandas_metadata_in_the_label_log_neither_crashes_nor_misleads(imported_project, pandas):
    before = {name: run_cli("-C", imported_project, *command) for name, command in
              (("status", ["status", "--json"]), ("batches", ["query", "--list", "--json"]))}
    _rewrite_log(imported_project, lambda t: t.replace_schema_metadata({**t.schema.metadata, b"pandas": pandas}))
    for name, command in (("status", ["status", "--json"]), ("batches", ["query", "--list", "--json"])):
        result = run_cli("-C", imported_project, *command)
        assert (result.exit_code, result.stderr, result.stdout) == (0, "", before[name].stdout), name
    assert run_cli("-C", imported_project, "verify").exit_code == 0


STATE_DAMAGE = {
    "truncated": (lambda text: text[:200], "not valid JSON (Unterminated string starting at: line 10 column 9 (char 195))"),
    "batches not a list": ({"batches": 5}, "batches should be a list, not 5"),
    "string model version": (lambda s: s["models"][0].update(version="1"), 'models[0].version should be a whole number from 0 to 9223372036854775807, not "1"'),
    "negative pool_rows": ({"pool_rows": -3}, "pool_rows should be a whole number from 0 to 9223372036854775807, not -3"),
    "string pool_rows": ({"pool_rows": "344"}, 'pool_rows should be a whole number from 0 to 9223372036854775807, not "344"'),
    "huge pool_rows": ({"pool_rows": 10**60}, "pool_rows should be a whole number from 0 to 9223372036854775807, not 1000000000000000000000000000000000000..."),
    "batch without ids": (lambda s: s["batches"][0].pop("ids"), "batches[0].ids is missing"),
    "reverted_imports a list": ({"reverted_imports": ["import-0001"]}, 'reverted_imports should be an object of strings, not ["import-0001"]'),
    "batch time without offset": (lambda s: s["batches"][0].update(created="2024-01-01"), 'batches[0].created should be a time like 2024-01-31T12:00:00+00:00, not "2024-01-01"'),
    "batch name without number": (lambda s: s["batches"][0].update(name="batch-x"), 'batches[0].name should be like batch-0001, not "batch-x"'),
    "metric as a string": (lambda s: s["models"][0]["cv_metrics"].update(accuracy="0.9"), "models[0].cv_metrics.accuracy should be a number"),
    "signal as a string": (lambda s: s["models"][0]["stop_signals"].update(uncertain_share="low"), "models[0].stop_signals.uncertain_share should be a number"),
    "per-class metric as text": (lambda s: s["models"][0]["cv_metrics"]["per_class"]["Adelie"].update(recall="high"),
                                 "models[0].cv_metrics.per_class.Adelie.recall should be a number"),
    "number of 5000 digits": (lambda text: text.replace('"pool_rows": 344', '"pool_rows": ' + "9" * 5000), "not a state file activelearn wrote (a number or nesting too large)"),
    "nested 100000 deep": (lambda text: text.replace('"batches": [', '"batches": [' + "[" * 100_000, 1), "not a state file activelearn wrote (a number or nesting too large)"),
}


@pytest.mark.parametrize("damage", list(STATE_DAMAGE))
def test_a_malformed_state_json_is_one_line_error(imported_project, damage):
    change, what = STATE_DAMAGE[damage]
    path = imported_project / "state.json"
    if isinstance(change, dict):
        path.write_text(json.dumps({**json.loads(path.read_text()), **change}, indent=2))
    elif damage in ("truncated", "number of 5000 digits", "nested 100000 deep"):
        path.write_text(change(path.read_text()))
    else:
        state = json.loads(path.read_text())
        change(state)
        path.write_text(json.dumps(state, indent=2))
    assert _verify_problems(imported_project) == f"problem: state.json: {what} (restore it from a backup)\n"
    _refused_by_every_command(imported_project, f"error: {imported_project}/state.json: {what}; restore it from a backup")


def test_a_deep_or_huge_state_json_is_refused_in_bounded_time_and_memory(imported_project):
    path = imported_project / "state.json"
    path.write_text(path.read_text().replace('"batches": [', '"batches": [' + "[" * 1_000_000 + "9" * 100_000, 1))
    before = snapshot(imported_project)
    result = subprocess.run(
        [sys.executable, "-m", "activelearn", "-C", str(imported_project), "status"], capture_output=True, text=True,
        timeout=30, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)),
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (f"error: {imported_project}/state.json: not a state file activelearn wrote (a number or "
                             "nesting too large); restore it from a backup\n")
    assert snapshot(imported_project) == before


def _valid_state(tmp_path_factory) -> dict:
    project = tmp_path_factory.mktemp("fuzz") / "proj"
    assert run_cli("-q", "init", project, "--data", SAMPLE / "penguins.csv", "--label-column", "species").exit_code == 0
    assert run_cli("-C", project, "train").exit_code == 0
    assert run_cli("-C", project, "query", "-n", "3", "--prefill").exit_code == 0
    return json.loads((project / "state.json").read_text())


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _places(value, prefix=()):
    """Every path to a value inside a JSON document."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _places(item, (*prefix, index))


@pytest.fixture(scope="module")
def valid_state(tmp_path_factory) -> dict:
    return _valid_state(tmp_path_factory)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_state_json_loads_whole_or_is_one_state_error(valid_state, tmp_path_factory, data):
    """Any one value of a real state.json replaced by any JSON value, or deleted, or the file cut
    anywhere: load_state returns a State whose fields have their types, or raises StateError."""
    state = copy.deepcopy(valid_state)
    places = [p for p in _places(state) if p]
    place = data.draw(st.sampled_from(places))
    parent = state
    for key in place[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()):
        parent[place[-1]] = data.draw(JSON_VALUES)
    else:
        del parent[place[-1]]
    text = json.dumps(state)
    if data.draw(st.booleans()):
        text = text[:data.draw(st.integers(0, len(text)))]
    path = tmp_path_factory.mktemp("state") / "state.json"
    path.write_text(text)
    try:
        loaded = load_state(path)
    except StateError as exc:
        assert "\n" not in exc.message and exc.message.startswith(f"{path}: ")
        return
    assert isinstance(loaded.pool_rows, int) and loaded.pool_rows >= 0
    assert all(isinstance(i, str) for b in loaded.batches for i in b.ids)
    loaded.next_batch_number(), loaded.next_model_version()  # noqa: B018  (what commands compute from it)
    assert all(isinstance(m.version, int) and isinstance(m.labels_per_class, dict) for m in loaded.models)


@pytest.mark.parametrize("given", ["abc", "import-x", "-3", "import--3", "9" * 5000, "²", "import-0001 x", ""])
def test_a_non_numeric_import_id_is_a_usage_error(imported_project, given):
    before = snapshot(imported_project)
    result = run_cli("-C", imported_project, "import-labels", "--revert", given)
    assert result.exception is None
    cut = SHOWN_CHARACTERS
    shown = repr(given) if len(given) <= cut else f"{given[:cut] + '…'!r} ({len(given):,} characters)"
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: --revert {shown}: not an import id; give one like import-0009, or its number (9)\n"
    assert snapshot(imported_project) == before


POOL_DAMAGE = {
    "deleted": (lambda p: p.unlink(), "the pool is missing; the project is incomplete (re-run init)",
                "the pool is missing; the project is incomplete (re-run init)"),
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[:300]),
                  "the pool cannot be read (Parquet magic bytes not found in footer. Either the file is corrupted or "
                  "this is not a parquet file.)", None),
    "not parquet": (lambda p: p.write_text("id,species\n"),
                    "the pool cannot be read (Parquet magic bytes not found in footer. Either the file is corrupted "
                    "or this is not a parquet file.)", None),
}


@pytest.mark.parametrize("damage", list(POOL_DAMAGE))
def test_a_damaged_pool_is_refused(imported_project, damage):
    change, what, _ = POOL_DAMAGE[damage]
    change(imported_project / "data" / "pool.parquet")
    fix = "restore it from a backup, or init the project again"
    assert _verify_problems(imported_project) == f"problem: data/pool.parquet: {what} ({fix})\n"
    error = f"error: {imported_project}/data/pool.parquet: {what}" + ("" if damage == "deleted" else f"; {fix}")
    _refused_by_every_command(imported_project, error)


def test_a_pool_with_other_rows_than_state_json_counted_is_refused(imported_project):
    pool = imported_project / "data" / "pool.parquet"
    pq.write_table(pq.read_table(pool).slice(0, 300), pool)
    assert "problem: data/pool.parquet: has 300 rows where state.json says 344" in _verify_problems(imported_project)
    _refused_by_every_command(imported_project, (f"error: {imported_project}/data/pool.parquet: has 300 rows where "
                                                 "state.json says 344; restore the pool written by init"))


@pytest.mark.parametrize(("change", "what", "fix"), [
    (lambda text: "[data\n" + text, "not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 6)",
     "; fix that line, or restore the file from a backup"),
    (lambda text: text.replace("batch_size = 20", 'batch_size = "20"'), "[query] batch_size must be int, not '20'", ""),
])
def test_a_broken_activelearn_toml_is_refused(imported_project, change, what, fix):
    config = imported_project / "activelearn.toml"
    config.write_text(change(config.read_text()))
    assert _verify_problems(imported_project) == (
        f"problem: activelearn.toml: {what} (fix that line, or restore the file from a backup)\n"
    )
    _refused_by_every_command(imported_project, f"error: {imported_project}/activelearn.toml: {what}{fix}")


def test_a_truncated_model_is_refused_where_loaded_and_train_force_replaces_it(imported_project):
    assert run_cli("-C", imported_project, "train").exit_code == 0
    model = imported_project / "models" / "model-0002.joblib"
    model.write_bytes(model.read_bytes()[:100])
    assert _verify_problems(imported_project) == (
        "problem: models/model-0002.joblib: model 2 has changed since activelearn wrote it (it will not be loaded) "
        "(delete it and run `activelearn train --force`)\n"
    )
    error = (f"error: {model}: model file has changed since activelearn wrote it and will not be loaded; "
             "run `activelearn train` to make a new one")
    _refused_by_every_command(imported_project, error, but=("status", "train", "import-labels", "export", "batches", "revert"))
    forced = run_cli("-C", imported_project, "train", "--force")
    assert forced.exit_code == 0 and forced.exception is None
    assert run_cli("-C", imported_project, "query", "-n", "3").exit_code == 0


def test_a_waiting_batch_whose_file_is_gone_is_reported_and_can_be_written_again(imported_project):
    """Not damage every command refuses: the batch's rows are in state.json, and `query --rewrite`
    (or `verify --repair`, which releases it) is the fix."""
    batch = imported_project / run_cli("-C", imported_project, "query", "-n", "4").stdout.strip()
    written = batch.read_bytes()
    batch.unlink()
    assert _verify_problems(imported_project) == (
        "problem: batches/batch-0002.csv: batch-0002 waits for 4 answers, but its file is gone (verify --repair "
        "releases the batch (its rows return to the pool))\n"
    )
    for name in ("status", "batches", "export", "predict"):  # reading commands carry on
        command = [str(a).format(outside=imported_project.parent) for a in BROKEN_COMMANDS[name]]
        result = run_cli("-C", imported_project, *command)
        assert (result.exit_code, result.exception) == (0, None), (name, result.stderr)
    assert run_cli("-C", imported_project, "query", "--rewrite", "batch-0002").exit_code == 0
    assert batch.read_bytes() == written




# === medium: inbox symlinks, fake annotators, control characters at init, colliding ids, scheduler




# === hostile corpus: tests/fixtures/hostile/ ===================================================
