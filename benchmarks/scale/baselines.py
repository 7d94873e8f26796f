"""The two query baselines of the scale benchmark, each run as its own process.

    python baselines.py floor PROJECT      # the floor: pyarrow columns -> the same model -> numpy top-n
    python baselines.py modal PROJECT      # what a modAL user writes: pandas -> numpy -> ActiveLearner.query

Both choose 100 rows by margin from the project's pool, like `activelearn query -n 100`.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

N = 100


def floor(project: Path) -> None:
    """The least any tool must do: read the model's columns, predict, keep the top rows."""
    import numpy as np
    import pyarrow.parquet as pq

    from activelearn.model_files import load_model

    state = json.loads((project / "state.json").read_text())
    model, metadata = load_model(project / state["models"][-1]["file"])  # a skops file, as activelearn saves it
    columns = [c for c, r in metadata["columns"].items() if r != "ignore"]
    table = pq.read_table(project / "data" / "pool.parquet", columns=["id", *columns])
    proba = model.predict_proba(table.select(columns).to_pandas())
    top2 = np.partition(proba, -2, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    chosen = np.argpartition(margin, N)[:N]
    print(len(table.column("id").take(chosen)))


def modal(project: Path) -> None:
    """pandas -> numpy -> modAL's ActiveLearner with margin sampling, on the same labels."""
    import numpy as np
    import pandas as pd
    from modAL.models import ActiveLearner
    from modAL.uncertainty import margin_sampling
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    config = tomllib.loads((project / "activelearn.toml").read_text())
    columns = [c for c, r in config["columns"].items() if r == "numeric"]
    pool = pd.read_parquet(project / "data" / "pool.parquet")
    labels = pd.read_parquet(project / "data" / "labels.parquet")
    labels = labels[labels["import_id"] == "import-0001"]  # the labels init found: what query trains on here
    labeled = pool["id"].isin(labels["id"])
    X = pool[columns].to_numpy()
    y = labels.set_index("id").loc[pool.loc[labeled, "id"], "answer"].to_numpy()
    learner = ActiveLearner(
        estimator=make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000)),
        query_strategy=margin_sampling,
        X_training=X[labeled.to_numpy()],
        y_training=y,
    )
    chosen, _ = learner.query(X[~labeled.to_numpy()], n_instances=N)
    print(len(np.asarray(chosen)))


if __name__ == "__main__":
    {"floor": floor, "modal": modal}[sys.argv[1]](Path(sys.argv[2]))
