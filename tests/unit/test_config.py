"""config: activelearn.toml rendered and parsed back, and every error naming its key."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activelearn.config import Config, config_from_dict, render_config
from activelearn.errors import ConfigError

# --- config --------------------------------------------------------------------------------------


column_names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    lambda s: s.strip() == s and s
)


@given(names=st.lists(column_names, min_size=1, max_size=6, unique=True), seed=st.integers(0, 2**31))
@settings(max_examples=100, deadline=None)
def test_rendered_config_parses_back_to_the_same_config(names, seed):
    config = Config(
        id_column="id",
        label_column='the "label"',
        classes=("a\\b", "ç"),
        columns={n: "numeric" for n in names},
        seed=seed,
        column_notes={names[0]: "a note # with a hash"},
    )
    parsed = config_from_dict(tomllib.loads(render_config(config, "today")))
    assert parsed == config


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"qeury": {}}, "unknown section [qeury] (did you mean 'query'?)"),
        ({"model": {"nmae": "x"}}, "unknown key 'nmae' in [model] (did you mean 'name'?)"),
        ({"model": {"name": "forest"}}, "[model] name = 'forest' is not known"),
        ({"query": {"batch_size": 0}}, "[query] batch_size must be at least 1, not 0"),
        ({"query": {"batch_size": "5"}}, "[query] batch_size must be int, not '5'"),
        ({"project": {"seed": True}}, "[project] seed must be int, not True"),
        (
            {"query": {"display_columns": ["nope"]}},
            "display_columns names 'nope', which is not a column",
        ),
    ],
)
def test_config_errors_name_the_key(raw, message):
    base = {
        "data": {"id_column": "id", "label_column": "label", "classes": ["a", "b"]},
        "columns": {"x": "numeric"},
    }
    for section, values in raw.items():
        base.setdefault(section, {}).update(values)
    with pytest.raises(ConfigError) as caught:
        config_from_dict(base)
    assert message in caught.value.message
