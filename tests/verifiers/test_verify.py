from baton.contracts import Claim, Source, Verdict
from baton.verifiers import verify
from baton.verifiers.passages import SourceIndex, content_terms, sentence_spans
from baton.verifiers.pipeline import _strongest

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


STITCHED = [
    Source(id="curie", text="Marie Curie was a Polish physicist and chemist who lived in Paris."),
    Source(
        id="prize",
        text=(
            "The Nobel Prize in Physics of 1903 was shared by three scientists "
            "for their work on radiation."
        ),
    ),
    Source(id="rain", text="Rain fell on the city for most of the week."),
]


def test_a_claim_is_checked_against_one_source_not_stitched_from_several():
    # "Marie Curie" is named only in one source, the prize only in another: no single source
    # names both, so the entities check must not find the person beside the prize.
    (v,) = verify([claim("Marie Curie shared the Nobel Prize in Physics of 1903.")], STITCHED)
    assert {e.source_id for e in v.evidence} == {"prize"}
    entities = next(r for r in v.checks if r.check == "entities")
    assert entities.label == "unsupported" and "Marie Curie" in entities.detail
    # Each part on its own is carried by its one source.
    part_a, part_b = verify(
        [
            claim("Marie Curie was a Polish physicist.", "a"),
            claim("The Nobel Prize in Physics of 1903 was shared by three scientists.", "b"),
        ],
        STITCHED,
    )
    assert (part_a.label, {e.source_id for e in part_a.evidence}) == ("supported", {"curie"})
    assert (part_b.label, {e.source_id for e in part_b.evidence}) == ("supported", {"prize"})


def test_best_windows_can_keep_one_source():
    index = SourceIndex.build(STITCHED)
    terms = content_terms("Marie Curie shared the Nobel Prize in Physics of 1903.")
    assert {p.source_index for _, p in index.best_windows(terms, 5)} == {0, 1}
    only = index.best_windows(terms, 5, source_index=0)
    assert only and {p.source_index for _, p in only} == {0}
    assert index.best_windows(terms, 5, source_index=2) == []  # shares no content word


def _verdict(label: str, confidence: float) -> Verdict:
    return Verdict(claim_id="c", label=label, confidence=confidence, evidence=[], checks=[])


def test_per_source_verdicts_combine_support_first_then_contradiction():
    low, high = _verdict("supported", 0.6), _verdict("supported", 0.9)
    contra, unsup = _verdict("contradicted", 0.8), _verdict("unsupported", 0.7)
    closest = _verdict("unsupported", 0.55)
    assert _strongest([unsup, contra, low, high]) is high
    assert _strongest([unsup, contra]) is contra
    assert _strongest([unsup, closest]) is closest  # the source nearest to supporting it
