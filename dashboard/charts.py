"""Altair charts the pages share: twin surprise curves with the onset, looking times, accuracies, logs."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from dashboard.cache import TWIN_COLORS
from physlab.lab.units import SurpriseScale

_TWINS = alt.Scale(domain=list(TWIN_COLORS), range=list(TWIN_COLORS.values()))
# Distinct colours for up to ten clips, one blue only.
DISTINCT = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
# Models get colours apart from the twins' blue and red, which mean possible and impossible on every page.
MODEL_COLORS = ["#3f3f3f", "#9467bd", "#2ca02c", "#bcbd22", "#8c564b"]


def curve_table(curves: dict[str, tuple[np.ndarray, np.ndarray]], fps: float) -> pd.DataFrame:
    """Long table (frame, seconds, surprise, twin) of named curves, frames the model skips dropped."""
    return pd.concat(
        [
            pd.DataFrame({"frame": index, "seconds": index / fps, "surprise": values, "twin": name})
            for name, (index, values) in curves.items()
        ]
    ).dropna()


def _vertical(frame: int, text: str = "", **mark) -> alt.LayerChart:
    """A vertical line at a frame, with a label at its top."""
    data = pd.DataFrame({"frame": [frame], "text": [text]})
    rule = alt.Chart(data).mark_rule(**mark).encode(x="frame:Q")
    label = alt.Chart(data).mark_text(align="left", baseline="top", dx=3, y=2, fontSize=11).encode(x="frame:Q", text="text:N")
    return alt.layer(rule, label) if text else alt.layer(rule)


def _horizontal(value: float, text: str, axis: str = "y") -> alt.LayerChart:
    """A dotted grey reference line at a value of the surprise scale (on the y or the x axis), labelled."""
    data = pd.DataFrame({"value": [value], "text": [text]})
    rule = alt.Chart(data).mark_rule(color="#888888", strokeDash=[2, 2]).encode(**{axis: "value:Q"})
    if axis == "x":
        return alt.layer(rule)
    label = alt.Chart(data).mark_text(align="right", dy=-6, x="width", fontSize=11, color="#666666")
    return alt.layer(rule, label.encode(y="value:Q", text="text:N"))


def twin_curves(
    table: pd.DataFrame, onset: int | None, frame: int | None, scale: SurpriseScale, fps: float, height: int = 270
) -> alt.LayerChart:
    """Surprise over frames of both twins, the onset dashed, the slider's frame in grey, the scale's reference."""
    layers = [
        alt.Chart(table)
        .mark_line(point=True)
        .encode(
            x=alt.X("frame:Q", title=f"frame ({fps:g} a second)"),
            y=alt.Y("surprise:Q", title=scale.axis, scale=alt.Scale(zero=False)),
            color=alt.Color("twin:N", scale=_TWINS, legend=alt.Legend(orient="top", title=None)),
            tooltip=[
                "twin",
                "frame",
                alt.Tooltip("seconds:Q", format=".2f", title="seconds"),
                alt.Tooltip("surprise:Q", format=".2f"),
            ],
        )
    ]
    if scale.reference is not None:
        layers.append(_horizontal(*scale.reference))
    if onset is not None:
        layers.append(_vertical(onset, "onset", color="black", strokeDash=[4, 3]))
    if frame is not None:
        layers.append(_vertical(frame, color="#999999"))
    return alt.layer(*layers).properties(height=height)


def looking_times(score, scale: SurpriseScale, height: int = 170) -> alt.LayerChart:
    """Each twin's clip surprise (how pairs are compared) as a dot on the surprise scale: the model's looking time.

    Dots, not bars: the scale's zero is not "no surprise" (calibrated surprise runs below it).
    """
    data = pd.DataFrame({"twin": ["possible", "impossible"], "surprise": [score.possible, score.impossible]})
    data["label"] = data["surprise"].map(lambda value: f"{value:.2f}")
    y = alt.Y("twin:N", sort=list(TWIN_COLORS), title=None)
    x = alt.X("surprise:Q", title="surprise: peak over the clip's median", scale=alt.Scale(zero=False, padding=30))
    dots = alt.Chart(data).mark_circle(size=220, opacity=1).encode(x=x, y=y, color=alt.Color("twin:N", scale=_TWINS, legend=None))
    labels = alt.Chart(data).mark_text(dy=-14, fontSize=12).encode(x=x, y=y, text="label:N")
    layers = [dots, labels]
    if scale.reference is not None:
        layers.insert(
            0, alt.Chart(pd.DataFrame({"x": [scale.reference[0]]})).mark_rule(color="#888888", strokeDash=[2, 2]).encode(x="x:Q")
        )
    return alt.layer(*layers).properties(height=height)


def clip_curves(table: pd.DataFrame, axis: str) -> alt.Chart:
    """Surprise over time of any number of clips, one distinct colour each, names in full."""
    return (
        alt.Chart(table)
        .mark_line(point=True)
        .encode(
            x=alt.X("seconds:Q", title="time (s)"),
            y=alt.Y("surprise:Q", title=axis, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "clip:N", scale=alt.Scale(range=DISTINCT), legend=alt.Legend(orient="bottom", labelLimit=0, columns=2)
            ),
            tooltip=["clip", "frame", alt.Tooltip("seconds:Q", format=".2f"), alt.Tooltip("surprise:Q", format=".2f")],
        )
    )


def aligned_curves(table: pd.DataFrame, axis: str, columns: int = 4) -> alt.FacetChart:
    """Per concept, the mean surprise of each twin's clips against seconds from the onset, with one standard
    deviation either side (from physlab.voe.plots.onset_aligned's rows)."""
    x = alt.X("seconds from onset:Q", title="seconds from the onset")
    colour = alt.Color("twin:N", scale=_TWINS, legend=alt.Legend(orient="top", title=None))
    band = alt.Chart().mark_errorband(extent="stdev", opacity=0.2).encode(x=x, y=alt.Y("surprise:Q", title=axis), color=colour)
    line = alt.Chart().mark_line().encode(x=x, y="mean(surprise):Q", color=colour)
    onset = alt.Chart().mark_rule(color="black", strokeDash=[4, 3]).encode(x=alt.datum(0))
    return (
        alt.layer(band, line, onset, data=table)
        .properties(width=200, height=150)
        .facet(facet=alt.Facet("concept:N", title=None), columns=columns)
        .resolve_scale(y="independent")
    )


def accuracy_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Pairwise accuracy per concept and model with its 95% interval, chance at 0.5, "overall" last."""
    order = [c for c in table["concept"].drop_duplicates() if c != "overall"] + ["overall"]
    x = alt.X("concept:N", title=None, sort=order, axis=alt.Axis(labelAngle=-30))
    colour = alt.Color("model:N", scale=alt.Scale(range=MODEL_COLORS), legend=alt.Legend(orient="top", title=None))
    bars = (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=x,
            xOffset="model:N",
            y=alt.Y("pairwise_accuracy:Q", title="pairwise accuracy (95% interval)", scale=alt.Scale(domain=[0, 1])),
            color=colour,
            tooltip=["model", "concept", alt.Tooltip("pairwise_accuracy:Q", format=".2f"), "interval", "pairs"],
        )
    )
    whiskers = alt.Chart(table).mark_rule(color="black").encode(x=x, xOffset="model:N", y="pairwise_low:Q", y2="pairwise_high:Q")
    chance = alt.Chart(pd.DataFrame({"y": [0.5]})).mark_rule(color="black", strokeDash=[4, 3]).encode(y="y:Q")
    return alt.layer(bars, whiskers, chance).properties(height=300)


def training_curves(metrics: pd.DataFrame, collapse_std: float) -> alt.VConcatChart:
    """Loss, and the collapse monitor (per-dimension latent std) with its warning threshold."""
    loss = (
        alt.Chart(metrics)
        .mark_line()
        .encode(
            x=alt.X("step:Q", title="training step"),
            y=alt.Y("loss:Q", title="training loss", scale=alt.Scale(zero=False)),
            tooltip=["step", "loss"],
        )
        .properties(height=220)
    )
    std = (
        alt.Chart(metrics)
        .mark_line(color="#31a354")
        .encode(x=alt.X("step:Q", title="training step"), y=alt.Y("latent_std:Q", title="latent spread (std)"))
    )
    threshold = alt.Chart(pd.DataFrame({"y": [collapse_std]})).mark_rule(color="#e34a33", strokeDash=[4, 3]).encode(y="y:Q")
    return alt.vconcat(loss, alt.layer(std, threshold).properties(height=160))
