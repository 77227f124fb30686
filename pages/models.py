"""Models: the bundled JEPA, the pixel-space predictor and the untrained encoder on the same pairs."""

import hashlib
import tempfile
import time
from pathlib import Path

import pandas as pd
import streamlit as st

import physlab
from dashboard import precomputed
from dashboard.cache import MODELS, world_model
from dashboard.charts import accuracy_chart, training_curves
from dashboard.tables import concept_table, side_by_side
from physlab.model.checkpoint import BUNDLED_DIR
from physlab.scenes.clips import PAIR_DRAWS
from physlab.train.loop import COLLAPSE_STD
from physlab.voe.surprise import evaluate

SETS_DIR = Path(tempfile.gettempdir()) / "physlab-dashboard" / "sets"
LOOKS = {
    "training": "Filmed as in training",
    "foreign": "Filmed differently (held out: 30 fps, other colours, wider cameras, larger objects)",
}


@st.cache_data(show_spinner=False)
def stored() -> tuple[list[dict], dict]:
    return precomputed.read_comparison(), precomputed.comparison_info()


def show(results: dict[str, dict], key: str) -> None:
    table = concept_table({MODELS[name]: summary for name, summary in results.items()})
    st.altair_chart(accuracy_chart(table.dropna(subset=["pairwise_accuracy"])), width="stretch")
    st.dataframe(side_by_side(table), width="stretch")
    st.caption("Each cell: pairwise accuracy (its 95% interval) · AUROC.")
    st.download_button("Table (CSV)", table.to_csv(index=False), file_name=f"models_{key}.csv", key=f"csv_{key}")


def fresh(families: list[str], pairs: int, seed: int) -> dict[str, dict]:
    """Make a new set (kept on disk and reused) and score it with every model, showing each step's progress."""
    key = hashlib.sha1(",".join(families).encode()).hexdigest()[:10]
    folder = SETS_DIR / f"{key}_{pairs}_{seed}_pairs{PAIR_DRAWS}"
    bar = st.progress(0.0, text="starting")
    for done, name in enumerate(families):
        bar.progress(0.5 * done / len(families), text=f"making pairs: {name} ({done + 1} of {len(families)} families)")
        made = physlab.write_stimuli(folder, [physlab.load_family(name)], pairs, seed=seed, size=64, progress=False)
        if made.errors:
            st.warning("; ".join(made.errors))
    results = {}
    for index, name in enumerate(MODELS):

        def tick(stage: str, done: int, total: int, index: int = index, name: str = name) -> None:
            if stage == "scoring":
                fraction = 0.5 + 0.5 * (index + done / max(total, 1)) / len(MODELS)
                bar.progress(min(fraction, 1.0), text=f"scoring with the {MODELS[name]}: {done} of {total} clips")

        results[name] = evaluate(folder, world_model(name), on_progress=tick).summary
    bar.empty()
    return results


st.title("Models")
st.caption(
    "Predicting an abstract description of the coming frames (the bundled JEPA) against predicting their pixels, and "
    "against an encoder that never learned, on the same pairs. Pairwise accuracy: the share of pairs whose impossible "
    "twin surprises the model more (chance is 0.5), with its 95% interval; AUROC: how well surprise alone tells "
    "possible clips from impossible ones."
)
rows, info = stored()
names = [family.name for family in physlab.load_families(with_violations=True)]
chosen = st.multiselect("Scene families", names, default=names, key="models_families")
if not chosen:
    st.info("Choose at least one scene family.")
else:
    summaries = precomputed.summaries(rows, set(chosen))
    st.caption(
        f"{info['pairs_per_family']} pairs a family (seeds from {info['first_seed']}, {info['size']} px), scored on "
        f"{info['made']} by `python -m dashboard.precomputed`; `benchmarks/bench_models.py` scores the same pairs."
    )
    for tab, look in zip(st.tabs(list(LOOKS.values())), LOOKS):
        with tab:
            show(summaries[look], look)

with st.expander("Score fresh pairs"):
    st.caption("New pairs of the families chosen above, made at 64 px and scored with all three models (a minute or more).")
    pairs_column, seed_column, button_column = st.columns(3, vertical_alignment="bottom")
    pairs = pairs_column.number_input("Pairs per family", min_value=1, max_value=50, value=4, key="models_pairs")
    seed = seed_column.number_input("First seed", min_value=0, value=200_000, step=1, key="models_seed")
    request = (tuple(chosen), int(pairs), int(seed))
    if button_column.button("Make and score", disabled=not chosen, key="models_fresh"):
        started = time.perf_counter()
        try:
            st.session_state.models_fresh_result = (request, fresh(list(chosen), int(pairs), int(seed)))
        except physlab.PhyslabError as err:  # e.g. another session is making the same set right now
            st.error(str(err))
        else:
            st.caption(f"Made and scored in {time.perf_counter() - started:.0f} s.")
    if st.session_state.get("models_fresh_result", (None,))[0] == request:
        show(st.session_state.models_fresh_result[1], "fresh")

st.divider()
st.subheader("Training curves", anchor=False)
st.caption(
    "Loss, and the collapse monitor: the spread (per-dimension standard deviation) of the latents. Below the dashed "
    "line the encoder is collapsing to a constant and training warns."
)
default_log = BUNDLED_DIR / "jepa.metrics.csv"
log = st.text_input("A run folder or its metrics.csv", value=str(default_log), key="metrics_path")
path = Path(log)
path = path / "metrics.csv" if path.is_dir() else path
try:
    metrics = pd.read_csv(path)
    missing = {"step", "loss", "latent_std"} - set(metrics.columns)
    if missing:
        raise ValueError(f"missing column(s) {', '.join(sorted(missing))}")
    if metrics.empty:
        raise ValueError("no steps logged yet")
except (OSError, ValueError, pd.errors.ParserError) as err:
    st.warning(f"{path}: cannot read a training log ({err})")
else:
    st.altair_chart(training_curves(metrics, COLLAPSE_STD), width="stretch")
    last = metrics.iloc[-1]
    st.caption(f"{int(last['step'])} steps; final loss {last['loss']:.4f}, latent spread {last['latent_std']:.3f}.")
