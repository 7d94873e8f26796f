"""`status`: where the project stands. Reads small files only; takes no lock."""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from pathlib import Path

from ..agreement import Agreement, agreement
from ..evaluation import exploration_estimate
from ..project import Project
from ..stopping import StopDecision, decide
from ..versions import what_changed
from .batches import BatchInfo, batch_overview

STOP_RECOMMENDED = 3  # the exit code of `status --check` when stopping is recommended, for make and cron


@dataclass(kw_only=True)
class ModelStatus:
    version: int
    created: str
    model: str
    n_labels: int
    cv_metrics: dict | None
    cv_folds: int
    labels_per_class: dict[str, int] = field(default_factory=dict)
    eval_metrics: dict | None = None  # on the evaluation labels, with 95% intervals
    stop_signals: dict | None = None  # on the stop set: agreement with the previous model, uncertainty
    change: str = ""  # why it was trained: first, labels, settings or forced (state.ModelRecord)


@dataclass(kw_only=True)
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
    evaluation_labels: int
    evaluation_skipped: int
    stop: StopDecision
    # the predictions on the explored rows ([query] explore) against their answers, with 95%
    # intervals (evaluation.exploration_estimate); None before any explored row is answered
    explored: dict | None = None
    plot: str | None = None  # the learning-curve PNG written, with --plot
    plot_series: list[str] = field(default_factory=list)  # the curves and bars it shows
    warnings: list[str] = field(default_factory=list)
    check: InitVar[bool] = False  # --check: the exit code says whether to stop (not part of the report)

    def __post_init__(self, check: bool) -> None:
        self._check = check

    @property
    def exit_code(self) -> int:
        """STOP_RECOMMENDED when checked and stopping is recommended; 0 otherwise."""
        return STOP_RECOMMENDED if self._check and self.stop.recommended else 0


def status(project: Project, plot: Path | None = None, *, check: bool = False) -> StatusResult:
    """Pool size, labels per class, pending batches, model versions with their metrics (the
    learning curve), and whether to stop; with `plot`, the learning curve as a PNG file; with
    `check`, an exit code that says whether to stop."""
    config, state = project.config, project.state
    if plot is not None:
        _check_plot_path(plot, has_models=bool(state.models))
    log = project.label_log()
    current = log.current(evaluation=False)
    labeled = log.training_rows()
    answered = log.answered_ids()
    counts = labeled["label"].value_counts()
    overview = batch_overview(state, answered, config.expire_after_days)
    pending = [b for b in overview if b.status == "open"]
    models = [
        ModelStatus(
            version=m.version,
            created=m.created,
            model=m.model,
            n_labels=m.n_labels,
            cv_metrics=m.cv_metrics,
            cv_folds=m.cv_folds,
            labels_per_class=m.labels_per_class,
            eval_metrics=m.eval_metrics,
            stop_signals=m.stop_signals,
            change=m.change,
        )
        for m in state.models
    ]
    latest = state.latest_model
    evaluation = log.current(evaluation=True)
    evaluation_labels = int((evaluation["kind"] == "label").sum())
    result = StatusResult(
        project=str(project.paths.root),
        pool_rows=state.pool_rows,
        labeled=int(len(labeled)),
        skipped=int((current["kind"] == "skip").sum()),
        unlabeled=state.pool_rows - len(answered),
        classes=list(config.classes),
        labels_per_class={c: int(counts.get(c, 0)) for c in config.classes},
        answers=log.given_answers(),
        annotators=log.annotators(),
        pending_batches=pending,
        answered_batches=sum(b.status == "answered" for b in overview),
        released_batches=sum(b.status in ("released", "expired") for b in overview),
        models=models,
        # the log is append-only, and a model records its length: the answers logged since that
        # count and changed something (not reverted, not an unchanged answer logged again)
        answers_since_model=log.answers_since(latest.label_log_rows if latest else 0),
        model_up_to_date=latest is not None and what_changed(latest, config, log.training_digest()) is None,
        agreement=agreement(log.counted),
        evaluation_labels=evaluation_labels,
        evaluation_skipped=int((evaluation["kind"] == "skip").sum()),
        # the budget counts every label paid for: training and evaluation
        stop=decide(state.models, int(len(labeled)) + evaluation_labels, config),
        explored=exploration_estimate(state.batches, log.counted, config.seed),
        check=check,
    )
    if plot is not None:
        from ..plots import plot_project_curve

        result.plot_series = plot_project_curve(models, Path(plot), project.paths.root.name)
        result.plot = str(plot)
    return result


def _check_plot_path(plot: Path, has_models: bool) -> None:
    from ..errors import InputError, NothingToDoError, UsageError
    from ..messages import missing

    if Path(plot).suffix.lower() != ".png":
        raise UsageError(f"--plot {plot}: the learning curve is written as PNG; name a .png file")
    if not has_models:
        raise NothingToDoError(f"--plot {plot}: no model yet, so no learning curve; run `activelearn train` first")
    if not Path(plot).resolve().parent.is_dir():
        raise InputError("--plot " + missing(plot, f"the folder {Path(plot).parent} does not exist"))
