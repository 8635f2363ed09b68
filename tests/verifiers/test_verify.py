from baton.contracts import Claim, Source
from baton.verifiers import verify
from baton.verifiers.passages import sentence_spans

SOURCES = [
    Source(id="cats", text="Cats sleep for most of the day.\nThey hunt at night."),
    Source(
        id="bridge",
        text=(
            "The Evergreen Point Floating Bridge opened in 1963. It is 2,350 metres long. "
            "Built to standards of the 1950s, the bridge carries twice as many vehicles as it was designed for."
        ),
    ),
]


def claim(text: str, i: str = "c1") -> Claim:
    return Claim(id=i, text=text, author="write")


def test_one_verdict_per_claim_in_order():
    claims = [
        claim("The Evergreen Point Floating Bridge opened in 1963.", "a"),
        claim("Dogs bark at the moon.", "b"),
    ]
    verdicts = verify(claims, SOURCES)
    assert [v.claim_id for v in verdicts] == ["a", "b"]
    assert verdicts[0].label == "supported"
    assert verdicts[1].label == "unsupported"


def test_evidence_offsets_point_at_the_right_source_text():
    (v,) = verify([claim("The floating bridge is 2,350 metres long.")], SOURCES)
    assert v.label == "supported"
    texts = {s.id: s.text for s in SOURCES}
    assert v.evidence, "a supported verdict carries its evidence"
    for e in v.evidence:
        assert texts[e.source_id][e.start : e.end] == e.text
    assert v.evidence[0].source_id == "bridge" and "2,350 metres" in v.evidence[0].text


def test_changed_number_is_contradicted_end_to_end():
    (v,) = verify([claim("The Evergreen Point Floating Bridge opened in 1971.")], SOURCES)
    assert v.label == "contradicted"
    assert any(r.check == "numbers" and r.label == "contradicted" for r in v.checks)


def test_odd_input_never_raises():
    huge = Source(id="huge", text=("word " * 200_000).strip())
    claims = [claim("?!", "empty"), claim("The bridge opened.", "ok")]
    no_sources = verify(claims, [])
    assert [v.label for v in no_sources] == ["unsupported", "unsupported"]
    assert "no source text" in no_sources[1].checks[0].detail
    got = verify(claims, [huge])
    assert got[0].label == "unsupported" and "no content words" in got[0].checks[0].detail
    assert got[1].label == "unsupported"


def test_checks_can_be_chosen_and_unknown_ones_refused():
    (v,) = verify([claim("The bridge opened in 1963.")], SOURCES, checks=["lexical"])
    assert [r.check for r in v.checks] == ["lexical"]
    import pytest

    from baton.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown"):
        verify([claim("x y")], SOURCES, checks=["telepathy"])


def test_sentence_spans_keep_offsets():
    text = "Dr. Smith met Mr. J. Brown in Washington. He left at 5 p.m.\nMenu  \n  Next one!"
    spans = sentence_spans(text)
    pieces = [text[s:e] for s, e in spans]
    assert pieces == [
        "Dr. Smith met Mr. J. Brown in Washington.",
        "He left at 5 p.m.",
        "Menu",
        "Next one!",
    ]
