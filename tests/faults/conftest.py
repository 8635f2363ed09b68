"""Fault-injection fixtures (helpers live in ``faultkit``)."""

from __future__ import annotations

import pytest

from baton.graph import build_graph


@pytest.fixture
def make_graph(checkpointer):
    """``make_graph(engine, **build_kwargs)`` on the parametrised checkpointer."""

    def make(engine, **kwargs):
        return build_graph(engine=engine, checkpointer=checkpointer, **kwargs)

    return make
