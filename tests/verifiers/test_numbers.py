from baton.verifiers import check_numbers
from baton.verifiers.quantities import quantities


def test_scale_words_and_percent_words_normalise():
    (a,) = quantities("1.5 million")
    (b,) = quantities("1,500,000")
    assert a.value == b.value == 1_500_000
    (p,) = quantities("twelve percent")
    (q,) = quantities("12%")
    assert p.value == q.value == 12 and p.unit == q.unit == "%"


def test_dates_parse_into_parts():
    (d,) = quantities("She was born on February 12, 1965.")
    assert d.kind == "date" and d.value == (1965, 2, 12)
    (e,) = quantities("on 12 Feb 1965")
    assert e.value == d.value


def test_same_numbers_in_other_forms_are_supported(ev):
    r = check_numbers(
        "Sales rose twelve percent to 1.5 million units.", ev("Sales rose 12% to 1,500,000 units.")
    )
    assert r.label == "supported" and r.score == 1.0


def test_changed_number_is_contradicted(ev):
    r = check_numbers("The bridge is 1,200 metres long.", ev("The bridge is 1,400 metres long."))
    assert r.label == "contradicted" and r.score == 0.0
    assert "1,200" in r.detail


def test_changed_year_is_contradicted(ev):
    r = check_numbers(
        "Kavanaugh was born in 1966.", ev("Brett Kavanaugh (born February 12, 1965) is a judge.")
    )
    assert r.label == "contradicted"


def test_year_matches_a_full_date(ev):
    r = check_numbers(
        "Kavanaugh was born in 1965.", ev("Brett Kavanaugh (born February 12, 1965) is a judge.")
    )
    assert r.label == "supported"


def test_missing_number_without_a_rival_is_unsupported(ev):
    r = check_numbers("The club has 300 members.", ev("The club meets on the green."))
    assert r.label == "unsupported"


def test_no_number_means_not_applicable(ev):
    r = check_numbers("The sky is blue.", ev("The sky is blue."))
    assert r.label is None


def test_day_and_month_without_a_year():
    (d,) = quantities("He died on May 7 in Calgary.")
    assert d.kind == "date" and d.value == (None, 5, 7)
    (e,) = quantities("episodes air from March 4th")
    assert e.value == (None, 3, 4)
    assert [q.kind for q in quantities("it may 7 times")] == ["number"]  # "may" is a verb here


def test_a_page_date_without_its_year_supports_the_full_date(ev):
    claim = "He died in Calgary on May 7, 2018."
    assert check_numbers(claim, ev("He died on May 7 in Calgary.")).label == "supported"
    assert check_numbers(claim, ev("He died on May 9 in Calgary.")).label == "contradicted"
    # a month without a day is not enough when the year is missing too
    assert check_numbers("It aired in March 2019.", ev("It aired on March 4.")).label != "supported"
    assert (
        check_numbers("It aired on March 4.", ev("It aired on 4 March 2019.")).label == "supported"
    )


def test_numbers_inside_names_are_not_quantities():
    assert quantities("The SM U-30 submarine and COVID-19") == ()
    assert [q.value for q in quantities("pre-2000 cars, a 10-episode series")] == [2000, 10]


def test_a_decade_is_matched_by_any_year_in_it(ev):
    assert [q.kind for q in quantities("in the 1980s and the 2000's, not 1990")] == [
        "decade",
        "decade",
        "year",
    ]
    assert (
        check_numbers("It moved in the 2000s.", ev("It moved in July 2001.")).label == "supported"
    )
    assert check_numbers("It moved in the 2000s.", ev("It moved in 1998.")).label == "contradicted"
    # a year inside a decade the evidence names is not contradicted by it (only not stated)
    assert check_numbers("It moved in 1985.", ev("It moved in the 1980s.")).label == "unsupported"
