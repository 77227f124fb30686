"""Your videos: surprise curves of uploaded clips, or the evaluation of a zipped stimulus set."""

import json
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import physlab
from dashboard.cache import MODELS, model_picker, world_model
from dashboard.charts import clip_curves
from physlab.lab.uploads import evaluate_zip, score_files
from physlab.voe.plots import plot_accuracy_by_concept, plot_aligned_curves

VIDEO_TYPES = ["mp4", "avi", "gif", "webm", "npz", "mov", "mkv"]


# Every widget change reruns the page; uploads are scored once per (bytes, model), not on every rerun.
@st.cache_data(max_entries=8, show_spinner=False)
def scored_uploads(files: tuple[tuple[str, bytes], ...], model_name: str) -> tuple[list, list[str]]:
    return score_files(list(files), world_model(model_name))


@st.cache_data(max_entries=4, show_spinner=False)
def evaluated_zip(data: bytes, name: str, model_name: str):
    return evaluate_zip(data, world_model(model_name), name)


st.title("Your videos")
st.caption(
    "Bring clips from anywhere: any size and frame rate (they are resized and resampled to the model's), at least "
    "a few frames. Or a zipped stimulus set with a manifest.csv (clip, pair, label, concept) for pairwise accuracy."
)

model_name = model_picker()
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
            table = pd.DataFrame(rows).dropna()
            st.altair_chart(clip_curves(table), width="stretch")
            summary = pd.DataFrame(
                [
                    {
                        "clip": curve.name,
                        "surprise (max)": curve.clip_surprise("max"),
                        "surprise (mean)": curve.clip_surprise("mean"),
                        "peak at (s)": curve.peak_seconds(),
                    }
                    for curve in curves
                ]
            )
            st.dataframe(summary, hide_index=True, width="stretch")
            st.download_button("Per-frame surprise (CSV)", pd.DataFrame(rows).to_csv(index=False), file_name="surprise.csv")

with set_tab:
    upload = st.file_uploader("A zipped stimulus set", type=["zip"], key="stimulus_set")
    if upload is not None:
        with st.spinner(f"Evaluating {upload.name} with the {MODELS[model_name]}..."):
            try:
                evaluation = evaluated_zip(upload.getvalue(), upload.name, model_name)
            except physlab.PhyslabError as err:
                st.error(str(err))
                st.stop()
        for error in evaluation.errors:
            st.warning(error)
        summary = evaluation.summary
        if not summary["pairs"]:
            st.error(f"{upload.name}: no complete pair could be scored.")
            st.stop()
        overall, auroc, pairs = st.columns(3)
        overall.metric("Pairwise accuracy", f"{summary['pairwise_accuracy']:.2f}")
        auroc.metric("AUROC", "-" if summary["auroc"] is None else f"{summary['auroc']:.2f}")
        pairs.metric("Pairs", summary["pairs"])
        concepts = pd.DataFrame([{"concept": c, **m} for c, m in summary["per_concept"].items()])
        st.dataframe(concepts, hide_index=True, width="stretch")
        with tempfile.TemporaryDirectory() as temp:
            accuracy_png, curves_png = Path(temp) / "accuracy.png", Path(temp) / "aligned.png"
            plot_accuracy_by_concept({MODELS[model_name]: summary}, accuracy_png)
            left, right = st.columns(2)
            left.image(accuracy_png.read_bytes(), caption="Pairwise accuracy by concept")
            if any(row["onset_frame"] is not None for row in evaluation.clips):
                plot_aligned_curves(evaluation.clips, evaluation.curves, curves_png)
                right.image(curves_png.read_bytes(), caption="Surprise aligned on the onset (mean and spread)")
        st.dataframe(pd.DataFrame(evaluation.clips), hide_index=True, width="stretch")
        csv_column, json_column = st.columns(2)
        csv_column.download_button("Per-clip results (CSV)", pd.DataFrame(evaluation.clips).to_csv(index=False), "clips.csv")
        json_column.download_button("Summary (JSON)", json.dumps(summary, indent=1), "summary.json")
