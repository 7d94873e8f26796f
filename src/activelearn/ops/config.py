"""`config`: read the keys of activelearn.toml, or change one in place, comments and layout kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import (
    RECORDED_KEYS,
    SCHEMA,
    WrongTypeError,
    check_change,
    config_from_dict,
    default_values,
    read_config_file,
    split_key,
    typed_value,
    with_value,
)
from ..errors import ConfigError, UsageError
from ..messages import did_you_mean
from ..project import Project, project_lock
from ..storage import write_text
from ..versions import training_key


@dataclass(kw_only=True)
class ConfigEntry:
    key: str  # section.key
    value: Any  # None: not set (display_columns: every used column)
    in_file: bool  # False: the default applies


@dataclass(kw_only=True)
class ConfigListing:
    key: str | None  # the one key asked for, or None for every key
    entries: list[ConfigEntry]
    warnings: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class ConfigChange:
    key: str
    old: Any
    new: Any
    changed: bool  # False: the file already said so, and was left alone
    file: str
    warnings: list[str] = field(default_factory=list)


def config_values(project: Project, key: str | None = None) -> ConfigListing:
    """Every key of the project's configuration with its value (the default where the file has none)."""
    _, raw = read_config_file(project.paths.config)
    entries = _entries(raw)
    if key is None:
        return ConfigListing(key=None, entries=entries)
    section, name = split_key(key)
    wanted = f"{section}.{name}"
    found = [e for e in entries if e.key == wanted]
    if not found:
        raise UsageError(
            f"config key {key!r}: {name!r} is not a column in [columns]{did_you_mean(name, raw.get('columns', {}))}"
        )
    return ConfigListing(key=wanted, entries=found)


def set_config(project: Project, key: str, value: str, *, wait: float = 0.0) -> ConfigChange:
    """Set one key of activelearn.toml to `value` (typed as the key's type), after the checks
    every command applies on reading it; the rest of the file is kept byte for byte."""
    import tomlkit

    section, name = split_key(key)
    path = project.paths.config
    with project_lock(project.paths, wait):
        text, raw = read_config_file(project.paths.config)
        old_config = config_from_dict(raw, str(path))  # a broken file is the file's problem, not the new value's
        old = raw.get(section, {}).get(name, default_values().get(section, {}).get(name))
        where = f"cannot set {section}.{name}"
        new, new_config = _checked(raw, section, name, typed_value(value, old), where)
        changed = name not in raw.get(section, {}) or old != new
        if changed:
            used = _used_classes(project) if (section, name) == ("data", "classes") else set()
            check_change(old_config, new_config, section, name, used)
            if section == "columns":
                _check_column(project, raw, name)
            write_text(path, _edited(tomlkit.parse(text), section, name, new))
    change = ConfigChange(key=f"{section}.{name}", old=old, new=new, changed=changed, file=str(path))
    if changed and project.state.latest_model is not None and _shapes_model(old_config, new_config):
        change.warnings.append("the latest model was trained with the old setting: run `activelearn train`")
    return change


def record_absent_settings(project: Project) -> list[str]:
    """Write into activelearn.toml the keys of `config.RECORDED_KEYS` it lacks, with the value
    their absence means (how projects made before the key behave), so that the file says how the
    project behaves; a warning naming them (none when the file has them all). The caller holds
    the project lock (train and query call it)."""
    import tomlkit

    path = project.paths.config
    text, raw = read_config_file(path)  # the file as it is now: project.config was read before the lock
    defaults = default_values()
    absent = [
        (section, name, defaults[section][name]) for section, name in RECORDED_KEYS if name not in raw.get(section, {})
    ]
    if not absent:
        return []
    document = tomlkit.parse(text)
    shown = []
    for section, name, value in absent:
        item = tomlkit.item(value).comment("recorded: what this project did before the key existed")
        item.trivia.comment_ws = "   "  # as init spaces its comments
        _edited(document, section, name, item)
        shown.append(f"{section}.{name} = {tomlkit.item(value).as_string()}")
    write_text(path, document.as_string())
    return [
        f"{path}: recorded the settings this project was made with, which activelearn.toml did not name: "
        f'{", ".join(shown)}; it behaves as before (see README, "Defaults", to change them)'
    ]


def _checked(raw: dict, section: str, name: str, candidates: list, where: str):
    """The first candidate value the config checks accept, with the Config it makes; else the
    refusal of the first one of the right type (or of the first one, if none is)."""
    errors = []
    for candidate in candidates:
        try:
            return candidate, config_from_dict(with_value(raw, section, name, candidate), where)
        except ConfigError as exc:
            errors.append(exc)
    right_type = [e for e in errors if not isinstance(e, WrongTypeError)]
    raise UsageError((right_type or errors)[0].message)


def _entries(raw: dict) -> list[ConfigEntry]:
    defaults = default_values()
    entries = []
    for section, keys in SCHEMA.items():
        given = raw.get(section, {})
        for name in keys or given:
            value = given.get(name, defaults.get(section, {}).get(name))
            entries.append(ConfigEntry(key=f"{section}.{name}", value=value, in_file=name in given))
    return entries


def _check_column(project: Project, raw: dict, name: str) -> None:
    """A role goes to a column of the pool (one left out of [columns] may come back)."""
    from ..pool import pool_columns

    if name in raw.get("columns", {}):
        return
    columns = pool_columns(project.paths.pool)
    if name not in columns:
        raise UsageError(
            f"config key 'columns.{name}': {name!r} is not a column of the pool{did_you_mean(name, columns)}"
        )


def _used_classes(project: Project) -> set[str]:
    from ..labels import LabelLog

    return LabelLog.read(project.paths, project.state).label_classes()


def _shapes_model(old, new) -> bool:
    return training_key(old, "") != training_key(new, "")


def _edited(document, section: str, name: str, value):
    """`document` with one value (or a tomlkit item) replaced, its comment kept in the same
    column; a key the file lacks goes at the end of its section."""
    import tomlkit

    table = document.get(section)
    if table is None:
        document[section] = table = tomlkit.table()
    if name not in table:
        table[name] = value
        return document.as_string()
    old_item = table[name]
    old_width = len(old_item.as_string())
    table[name] = value
    item = table[name]
    if old_item.trivia.comment:
        shift = len(item.as_string()) - old_width
        item.trivia.comment_ws = " " * max(1, len(old_item.trivia.comment_ws) - shift)
    return document.as_string()
