"""The physlab dashboard: `make demo` (or `streamlit run app.py`)."""

import streamlit as st

st.set_page_config(page_title="physlab", page_icon="🧪", layout="wide")
navigation = st.navigation(
    [
        st.Page("pages/scene_lab.py", title="Scene lab", icon="🎬", default=True),
        st.Page("pages/families.py", title="Scene families", icon="📚"),
    ]
)
navigation.run()
