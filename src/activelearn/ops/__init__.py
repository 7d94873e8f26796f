"""One module per command, named as typed (`import-labels` is `ops/import_labels.py`); each has one
core function that returns a result dataclass for the CLI to render.

The CLI imports each module inside its command, so that `status` does not pay for scikit-learn,
which only train and query need.
"""
