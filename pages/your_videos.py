"""Your videos: surprise curves of uploaded clips, or the evaluation of a zipped stimulus set."""

import json

import pandas as pd
import streamlit as st

import physlab
from dashboard.cache import MODELS, model_picker, model_scale, world_model
from dashboard.charts import accuracy_chart, aligned_curves, clip_curves
from dashboard.tables import concept_table
from physlab.data.video import VIDEO_SUFFIXES
from physlab.lab.uploads import evaluate_zip, score_files
from physlab.voe.metrics import interval_text
from physlab.voe.plots import onset_aligned
from physlab.voe.surprise import DEFAULT_CROP

VIDEO_TYPES = [suffix.removeprefix(".") for suffix in VIDEO_SUFFIXES]
NUMBER = st.column_config.NumberColumn(format="%.2f")
CLIP = st.column_config.TextColumn("clip", width="large")


# Every widget change reruns the page; uploads are scored once per (bytes, model), not on every rerun.
@st.cache_data(max_entries=8, show_spinner=False)
def scored_uploads(files: tuple[tuple[str, bytes], ...], model_name: str) -> tuple[list, list[str]]:
    return score_files(list(files), world_model(model_name))


@st.cache_data(max_entries=4, show_spinner=False)
def evaluated_zip(data: bytes, name: str, model_name: str, crop: str):
    return evaluate_zip(data, world_model(model_name), name, crop)


def per_concept(summary: dict) -> pd.DataFrame:
    """Per concept, then overall: pairs, accuracy with its 95% interval, AUROC, the accuracy where the twins
    differ (the `diverged` pool), onset-to-peak delay."""
    rows = []
    for concept, metrics in [*summary["per_concept"].items(), ("overall", summary)]:
        delay = metrics.get("peak_delay_s")
        rows.append(
            {
                "concept": concept,
                "pairs": metrics["pairs"],
                "pairwise accuracy": metrics["pairwise_accuracy"],
                "95% interval": interval_text(metrics.get("pairwise_interval")),
                "AUROC": metrics["auroc"],
                "where the twins differ": metrics["pools"]["diverged"]["pairwise_accuracy"],
                "onset to peak (s)": delay.get("median") if isinstance(delay, dict) else delay,
            }
        )
    return pd.DataFrame(rows)


def aligned_table(evaluation) -> pd.DataFrame:
    """Every clip's surprise against seconds from its onset, long, for the per-concept chart."""
    grid, by_concept = onset_aligned(evaluation.clips, evaluation.curves)
    parts = [
        pd.DataFrame({"seconds from onset": grid, "surprise": values, "twin": label, "concept": concept})
        for concept, labels in by_concept.items()
        for label, stack in labels.items()
        for values in stack
    ]
    return pd.concat(parts).dropna() if parts else pd.DataFrame()


st.title("Your videos")
st.caption(
    "Bring clips from anywhere: any size and frame rate (they are resized and resampled to the model's), at least "
    "8 frames. Or a zipped stimulus set with a manifest.csv (clip, pair, label, concept) for pairwise accuracy."
)

model_name = model_picker()
scale = model_scale(model_name)
clips_tab, set_tab = st.tabs(["Clips", "Stimulus set (zip)"])

with clips_tab:
    uploads = st.file_uploader("Videos", type=VIDEO_TYPES, accept_multiple_files=True, key="videos")
    if uploads:
        with st.spinner(f"Scoring {len(uploads)} clip(s)..."):
            curves, errors = scored_uploads(tuple((upload.name, upload.getvalue()) for upload in uploads), model_name)
        for error in errors:
            st.warning(error)
        if curves:
            rows = [row for curve in curves for row in curve.rows()]
            st.altair_chart(clip_curves(pd.DataFrame(rows).dropna(subset=["surprise"]), scale.axis), width="stretch")
            st.caption(f"**Scale.** {scale.meaning}")
            summary = pd.DataFrame(
                [
                    {
                        "clip": curve.name,
                        "surprise (peak over median)": curve.clip_surprise("excess"),
                        "peak surprise": curve.clip_surprise("max"),
                        "mean surprise": curve.clip_surprise("mean"),
                        "peak at (s)": curve.peak_seconds(),
                    }
                    for curve in curves
                ]
            )
            st.dataframe(
                summary,
                hide_index=True,
                width="stretch",
                column_config={"clip": CLIP, **{column: NUMBER for column in summary.columns[1:]}},
            )
            st.download_button("Per-frame surprise (CSV)", pd.DataFrame(rows).to_csv(index=False), file_name="surprise.csv")

with set_tab:
    upload = st.file_uploader("A zipped stimulus set", type=["zip"], key="stimulus_set")
    to_motion = st.checkbox(
        "Crop each pair to where it moves",
        help="For small events in wide, still views (a ball a few pixels wide in a room): both twins are cropped "
        "alike to a square around what moves in either, so the event fills more of the model's 64x64 picture. "
        "Pairs with a crop column in the manifest keep theirs.",
    )
    if upload is not None:
        with st.spinner(f"Evaluating {upload.name} with the {MODELS[model_name]}..."):
            try:
                evaluation = evaluated_zip(upload.getvalue(), upload.name, model_name, "motion" if to_motion else DEFAULT_CROP)
            except physlab.PhyslabError as err:
                st.error(str(err))
                st.stop()
        for error in evaluation.errors:
            st.warning(error)
        summary = evaluation.summary
        if to_motion:
            st.caption(f"{summary['motion_cropped']} of {len(evaluation.clips)} clips cropped to where their pair moves.")
        if not summary["pairs"]:
            st.error(f"{upload.name}: no complete pair could be scored.")
            st.stop()
        overall, auroc, differ, pairs = st.columns(4)
        low, high = summary["pairwise_interval"]
        overall.metric("Pairwise accuracy", f"{summary['pairwise_accuracy']:.2f}", help=f"95% interval {low:.2f}-{high:.2f}")
        overall.caption(f"95% interval {low:.2f}-{high:.2f}")
        auroc.metric("AUROC", "-" if summary["auroc"] is None else f"{summary['auroc']:.2f}")
        differ.metric(
            "Where the twins differ",
            f"{summary['pools']['diverged']['pairwise_accuracy']:.2f}",
            help="Pairwise accuracy with each pair scored only from the first frame in which its twins differ, one "
            "baseline for both: a twin that is merely calmer after its edit cannot win it, so it counts reactions to "
            "the violation. A model with no physics scores below 0.5 here (README: the diverged pool).",
        )
        pairs.metric("Pairs", summary["pairs"])
        table = per_concept(summary)
        st.dataframe(
            table, hide_index=True, width="stretch", column_config={c: NUMBER for c in table.columns[2:] if c != "95% interval"}
        )
        bars = concept_table({MODELS[model_name]: summary})
        st.altair_chart(accuracy_chart(bars.dropna(subset=["pairwise_accuracy"])), width="stretch")
        aligned = aligned_table(evaluation)
        if not aligned.empty:
            st.markdown("**Surprise around the onset**: the mean of each twin's clips, and their spread (one standard deviation)")
            st.altair_chart(aligned_curves(aligned, scale.axis), width="stretch")
        clips = pd.DataFrame(evaluation.clips)
        st.dataframe(
            clips.rename(columns=lambda name: name.replace("_", " ")),
            hide_index=True,
            width="stretch",
            column_config={
                "clip": CLIP,
                **{name.replace("_", " "): NUMBER for name in ("surprise", "surprise_max", "surprise_mean", "peak_delay_s")},
            },
        )
        csv_column, json_column = st.columns(2)
        csv_column.download_button("Per-clip results (CSV)", clips.to_csv(index=False), "clips.csv")
        json_column.download_button("Summary (JSON)", json.dumps(summary, indent=1), "summary.json")
