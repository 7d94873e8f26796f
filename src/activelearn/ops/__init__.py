"""One core function per command; each returns a result dataclass that the CLI renders.

Imported lazily, so that `status` does not pay for scikit-learn, which only train and query need.
"""

from importlib import import_module

_WHERE = {
    "import_labels": "importing",
    "revert_import": "importing",
    "list_batches": "batches",
    "release_batches": "batches",
    "rewrite_batch": "batches",
    "plan_import": "importing",
    "init_project": "initialize",
    "export": "exporting",
    "predict": "predicting",
    "query": "querying",
    "simulate": "simulating",
    "status": "reporting",
    "train": "training",
    "verify": "verifying",
    "config_values": "configuring",
    "set_config": "configuring",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_WHERE[name]}", __name__), name)
