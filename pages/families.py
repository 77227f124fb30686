"""Scene families: what each one shows, and where its YAML lives."""

from pathlib import Path

import pandas as pd
import streamlit as st

import physlab

st.title("Scene families")
st.caption("Families are YAML files in `scenes/`: objects, the ranges parameters are drawn from, and the violations.")
rows = [
    {
        "family": family.name,
        "concept": family.concept,
        "violations": ", ".join(v.name.replace("_", " ") for v in family.violations) or "none (training only)",
        "objects": ", ".join(obj.name for obj in family.objects),
        "description": family.description,
    }
    for family in physlab.load_families()
]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
chosen = st.selectbox("Show the YAML of", [row["family"] for row in rows])
st.code(Path(physlab.load_family(chosen).source).read_text(), language="yaml")
