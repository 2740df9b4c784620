"""HAR model zoo, training and evaluation (knows `recording` and `datasets` only)."""

from imuforge.train.evaluate import (
    ClassScore,
    Evaluation,
    Metrics,
    classification_metrics,
    evaluate_run,
    format_report,
    plot_confusion,
)
from imuforge.train.run import Run, load_run
from imuforge.train.trainer import TrainConfig, train
from imuforge.train.zoo import ZOO, build_model

__all__ = ["ClassScore", "Evaluation", "Metrics", "Run", "TrainConfig", "ZOO", "build_model",
           "classification_metrics", "evaluate_run", "format_report", "load_run", "plot_confusion", "train"]
