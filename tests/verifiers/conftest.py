"""Helpers for the verifier tests: evidence spans cut from a source text."""

from __future__ import annotations

import pytest

from baton.contracts import Evidence


def span(text: str, part: str, source_id: str = "s") -> Evidence:
    """The ``Evidence`` for the first occurrence of ``part`` in ``text``."""
    start = text.index(part)
    return Evidence(source_id=source_id, start=start, end=start + len(part), text=part)


@pytest.fixture
def ev():
    """``ev("sentence")``: one evidence span holding exactly that text."""

    def make(*texts: str) -> list[Evidence]:
        return [
            Evidence(source_id=f"s{i}", start=0, end=len(t), text=t) for i, t in enumerate(texts)
        ]

    return make
