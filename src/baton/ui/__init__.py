"""The browser app (Streamlit): submit, live runs, run detail, and the review queue.

The only package that imports streamlit. It writes intents (a queued run, a decision) and
reads state; worker processes run the graph (a rerun, a closed tab or a UI restart cannot
hurt a run). Start it with ``baton ui`` (see ``baton.ui.launch``); ``APP_PATH`` is the
script ``streamlit run`` takes.
"""

from pathlib import Path

APP_PATH = Path(__file__).with_name("app.py")

__all__ = ["APP_PATH"]
