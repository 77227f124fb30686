"""Altair charts the pages share: twin surprise curves with the onset, looking-time bars, logs."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from dashboard.cache import TWIN_COLORS

_TWINS = alt.Scale(domain=list(TWIN_COLORS), range=list(TWIN_COLORS.values()))


def curve_table(curves: dict[str, tuple[np.ndarray, np.ndarray]], fps: float) -> pd.DataFrame:
    """Long table (frame, seconds, surprise, twin) of named curves, frames the model skips dropped."""
    return pd.concat(
        [
            pd.DataFrame({"frame": index, "seconds": index / fps, "surprise": values, "twin": name})
            for name, (index, values) in curves.items()
        ]
    ).dropna()


def twin_curves(table: pd.DataFrame, onset: int | None, frame: int | None, model_label: str) -> alt.LayerChart:
    """Surprise over frames of both twins, the onset dashed, the slider's frame in grey."""
    layers = [
        alt.Chart(table)
        .mark_line(point=True)
        .encode(
            x=alt.X("frame:Q", title="frame"),
            y=alt.Y("surprise:Q", title=f"surprise ({model_label})"),
            color=alt.Color("twin:N", scale=_TWINS),
            tooltip=["twin", "frame", alt.Tooltip("seconds:Q", format=".2f"), alt.Tooltip("surprise:Q", format=".3f")],
        )
    ]
    if onset is not None:
        layers.append(alt.Chart(pd.DataFrame({"frame": [onset]})).mark_rule(color="black", strokeDash=[4, 3]).encode(x="frame:Q"))
    if frame is not None:
        layers.append(alt.Chart(pd.DataFrame({"frame": [frame]})).mark_rule(color="grey").encode(x="frame:Q"))
    return alt.layer(*layers)


def peak_bars(peaks: dict[str, float]) -> alt.Chart:
    """Peak surprise per twin (the clip's surprise, as pairs are compared by it): the model's looking time."""
    peaks = pd.DataFrame({"twin": list(peaks), "surprise": list(peaks.values())})
    return (
        alt.Chart(peaks)
        .mark_bar()
        .encode(
            x=alt.X("twin:N", sort=list(TWIN_COLORS), title=None),
            y=alt.Y("surprise:Q", title="peak surprise"),
            color=alt.Color("twin:N", scale=_TWINS, legend=None),
        )
    )


def clip_curves(table: pd.DataFrame) -> alt.Chart:
    """Surprise over time of any number of clips, one colour each."""
    return (
        alt.Chart(table)
        .mark_line(point=True)
        .encode(
            x=alt.X("seconds:Q", title="seconds"),
            y=alt.Y("surprise:Q", title="surprise"),
            color=alt.Color("clip:N"),
            tooltip=["clip", "frame", alt.Tooltip("surprise:Q", format=".3f")],
        )
    )


def accuracy_bars(table: pd.DataFrame, value: str = "pairwise_accuracy") -> alt.LayerChart:
    """Grouped bars of a metric per concept and model, with chance at 0.5."""
    bars = (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=alt.X("concept:N", title=None),
            xOffset="model:N",
            y=alt.Y(f"{value}:Q", title=value.replace("_", " "), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("model:N"),
            tooltip=["model", "concept", alt.Tooltip(f"{value}:Q", format=".2f"), "pairs"],
        )
    )
    chance = alt.Chart(pd.DataFrame({"y": [0.5]})).mark_rule(color="black", strokeDash=[4, 3]).encode(y="y:Q")
    return alt.layer(bars, chance)


def training_curves(metrics: pd.DataFrame, collapse_std: float) -> alt.VConcatChart:
    """Loss, and the collapse monitor (per-dimension latent std) with its warning threshold."""
    loss = (
        alt.Chart(metrics)
        .mark_line()
        .encode(x=alt.X("step:Q"), y=alt.Y("loss:Q", scale=alt.Scale(zero=False)), tooltip=["step", "loss"])
        .properties(height=220)
    )
    std = alt.Chart(metrics).mark_line(color="#31a354").encode(x="step:Q", y=alt.Y("latent_std:Q", title="latent std"))
    threshold = alt.Chart(pd.DataFrame({"y": [collapse_std]})).mark_rule(color="#e34a33", strokeDash=[4, 3]).encode(y="y:Q")
    return alt.vconcat(loss, alt.layer(std, threshold).properties(height=160))
