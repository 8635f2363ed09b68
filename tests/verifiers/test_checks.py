from baton.verifiers import (
    check_entities,
    check_hedging,
    check_lexical,
    check_negation,
    check_phrases,
)

SOURCE = (
    "Marie Curie won the Nobel Prize in Physics together with Pierre Curie and Henri Becquerel."
)


def test_lexical_supports_a_paraphrase_with_the_same_content(ev):
    r = check_lexical(
        "Two students founded the company in Leeds.",
        ev("The company was founded in Leeds by two students."),
    )
    assert r.label == "supported" and r.score == 1.0


def test_lexical_rejects_an_unrelated_passage(ev):
    r = check_lexical(
        "The company was founded in Leeds by two students.", ev("Cats sleep for most of the day.")
    )
    assert r.label == "unsupported" and r.score == 0.0


def test_lexical_picks_the_best_span_and_names_missing_words(ev):
    spans = ev("Cats sleep a lot.", "The company was founded in Leeds.")
    r = check_lexical("The company was founded in Leeds by two students.", spans)
    assert r.evidence == [spans[1]]
    assert "student" in r.detail and 0 < r.score < 1


def test_lexical_without_content_words_does_not_apply(ev):
    assert check_lexical("It is what it is.", ev("anything")).label is None


def test_entities_swapped_name_is_unsupported(ev):
    assert check_entities("Marie Curie won the Nobel Prize.", ev(SOURCE)).label == "supported"
    r = check_entities("Albert Einstein won the Nobel Prize.", ev(SOURCE))
    assert r.label == "unsupported" and "Albert Einstein" in r.detail


def test_entities_surname_alone_matches(ev):
    assert check_entities("The prize went to Becquerel.", ev(SOURCE)).label == "supported"


def test_negation_mismatch_is_contradicted(ev):
    r = check_negation("The drug was not approved in 2019.", ev("The drug was approved in 2019."))
    assert r.label == "contradicted" and r.score == 0.0
    assert (
        check_negation("The drug was approved in 2019.", ev("The drug was approved in 2019.")).label
        is None
    )


def test_antonym_is_contradicted(ev):
    r = check_negation("Exports increased in 2020.", ev("Exports decreased in 2020."))
    assert r.label == "contradicted" and "increas" in r.detail


def test_added_cause_is_unsupported(ev):
    passage = ev("Coffee drinking is associated with lower rates of liver disease.")
    r = check_hedging("Coffee drinking causes lower rates of liver disease.", passage)
    assert r.label == "unsupported" and "correlation" in r.detail
    assert (
        check_hedging("Coffee drinking is linked to lower rates of liver disease.", passage).label
        is None
    )


def test_dropped_hedge_is_unsupported(ev):
    passage = ev("The treatment may reduce symptoms in adults.")
    assert (
        check_hedging("The treatment reduces symptoms in adults.", passage).label == "unsupported"
    )
    assert check_hedging("The treatment might reduce symptoms in adults.", passage).label is None


def test_phrases_need_words_together(ev):
    together = check_phrases(
        "red wine lowers blood pressure", ev("Red wine lowers blood pressure, a study says.")
    )
    scattered = check_phrases(
        "red wine lowers blood pressure", ev("Blood from the wine cellar was red; pressure lowers.")
    )
    assert together.score == 1.0 and together.label == "supported"
    assert scattered.score < 0.5 and scattered.label == "unsupported"


def test_entities_skip_months_and_leading_function_words():
    from baton.verifiers.entities import entities

    assert entities("In June 2018, the Simpsons moved to Springfield.") == [
        "Simpsons",
        "Springfield",
    ]
    assert entities("The Simpsons is produced by Gracie Films.") == ["Simpsons", "Gracie Films"]
    assert entities("On May 5, Eleven people met.") == []


def test_entities_match_variants_and_compounds(ev):
    assert (
        check_entities("The company is Libyan.", ev("It is based in Libya.")).label == "supported"
    )
    assert check_entities("It was FamilyMart.", ev("It was Family Mart.")).label == "supported"
    assert (
        check_entities(
            "Bristly Bellflowers grow here.", ev("Bristly bell flower grows here.")
        ).label
        == "supported"
    )
    r = check_entities("The company is Libyan.", ev("It is based in Liberia."))
    assert r.label == "unsupported" and "Libyan" in r.detail


def test_the_month_may_is_not_a_hedge(ev):
    passage = ev("The submarine was launched on 1 May 1916 at Danzig.")
    assert check_hedging("The submarine was launched in 1916 at Danzig.", passage).label is None
    r = check_hedging("The submarine sank.", ev("The submarine may have sunk."))
    assert r.label == "unsupported" and "may" in r.detail
