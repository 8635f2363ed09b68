"""Inputs that must not collapse a check: tokenised or lower-cased text, boilerplate-heavy
pages, long sources, whole-summary claims; and the two user-reported cases of issue 14."""

from __future__ import annotations

from baton.contracts import Claim, Source
from baton.verifiers import verify
from baton.verifiers.entities import CANNOT_JUDGE, check_entities
from baton.verifiers.passages import claim_parts, content_terms, is_meta, sentence_spans
from baton.verifiers.polarity import check_negation
from baton.verifiers.registry import features


def _verify(claim: str, *sources: str):
    srcs = [Source(id=f"s{i}", text=t) for i, t in enumerate(sources)]
    return verify([Claim(id="c", text=claim, author="a")], srcs)[0]


def _check(verdict, name):
    return next(r for r in verdict.checks if r.check == name)


def test_tokenised_text_keeps_its_terms_and_negations(ev):
    assert content_terms("it is 2,350 metres long -lrb- 7,710 ft -rrb- .") == [
        "2350",
        "metr",
        "long",
        "7710",
        "ft",
    ]
    assert content_terms("they do n't charge tolls") == ["charg", "toll"]
    r = check_negation("the bridge does n't charge tolls .", ev("the bridge charges tolls ."))
    assert (r.label, r.score) == ("contradicted", 0.0)
    v = _verify(
        "the bridge opened in 1963 .", "the bridge opened in 1963 . it is 2,350 metres long ."
    )
    assert v.label == "supported"


def test_lower_cased_text_is_split_into_sentences_and_names_are_not_guessed(ev):
    text = "the bridge opened in 1963. it carries state route 520. tolls began in 2011."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "the bridge opened in 1963.",
        "it carries state route 520.",
        "tolls began in 2011.",
    ]
    r = check_entities("the evergreen point bridge opened in 1963.", ev(text))
    assert (r.label, r.detail) == (None, CANNOT_JUDGE)
    assert "entities" not in features([r])  # the aggregator imputes the training mean
    r = check_entities("The bridge carries State Route 520.", ev(text))
    assert (r.label, r.score) == ("supported", 1.0)


def test_boilerplate_around_the_evidence_does_not_hide_it():
    menu = " | ".join(["Home", "News", "Sport", "Weather", "Contact us", "Cookie settings"] * 80)
    page = (
        f"{menu}\nThe Evergreen Point Floating Bridge opened in 1963.\n{menu}\nAccept all cookies."
    )
    v = _verify("The Evergreen Point Floating Bridge opened in 1963.", page)
    assert v.label == "supported"
    assert v.evidence[0].text == "The Evergreen Point Floating Bridge opened in 1963."
    v = _verify("The Evergreen Point Floating Bridge opened in 1971.", page)
    assert v.label == "contradicted"


def test_a_long_source_supports_a_claim_found_only_at_its_end():
    filler = " ".join(
        f"Paragraph {i} describes the regional weather, traffic and local markets."
        for i in range(200)
    )
    assert len(filler.split()) > 1_800
    page = f"{filler} The Evergreen Point Floating Bridge opened in 1963."
    v = _verify("The Evergreen Point Floating Bridge opened in 1963.", page)
    assert v.label == "supported"
    assert v.evidence[0].text == "The Evergreen Point Floating Bridge opened in 1963."


SUMMARY_SOURCE = (
    "The Evergreen Point Floating Bridge opened in 1963 across Lake Washington. "
    "Local news covered the weather all week. Traffic reports followed. "
    "Engineers replaced the pontoons of the bridge in 2016 after storms damaged them. "
    "Schools closed for the holidays. The markets were quiet. "
    "Tolls on the crossing were introduced in December 2011 to pay for the replacement."
)


def test_a_whole_summary_is_checked_sentence_by_sentence():
    summary = (
        "The Evergreen Point Floating Bridge opened in 1963 across Lake Washington. "
        "Engineers replaced the pontoons of the bridge in 2016 after storms damaged them. "
        "Tolls on the crossing were introduced in December 2011 to pay for the replacement."
    )
    assert len(claim_parts(summary)) == 3
    v = _verify(summary, SUMMARY_SOURCE)
    assert v.label == "supported"
    assert _check(v, "lexical").score == 1.0
    wrong = summary.replace("Tolls on the crossing", "Ferries across the lake").replace(
        "to pay for the replacement", "to carry tourists"
    )
    v = _verify(wrong, SUMMARY_SOURCE)
    assert v.label != "supported"
    assert _check(v, "lexical").score < 0.5


# The two cases users reported (issue 14), with the passages of tasks-dev.jsonl's
# fcgpt-r54 and fcgpt-r03 sources.
RENEWAL = (
    "The duties of the Parliamentary Commissioner for Standards are set out in Standing Orders. "
    "The appointment of the current commissioner ends on 31 December and the House needs to "
    "appoint a new commissioner on the basis that it is a single five-year term with no option "
    "for renewal. Kathryn Stone, the retiring commissioner, has held her post for nearly five years."
)
HARRIS = (
    "Inauguration Day: Live Updates Biden gets sworn in as 46th president of the United States "
    "Inauguration Day: Live Updates Kamala Harris Sworn In As Vice President January 20, 2021 "
    "11:43 AM ET Kamala Harris has been sworn in as vice president of the United States, "
    "becoming the first woman, first Black person and first Asian American to hold the office."
)


def test_renewed_against_no_option_for_renewal_is_not_supported():
    v = _verify("The appointment can be renewed for a further five years.", RENEWAL)
    assert v.label == "contradicted"
    neg = _check(v, "negation")
    assert neg.label == "contradicted"
    assert (
        neg.detail
        == "negation mismatch: only the evidence is negated ('no option for renewal Kathryn')"
    )
    assert "no option for renewal" in v.evidence[0].text


def test_president_against_sworn_in_as_vice_president_is_not_supported():
    claim = "In 2021, Kamala Harris was inaugurated as the first woman to hold the office of the US president."
    v = _verify(claim, HARRIS)
    assert v.label == "contradicted"
    assert _check(v, "negation").detail == "the evidence qualifies: vice president"
    assert (
        _verify("In 2021, Kamala Harris was sworn in as vice president.", HARRIS).label
        == "supported"
    )


def test_a_summary_preamble_is_not_a_claim_sentence():
    summary = (
        "Here is a concise summary of the passage:\n\n"
        "Engineers replaced the pontoons of the bridge in 2016 after storms damaged them. "
        "Tolls on the crossing were introduced in December 2011 to pay for the replacement."
    )
    assert is_meta("Here is a concise summary of the passage:")
    assert is_meta("Here's a concise summary of the passage, covering the core information:")
    assert is_meta("Key points include: 1.")
    assert not is_meta("The passage describes two boxers named Chris Eubank.")
    assert not is_meta("Tolls were introduced in December 2011.")
    assert len(claim_parts(summary)) == 2  # the preamble is left out
    assert claim_parts("Here is a concise summary of the passage:") == [
        "Here is a concise summary of the passage:"
    ]  # alone, it stays the claim
    v = _verify(summary, SUMMARY_SOURCE)
    assert v.label == "supported"
    assert _check(v, "lexical").score == 1.0
