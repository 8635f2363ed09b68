"""Checkpointer pieces every backend shares: the serializer that knows baton's contracts (so
pydantic state is restored without warnings), compact channel versions (``next_version``) for
savers that keep channel values inside each checkpoint, and the in-memory saver."""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

VERSION_DIGITS = 10
"""Width of a channel version: a zero-padded decimal counter (``"0000000007"``)."""


def next_version(current: str | int | None, channel: None = None) -> str:
    """The channel version after ``current``: ``VERSION_DIGITS`` zero-padded digits.

    LangGraph's ``SqliteSaver`` writes ``f"{n:032}.{random:016}"``, about 50 characters for
    every channel in every checkpoint (2.1 KB of each of baton's 28-channel checkpoints). The
    random part keeps blob keys apart in savers that store channel values apart from the
    checkpoint, keyed by version (``InMemorySaver``, Postgres): two forks of a thread reach the
    same counter, and without it one fork's values would overwrite the other's. ``SqliteSaver``
    keeps the values inside each checkpoint row, so it needs no such part; never give these
    versions to a blob-keyed saver.

    LangGraph compares versions of one channel with ``>`` and takes the ``max`` over all
    channels, so versions must sort as strings in counter order: fixed-width digits do, and
    any of them sorts after a version in the stock 32-digit format (which begins with at least
    10 zeros below 10**22), so threads written by the stock saver go on correctly. ``current``
    is None for a new channel, an int, or a version in either format.
    """
    if current is None:
        n = 0
    elif isinstance(current, int):
        n = current
    else:
        n = int(current.split(".", 1)[0])
    return f"{n + 1:0{VERSION_DIGITS}d}"


def serializer() -> JsonPlusSerializer:
    """LangGraph's JSON+msgpack serializer with baton's pydantic contracts allow-listed."""
    from pydantic import BaseModel

    from baton import contracts, policy

    allowed = [
        (mod.__name__, name)
        for mod in (contracts, policy)
        for name, obj in vars(mod).items()
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == mod.__name__
    ]
    return JsonPlusSerializer(allowed_msgpack_modules=allowed)


def memory_saver() -> InMemorySaver:
    """An ``InMemorySaver`` with the same serializer, for tests and notebooks (its channel
    versions stay LangGraph's: see ``next_version``)."""
    return InMemorySaver(serde=serializer())
