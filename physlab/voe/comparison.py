"""World models side by side on one stimulus set: the contrast the lab exists to show.

The bundled JEPA, the pixel-space predictor and the untrained encoder (or any model files)
scored on the same pairs, with one table row per (model, concept).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from physlab.model import WorldModel, load_model
from physlab.voe.metrics import interval_columns
from physlab.voe.surprise import evaluate


def compare_models(
    folder: str | Path,
    models: list[str] | dict[str, WorldModel],
    *,
    pool: str = "max",
    on_model: Callable[[str], None] | None = None,
) -> dict[str, dict]:
    """The evaluation summary of each model (bundled names, model files, or loaded models) on `folder`."""
    named = models if isinstance(models, dict) else {name: name for name in models}
    results = {}
    for name, model in named.items():
        if on_model is not None:
            on_model(name)
        loaded = model if not isinstance(model, str) else load_model(model)
        results[name] = evaluate(folder, loaded, pool=pool).summary
    return results


def concept_rows(results: dict[str, dict]) -> list[dict]:
    """One row per (model, concept) and per model overall: accuracy and its 95% interval, AUROC, pairs."""
    rows = []
    for model, summary in results.items():
        for concept, metrics in [*summary["per_concept"].items(), ("overall", summary)]:
            rows.append(
                {
                    "model": model,
                    "concept": concept,
                    "pairwise_accuracy": metrics["pairwise_accuracy"],
                    **interval_columns(metrics),
                    "auroc": metrics["auroc"],
                    "pairs": metrics["pairs"],
                }
            )
    return rows
