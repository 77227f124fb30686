"""Tables the pages share: evaluation summaries as rows people read (plain headers, intervals as text)."""

from __future__ import annotations

import pandas as pd

from physlab.voe.comparison import concept_rows
from physlab.voe.metrics import interval_text


def concept_table(results: dict[str, dict]) -> pd.DataFrame:
    """One row per (model, concept), "overall" last for each model: accuracy, its 95% interval (as numbers
    and as text), AUROC and pairs. `results` maps a model's label to its evaluation summary."""
    table = pd.DataFrame(concept_rows(results))
    table["interval"] = [
        interval_text(None if pd.isna(low) else [low, high]) for low, high in zip(table["pairwise_low"], table["pairwise_high"])
    ]
    return table


def side_by_side(table: pd.DataFrame) -> pd.DataFrame:
    """Concepts down (the overall row last), a column per model: "accuracy (95% interval) · AUROC"."""
    order = sorted(c for c in table["concept"].unique() if c != "overall") + ["overall"]
    cells = table.assign(
        text=[
            "-" if pd.isna(a) else f"{a:.2f} ({i})" + ("" if pd.isna(u) else f" · {u:.2f}")
            for a, i, u in zip(table["pairwise_accuracy"], table["interval"], table["auroc"])
        ]
    )
    wide = pd.DataFrame(index=pd.Index(order, name="concept"))
    for model in cells["model"].unique():
        wide[model] = cells[cells["model"] == model].set_index("concept").reindex(order)["text"]
    wide["pairs"] = cells.drop_duplicates("concept").set_index("concept").reindex(order)["pairs"].astype(int)
    return wide
