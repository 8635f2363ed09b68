from baton.contracts import Source
from baton.text import CHUNK_CHARS, PassageIndex, sentence_spans, tokens


def test_sentence_spans_point_at_trimmed_sentences():
    text = "  The Moon orbits the Earth.  It is rocky!\nIs it dry? Yes. "
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "The Moon orbits the Earth.",
        "It is rocky!",
        "Is it dry?",
        "Yes.",
    ]
    assert spans[0] == (2, 28)


def test_a_long_single_line_is_split_in_linear_pieces_with_exact_offsets():
    sentence = "Baton checks every claim against the sources. "
    text = sentence * (4 * CHUNK_CHARS // len(sentence))
    spans = sentence_spans(text)
    assert len(spans) == text.count(". ")
    assert all(text[s:e] == sentence.strip() for s, e in spans)
    assert spans == tuple(sorted(spans)) and all(
        a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)
    )


def test_a_line_without_punctuation_is_still_cut_at_whitespace():
    text = "word " * (3 * CHUNK_CHARS // 5)
    spans = sentence_spans(text)
    covered = "".join(text[s:e] for s, e in spans).replace(" ", "")
    assert covered == text.replace(" ", "")


def test_tokens_keep_numbers_whole_and_drop_stopwords():
    assert tokens("The 1,500 cats and 3.5 dogs") == ["1,500", "cats", "3.5", "dogs"]


def test_passage_index_ranks_the_matching_sentence_first():
    idx = PassageIndex.build(
        [
            Source(id="a", text="Paris is in France. Obama was born in 1961."),
            Source(id="b", text="Cats purr."),
        ]
    )
    hits = idx.search("When was Obama born?", k=2)
    assert hits[0].source_id == "a" and hits[0].text == "Obama was born in 1961."
    assert hits[0].start == 20 and hits[0].score > 0
    assert idx.search("zzz qqq") == []
