"""Experiments: run a scripted experiment with live progress, and browse the results of any run."""

import json
import os
from pathlib import Path

import pandas as pd
import streamlit as st

import physlab
from physlab.lab.experiments import load_experiment, run_experiment

ROOT = Path(__file__).resolve().parents[1]
# Overridable so a lab can point the page at its own folders (and tests at temporary ones).
EXPERIMENTS = Path(os.environ.get("PHYSLAB_EXPERIMENTS", ROOT / "experiments"))
RESULTS = Path(os.environ.get("PHYSLAB_RESULTS", ROOT / "results"))

st.title("Experiments")
st.caption(
    "Experiments are YAML files in `experiments/`: stimulus sets, models, measures and plots. "
    "`physlab experiment run FILE` runs one from the command line; the results of either land in `results/`."
)

files = sorted(EXPERIMENTS.glob("*.yaml"))
run_column, browse_column = st.tabs(["Run", "Results"])
with run_column:
    if not files:
        st.info(f"No experiment files in {EXPERIMENTS}.")
    else:
        chosen = st.selectbox("Experiment", files, format_func=lambda path: path.stem, key="experiment_file")
        try:
            experiment = load_experiment(chosen)
        except physlab.PhyslabError as err:
            st.error(str(err))
            st.stop()
        st.markdown(experiment.description)
        st.code(chosen.read_text(), language="yaml")
        if st.button("Run it", type="primary", key="run_experiment"):
            bar = st.progress(0.0, text="starting")
            try:
                result = run_experiment(
                    experiment,
                    RESULTS / experiment.name,
                    progress=False,
                    on_progress=lambda text, done: bar.progress(done, text=text),
                )
            except physlab.PhyslabError as err:
                st.error(str(err))
            else:
                st.success(f"Done: {result.report}")
                st.session_state.results_choice = experiment.name

with browse_column:
    runs = sorted(path.parent for path in RESULTS.glob("*/summary.json"))
    if not runs:
        st.info("No results yet: run an experiment.")
    else:
        names = [path.name for path in runs]
        if st.session_state.get("results_choice") not in names:
            st.session_state.results_choice = names[0]
        folder = RESULTS / st.selectbox("Results of", names, key="results_choice")
        summary = json.loads((folder / "summary.json").read_text())
        table = pd.read_csv(folder / "table.csv")
        for error in summary.get("errors", []):
            st.warning(error)
        st.subheader("Overall")
        st.dataframe(table[table["concept"] == "overall"], hide_index=True, width="stretch")
        if summary.get("paired"):
            first = summary["paired"][0]["against"]
            st.subheader(f"Paired with {first}, on the same pairs")
            st.caption(
                "Difference in pairwise accuracy with its 95% bootstrap interval over pairs, the pairs each model wins "
                "where the other does not, and the exact sign test's p: tighter than comparing two separate intervals."
            )
            paired = pd.DataFrame(summary["paired"])
            paired["interval"] = paired["interval"].map(lambda pair: f"{pair[0]:+.3f} to {pair[1]:+.3f}")
            st.dataframe(
                paired[["model", "set", "difference", "interval", "better", "worse", "p_value"]], hide_index=True, width="stretch"
            )
        st.subheader("By concept")
        st.dataframe(table[table["concept"] != "overall"], hide_index=True, width="stretch")
        for key, ages in summary.get("acquisition", {}).items():
            st.markdown(f"**Age of acquisition**, {key} (training clips seen at the first checkpoint above threshold)")
            st.dataframe(
                pd.DataFrame([{"concept": c, "clips seen": "not acquired" if a is None else a} for c, a in ages.items()]),
                hide_index=True,
            )
        for image in sorted((folder / "plots").glob("*.png")):
            st.image(str(image), caption=image.stem.replace("_", " "))
        report = folder / "report.md"
        if report.exists():
            st.download_button("Report (Markdown)", report.read_text(), file_name=f"{folder.name}.md", on_click="ignore")
