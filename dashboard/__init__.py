"""What the dashboard's pages share: cached models and pairs, colours, small chart helpers.

Kept out of the `physlab` package so the library never imports Streamlit.
"""
