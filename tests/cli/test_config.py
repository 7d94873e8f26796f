"""`config get/set/list`: read activelearn.toml's keys, change one in place, refuse what init refuses."""

from __future__ import annotations

import json
import re

import pytest
from filelock import FileLock

from ..conftest import SAMPLE, run_cli, snapshot

STRATEGY_COMMENT = (
    "# margin, least-confidence, entropy, density, committee, committee-kl, diverse, balanced, coreset, "
    "representative, random"
)


def _listing(project) -> str:
    source = (SAMPLE / "penguins.csv").resolve()
    return (
        "\n".join(
            [
                "project.seed=0",
                f"data.source={source}",
                "data.id_column=id",
                "data.generated_ids=true",
                "data.label_column=species",
                "data.classes=Adelie, Chinstrap, Gentoo",
                "data.skip_values=skip",
                "data.month_first_columns=",
                "columns.island=categorical",
                "columns.bill_length_mm=numeric",
                "columns.bill_depth_mm=numeric",
                "columns.flipper_length_mm=numeric",
                "columns.body_mass_g=numeric",
                "columns.sex=categorical",
                "columns.year=numeric",
                "features.fit_on=pool",
                "features.text=tfidf",
                "model.name=logistic",
                "model.class_weight=balanced",
                "query.strategy=diverse",
                "query.batch_size=20",
                "query.display_columns=",
                "query.expire_after_days=0",
                "query.engine=local",
                "query.scheduler=",
                "query.explore=0.2",
                "stop.budget=0",
                "stop.agreement=0.99",
                "stop.window=3",
                "stop.min_gain=0.01",
                "stop.uncertain_share=0.02",
                "stop.min_eval_per_class=10",
                "stop.min_labels_per_class=10",
            ]
        )
        + "\n"
    )


def test_get_prints_the_value(penguins_project):
    result = run_cli("-C", penguins_project, "config", "get", "query.strategy")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "diverse\n", "")
    result = run_cli("-C", penguins_project, "config", "get", "data.classes")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "Adelie, Chinstrap, Gentoo\n",
        "",
    )
    result = run_cli("-C", penguins_project, "config", "get", "columns.sex")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "categorical\n", "")


def test_list_and_get_without_a_key_print_every_key(penguins_project):
    for command in (["list"], ["get"]):
        result = run_cli("-C", penguins_project, "config", *command)
        assert (result.exit_code, result.stderr) == (0, "")
        assert result.stdout == _listing(penguins_project)


def test_get_json(penguins_project):
    result = run_cli("-C", penguins_project, "config", "get", "stop.agreement", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "key": "stop.agreement",
        "entries": [{"key": "stop.agreement", "value": 0.99, "in_file": True}],
        "warnings": [],
    }
    listing = json.loads(run_cli("-C", penguins_project, "config", "list", "--json").stdout)
    assert listing["key"] is None
    assert {"key": "query.display_columns", "value": None, "in_file": False} in listing["entries"]
    assert {"key": "columns.island", "value": "categorical", "in_file": True} in listing["entries"]


def test_set_changes_only_the_value_and_keeps_comments(penguins_project):
    path = penguins_project / "activelearn.toml"
    before = path.read_text(encoding="utf-8")
    result = run_cli("-C", penguins_project, "config", "set", "query.strategy", "margin")
    assert (result.exit_code, result.stdout) == (0, "query.strategy=margin\n")
    assert result.stderr == f"{path.resolve()}: query.strategy was diverse\n"
    line = f'strategy = "diverse"   {STRATEGY_COMMENT}\n'
    assert line in before
    assert path.read_text(encoding="utf-8") == before.replace(line, f'strategy = "margin"    {STRATEGY_COMMENT}\n')
    assert run_cli("-C", penguins_project, "config", "get", "query.strategy").stdout == "margin\n"


def test_set_types_each_value_as_its_key(penguins_project):
    path = penguins_project / "activelearn.toml"
    before = path.read_text(encoding="utf-8")
    changes = [
        (
            "columns.island",
            "ignore",
            'island            = "categorical"  # 3 distinct values',
            'island            = "ignore"       # 3 distinct values',
        ),
        ("query.batch_size", "7", "batch_size = 20", "batch_size = 7"),
        ("stop.agreement", "0.95", "agreement = 0.99        #", "agreement = 0.95        #"),
        (
            "data.classes",
            "Adelie, Chinstrap,Gentoo,Emperor",
            'classes = ["Adelie", "Chinstrap", "Gentoo"]',
            'classes = ["Adelie", "Chinstrap", "Gentoo", "Emperor"]',
        ),
        (
            "project.seed",
            "42",
            "seed = 0                      #",
            "seed = 42                     #",
        ),
        ("data.generated_ids", "true", None, None),  # already so: nothing written
    ]
    expected = before
    for key, value, old, new in changes:
        result = run_cli("-C", penguins_project, "config", "set", key, value)
        assert result.exit_code == 0, result.stderr
        if old is not None:
            assert expected.count(old) == 1
            expected = expected.replace(old, new)
        assert path.read_text(encoding="utf-8") == expected
    result = run_cli("-C", penguins_project, "config", "set", "data.generated_ids", "true")
    assert (result.stdout, result.stderr) == (
        "",
        "data.generated_ids is already true; nothing changed\n",
    )


def test_set_a_key_the_file_lacks_adds_it_to_its_section(penguins_project):
    path = penguins_project / "activelearn.toml"
    before = path.read_text(encoding="utf-8")
    result = run_cli("-C", penguins_project, "config", "set", "query.display_columns", "island,sex", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "key": "query.display_columns",
        "old": None,
        "new": ["island", "sex"],
        "changed": True,
        "file": str(path.resolve()),
        "warnings": [],
    }
    placeholder = "# display_columns = []   # columns shown in batch files (default: every used column)\n"
    assert path.read_text(encoding="utf-8") == before.replace(
        placeholder, placeholder + 'display_columns = ["island", "sex"]\n'
    )


def test_a_role_comes_back_for_a_column_left_out_of_columns(penguins_project):
    path = penguins_project / "activelearn.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('year              = "numeric"      # whole numbers\n', ""), encoding="utf-8")
    result = run_cli("-C", penguins_project, "config", "set", "columns.year", "categorical")
    assert (result.exit_code, result.stdout) == (0, "columns.year=categorical\n"), result.stderr
    assert path.read_text(encoding="utf-8") == text.replace(
        'year              = "numeric"      # whole numbers\n', 'year = "categorical"\n'
    )


REFUSALS = [
    (
        ["query.strategyy", "margin"],
        2,
        "config key 'query.strategyy': unknown key 'strategyy' in [query] (did you mean 'strategy'?) "
        "(keys: strategy, batch_size, display_columns, expire_after_days, engine, scheduler, explore)",
    ),
    (
        ["querry.strategy", "margin"],
        2,
        "config key 'querry.strategy': unknown section [querry] (did you mean 'query'?)",
    ),
    (
        ["strategy", "margin"],
        2,
        "config key 'strategy' is not SECTION.KEY (did you mean 'query.strategy'?) (e.g. query.strategy)",
    ),
    (
        ["query.strategy", "marginn"],
        2,
        "cannot set query.strategy: [query] strategy = 'marginn' is not known (did you mean 'margin'?) (choose from "
        "margin, least-confidence, entropy, density, committee, committee-kl, diverse, balanced, coreset, "
        "representative, random)",
    ),
    (
        ["query.batch_size", "0"],
        2,
        "cannot set query.batch_size: [query] batch_size must be at least 1, not 0",
    ),
    (
        ["query.batch_size", "abc"],
        2,
        "cannot set query.batch_size: [query] batch_size must be int, not 'abc'",
    ),
    (
        ["query.batch_size", "2.5"],
        2,
        "cannot set query.batch_size: [query] batch_size must be int, not '2.5'",
    ),
    (
        ["stop.agreement", "2"],
        2,
        "cannot set stop.agreement: [stop] agreement must be a number from 0 to 1, not 2.0",
    ),
    (
        ["data.generated_ids", "yes"],
        2,
        "cannot set data.generated_ids: [data] generated_ids must be bool, not 'yes'",
    ),
    (
        ["columns.island", "categorial"],
        2,
        "cannot set columns.island: [columns] island = 'categorial' is not a role (did you mean 'categorical'?) "
        "(roles: numeric, categorical, text, embedding, datetime, ignore)",
    ),
    (
        ["columns.islnd", "text"],
        2,
        "config key 'columns.islnd': 'islnd' is not a column of the pool (did you mean 'island'?)",
    ),
    (
        ["columns.species", "text"],
        2,
        "config columns.species: 'species' is the label column, which has no role",
    ),
    (["columns.id", "text"], 2, "config columns.id: 'id' is the id column, which has no role"),
    (
        ["query.display_columns", "island,sexx"],
        2,
        "cannot set query.display_columns: [query] display_columns names 'sexx', which is not a column (did you mean 'sex'?)",
    ),
    (
        ["data.id_column", "island"],
        2,
        "config data.id_column cannot change after init: every row, label and batch is keyed by it in the pool "
        "(start a new project to change it)",
    ),
    (
        ["data.label_column", "sex"],
        2,
        "config data.label_column cannot change after init: batch files already written carry it as their answer "
        "column (start a new project to change it)",
    ),
    (
        ["data.classes", "Adelie,Gentoo,Emperor"],
        2,
        "config data.classes cannot drop 'Chinstrap': labels use it (adding a class is fine; relabel those rows or "
        "revert their import first)",
    ),
]


@pytest.mark.parametrize("args, code, message", REFUSALS, ids=[" ".join(a) for a, _, _ in REFUSALS])
def test_set_refuses_and_writes_nothing(penguins_project, args, code, message):
    before = snapshot(penguins_project)
    result = run_cli("-C", penguins_project, "config", "set", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", f"error: {message}\n")
    assert snapshot(penguins_project) == before
    result = run_cli("-C", penguins_project, "config", "set", *args, "--json")
    assert result.exit_code == code
    assert json.loads(result.stdout) == {"error": message, "exit_code": code}
    assert snapshot(penguins_project) == before


def test_get_refuses_an_unknown_key(penguins_project):
    result = run_cli("-C", penguins_project, "config", "get", "columns.islnd")
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        result.stderr
        == "error: config key 'columns.islnd': 'islnd' is not a column in [columns] (did you mean 'island'?)\n"
    )


def test_a_broken_file_is_reported_as_such(penguins_project):
    path = penguins_project / "activelearn.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("batch_size = 20", "batch_size = -1"),
        encoding="utf-8",
    )
    before = snapshot(penguins_project)
    result = run_cli("-C", penguins_project, "config", "set", "query.strategy", "margin")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: {path.resolve()}: [query] batch_size must be at least 1, not -1\n"
    assert snapshot(penguins_project) == before
    assert run_cli("-C", penguins_project, "config", "set", "query.batch_size", "5").exit_code == 1


def test_set_holds_the_lock(penguins_project):
    before = snapshot(penguins_project)
    with FileLock(penguins_project / ".activelearn.lock"):
        result = run_cli("-C", penguins_project, "config", "set", "query.strategy", "margin", "--wait", "0.2")
    assert (result.exit_code, result.stdout) == (75, "")
    assert "another activelearn command holds the project lock" in result.stderr
    assert snapshot(penguins_project) == before


def test_the_new_value_takes_effect(trained_project):
    for key, value in (("query.strategy", "margin"), ("query.batch_size", "7")):
        result = run_cli("-C", trained_project, "config", "set", key, value)
        assert (result.exit_code, result.stderr.count("\n")) == (0, 1), result.stderr
    result = run_cli("-C", trained_project, "query", "--json")
    assert result.exit_code == 0, result.stderr
    batch = json.loads(result.stdout)
    assert (batch["strategy"], batch["rows"]) == ("margin", 7)


def test_a_setting_of_the_model_says_to_retrain(trained_project):
    result = run_cli("-C", trained_project, "config", "set", "columns.island", "ignore")
    assert (result.exit_code, result.stdout) == (0, "columns.island=ignore\n")
    assert result.stderr == (
        "warning: the latest model was trained with the old setting: run `activelearn train`\n"
        f"{(trained_project / 'activelearn.toml').resolve()}: columns.island was categorical\n"
    )
    query = run_cli("-C", trained_project, "query", "-n", "3")
    assert query.exit_code == 0, query.stderr
    assert "model 1 does not know the settings in activelearn.toml since it was trained" in query.stderr
    result = run_cli("-C", trained_project, "config", "set", "query.batch_size", "5")
    assert result.stderr == f"{(trained_project / 'activelearn.toml').resolve()}: query.batch_size was 20\n"


def test_readme_config_lines_run_as_written(penguins_project):
    readme = (SAMPLE.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Changing the configuration: `config`\n\n```\n", 1)[1].split("```", 1)[0]
    checked = 0
    for line in block.splitlines():
        command, _, comment = line.partition("#")
        args = command.split()
        assert args[0] == "activelearn"
        result = run_cli("-C", penguins_project, *args[1:])
        assert result.exit_code == 0, (line, result.stderr)
        output = comment.strip()
        if output and " " not in output:  # the comment shows the output, not what the line does
            assert result.stdout == output + "\n"
            checked += 1
    assert checked == 2


def test_a_file_that_is_not_toml_is_named(penguins_project):
    path = penguins_project / "activelearn.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("batch_size = 20", "batch_size = = 20"),
        encoding="utf-8",
    )
    before = snapshot(penguins_project)
    for command in (["get", "query.strategy"], ["set", "query.strategy", "margin"]):
        result = run_cli("-C", penguins_project, "config", *command)
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr.startswith(f"error: {path.resolve()}: not valid TOML: ")
        assert "Traceback" not in result.stderr and result.exception is None
    assert snapshot(penguins_project) == before


def test_features_text_is_tfidf_without_the_key_and_set_writes_it(penguins_project):
    path = penguins_project / "activelearn.toml"
    text = path.read_text(encoding="utf-8")
    assert re.search(r'^text = "\w+"   # how text columns become features', text, re.M)  # init writes the key
    path.write_text(re.sub(r"^text = .*\n", "", text, flags=re.M), encoding="utf-8")  # a file from before it
    result = run_cli("-C", penguins_project, "config", "get", "features.text")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "tfidf\n", "")
    result = run_cli("-C", penguins_project, "config", "set", "features.text", "both")
    assert result.exit_code == 0, result.stderr
    assert "\n[features]\nfit_on = " in path.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").count('text = "both"\n') == 1
    result = run_cli("-C", penguins_project, "config", "get", "features.text")
    assert (result.exit_code, result.stdout) == (0, "both\n")


def test_no_path_in_the_config_is_ever_opened(trained_project):
    """[data] source records where init took the data from; no command reads it, so an edited
    config cannot make activelearn read (or write) a file outside the project."""
    config = trained_project / "activelearn.toml"
    text = config.read_text()
    source = next(line for line in text.splitlines() if line.startswith("source = "))
    config.write_text(text.replace(source, 'source = "/nonexistent/../etc/passwd"'))
    for args in (["train", "--force"], ["query", "-n", "3"], ["status"], ["verify"]):
        result = run_cli("-C", trained_project, *args)
        assert result.exit_code == 0, (args, result.stderr)
