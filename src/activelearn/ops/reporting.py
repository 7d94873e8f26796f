"""`status`: where the project stands. Reads small files only; takes no lock."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..agreement import Agreement, agreement
from ..labels import answered_ids, current_labels, read_label_log, without_reverted
from ..project import Project
from ._common import labels_digest, training_key
from .batches import BatchInfo, batch_overview


@dataclass
class ModelStatus:
    version: int
    created: str
    model: str
    n_labels: int
    cv_metrics: dict[str, float] | None
    cv_folds: int


@dataclass
class StatusResult:
    project: str
    pool_rows: int
    labeled: int
    skipped: int
    unlabeled: int
    classes: list[str]
    labels_per_class: dict[str, int]
    answers: int
    annotators: list[str]
    pending_batches: list[BatchInfo]
    answered_batches: int
    released_batches: int
    models: list[ModelStatus]
    answers_since_model: int
    model_up_to_date: bool
    agreement: Agreement
    warnings: list[str] = field(default_factory=list)


def status(project: Project) -> StatusResult:
    """Pool size, labels per class, pending batches and model versions with their metrics."""
    config, state = project.config, project.state
    full_log = read_label_log(project.paths.label_log)
    log = without_reverted(full_log, state.reverted_imports)
    current = current_labels(log, evaluation=False)
    labeled = current[current["kind"] == "label"]
    answered = answered_ids(log)
    counts = labeled["label"].value_counts()
    overview = batch_overview(state, answered, config.expire_after_days)
    pending = [b for b in overview if b.status == "open"]
    models = [
        ModelStatus(m.version, m.created, m.model, m.n_labels, m.cv_metrics, m.cv_folds) for m in state.models
    ]
    latest = state.latest_model
    return StatusResult(
        project=str(project.paths.root),
        pool_rows=state.pool_rows,
        labeled=int(len(labeled)),
        skipped=int((current["kind"] == "skip").sum()),
        unlabeled=state.pool_rows - len(answered),
        classes=list(config.classes),
        labels_per_class={c: int(counts.get(c, 0)) for c in config.classes},
        answers=int(len(log)),
        annotators=sorted(set(log["annotator"].dropna())),
        pending_batches=pending,
        answered_batches=sum(b.status == "answered" for b in overview),
        released_batches=sum(b.status in ("released", "expired") for b in overview),
        models=models,
        answers_since_model=int(len(full_log) - (latest.label_log_rows if latest else 0)),
        model_up_to_date=latest is not None
        and latest.training_key == training_key(config, labels_digest(labeled["id"], labeled["label"])),
        agreement=agreement(log),
    )
