"""The heterogeneous verifier: structurally different checks of each claim against all sources,
aggregated into a ``Verdict``. No langgraph or streamlit import in this package."""

from baton.verifiers.lexical import check_lexical
from baton.verifiers.numbers import check_numbers
from baton.verifiers.pipeline import verify

__all__ = ["check_lexical", "check_numbers", "verify"]
