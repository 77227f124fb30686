"""Models: the bundled JEPA, the pixel-space predictor and the untrained encoder on the same pairs."""

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import physlab
from dashboard.charts import accuracy_bars, training_curves
from physlab.model.checkpoint import BUNDLED_DIR
from physlab.train.loop import COLLAPSE_STD
from physlab.voe.comparison import compare_models, concept_rows

SETS_DIR = Path(tempfile.gettempdir()) / "physlab-dashboard" / "sets"


@st.cache_data(max_entries=8, show_spinner=False)
def comparison(families: tuple[str, ...], pairs: int, seed: int) -> list[dict]:
    """Make the set once (it is kept on disk and reused) and score it with every model."""
    key = hashlib.sha1(",".join(families).encode()).hexdigest()[:10]
    folder = SETS_DIR / f"{key}_{pairs}_{seed}"
    made = physlab.write_stimuli(
        folder, [physlab.load_family(name) for name in families], pairs, seed=seed, size=64, progress=False
    )
    if made.errors:
        raise physlab.PhyslabError("; ".join(made.errors))
    return concept_rows(compare_models(folder, ["jepa", "pixel", "untrained"]))


st.title("Models")
st.caption(
    "Representation-space prediction (the JEPA) against pixel-space prediction and an encoder that never learned, "
    "on the same fresh pairs. Pairwise accuracy: how often the impossible twin is the more surprising one (chance 0.5)."
)
names = [family.name for family in physlab.load_families(with_violations=True)]
chosen = st.multiselect("Scene families", names, default=names, key="models_families")
pairs_column, seed_column = st.columns(2)
pairs = pairs_column.number_input("Pairs per family", min_value=1, max_value=50, value=2, key="models_pairs")
seed = seed_column.number_input("First seed", min_value=0, value=200_000, step=1, key="models_seed")
if not chosen:
    st.info("Choose at least one scene family.")
else:
    with st.spinner(f"Making {int(pairs) * len(chosen)} pairs and scoring them with all three models..."):
        try:
            rows = pd.DataFrame(comparison(tuple(chosen), int(pairs), int(seed)))
        except physlab.PhyslabError as err:  # e.g. another session is making the same set right now
            st.error(str(err))
            st.stop()
    st.altair_chart(accuracy_bars(rows[rows["concept"] != "overall"]), width="stretch")
    wide = rows.pivot_table(index="concept", columns="model", values="pairwise_accuracy")
    st.dataframe(wide.style.format("{:.2f}"), width="stretch")
    st.download_button("Table (CSV)", rows.to_csv(index=False), file_name="models_by_concept.csv")

st.divider()
st.subheader("Training curves")
st.caption(
    "Loss, and the collapse monitor: the per-dimension standard deviation of the latents. Below the dashed line "
    "the encoder is collapsing to a constant and training warns."
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
    st.caption(f"{int(last['step'])} steps; final loss {last['loss']:.4f}, latent std {last['latent_std']:.3f}.")
