"""Graph-test doubles: small hand-made tasks and a transparent verifier, so graph behaviour
is tested apart from the heterogeneous verifier's tuning."""

from __future__ import annotations

import pytest

from baton.contracts import Evidence, Source, Task, Verdict

MOON_SOURCES = [
    Source(
        id="s1",
        title="Moon facts",
        text="The Moon orbits the Earth. The Moon is rocky and dry. It has almost no atmosphere.",
    ),
    Source(
        id="s2",
        title="Myths",
        text="Some say the Moon is made of cheese, but it is made of rock. Tides follow the Moon.",
    ),
]
CHEESE = "The Moon is made of cheese."


def substring_verifier(contradicted: set[str] | frozenset[str] = frozenset({CHEESE})):
    """``verify(claims, sources)``: ``contradicted`` for the listed claim texts, ``supported``
    (with the matching span) when the claim text occurs in a source, else ``unsupported``."""

    def verify(claims, sources):
        out = []
        for c in claims:
            if c.text in contradicted:
                out.append(Verdict(claim_id=c.id, label="contradicted", confidence=1.0))
                continue
            for s in sources:
                i = s.text.find(c.text)
                if i >= 0:
                    ev = Evidence(source_id=s.id, start=i, end=i + len(c.text), text=c.text)
                    out.append(
                        Verdict(claim_id=c.id, label="supported", confidence=1.0, evidence=[ev])
                    )
                    break
            else:
                out.append(Verdict(claim_id=c.id, label="unsupported", confidence=1.0))
        return out

    return verify


@pytest.fixture
def verifier():
    return substring_verifier()


@pytest.fixture
def check_task() -> Task:
    """A check task whose draft has one supported, one contradicted and one unsupported claim."""
    return Task(
        id="moon-check",
        kind="check",
        question="What is the Moon like?",
        draft=f"The Moon orbits the Earth. {CHEESE} The Moon hosts a large city.",
        sources=MOON_SOURCES,
    )


@pytest.fixture
def answer_task() -> Task:
    return Task(
        id="moon-answer",
        kind="answer",
        question="What does the Moon orbit, and what is it made of?",
        sources=MOON_SOURCES,
    )
