import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_openai import ChatOpenAI

from baton.contracts import Claim, Evidence, Source
from baton.errors import ConfigError
from baton.verifiers import verify
from baton.verifiers.judge import LLMJudge, check_llm_judge
from baton.verifiers.nli import load_nli
from baton.verifiers.semantic import check_semantic

EV = [Evidence(source_id="s", start=0, end=20, text="The sky is blue now.")]


def test_same_model_judge_is_refused():
    author = ChatOpenAI(model="gpt-4o-mini", api_key="x", base_url="http://127.0.0.1:9/v1")
    twin = ChatOpenAI(model="gpt-4o-mini", api_key="y", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ConfigError, match="same model"):
        LLMJudge(author, author_model=author)
    with pytest.raises(ConfigError, match="same model"):
        LLMJudge(twin, author_model=author)
    other = ChatOpenAI(model="qwen2.5-7b-instruct", api_key="x", base_url="http://127.0.0.1:9/v1")
    assert LLMJudge(other, author_model=author).model is other


def test_judge_answer_becomes_a_check_result():
    judge = LLMJudge(
        FakeListChatModel(
            responses=['{"label": "contradicted", "confidence": 0.9, "reason": "grey"}']
        )
    )
    r = check_llm_judge("The sky is grey.", EV, judge=judge)
    assert r.label == "contradicted" and r.score == pytest.approx(0.1) and r.detail == "grey"


def test_judge_runs_inside_verify():
    judge = LLMJudge(FakeListChatModel(responses=['{"label": "supported", "confidence": 1.0}']))
    src = [Source(id="s", text="The sky is blue now.")]
    (v,) = verify([Claim(id="c", text="The sky is blue now.", author="write")], src, judge=judge)
    assert "llm_judge" in [r.check for r in v.checks] and v.label == "supported"


def test_nli_needs_a_local_model_directory(tmp_path):
    with pytest.raises(ConfigError, match="not a directory"):
        load_nli(tmp_path / "missing")
    with pytest.raises(ConfigError, match="nli_model"):
        verify(
            [Claim(id="c", text="a b", author="w")], [Source(id="s", text="a b")], checks=["nli"]
        )


class _Encoder:
    """Bag-of-letters unit vectors: similar strings get similar vectors."""

    def encode(self, texts, normalize_embeddings=True):
        out = []
        for t in texts:
            v = np.zeros(26)
            for ch in t.lower():
                if "a" <= ch <= "z":
                    v[ord(ch) - 97] += 1
            out.append(v / (np.linalg.norm(v) or 1.0))
        return np.array(out)


def test_semantic_check_with_any_encoder():
    same = check_semantic("The sky is blue now.", EV, encoder=_Encoder())
    other = check_semantic("Zzz qqq xxx.", EV, encoder=_Encoder())
    assert same.score == pytest.approx(1.0) and same.label == "supported"
    assert other.score < 0.6 and other.label == "unsupported"
