"""The LLM judge (optional): any LangChain chat model asked whether the evidence supports the
claim. It must be a *different* model from the one that wrote the claims: copies of one model
converge on shared confidence, not on truth (Du et al. 2023, "Improving Factuality and
Reasoning in Language Models through Multiagent Debate"), so a same-model judge is refused
with ``ConfigError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from baton import usage
from baton.contracts import CheckResult, Claim, Evidence
from baton.errors import ConfigError
from baton.verifiers._common import claim_text, result

NAME = "llm_judge"
PROMPT = (
    "You are a strict fact-checker. Decide whether the EVIDENCE supports the CLAIM. Use only the "
    "evidence, not your own knowledge. Answer with one JSON object: "
    '{"label": "supported" | "unsupported" | "contradicted", "confidence": 0..1, "reason": "..."}.'
)
_IDENTITY_FIELDS = ("model_name", "model", "model_id", "deployment_name", "repo_id")
_URL_FIELDS = ("openai_api_base", "base_url", "endpoint", "azure_endpoint")


def model_identity(model: Any) -> tuple[str, str, str]:
    """``(class name, model name, endpoint)`` of a chat model, as far as it states them."""
    name = next((str(getattr(model, f)) for f in _IDENTITY_FIELDS if getattr(model, f, None)), "")
    url = next((str(getattr(model, f)) for f in _URL_FIELDS if getattr(model, f, None)), "")
    return type(model).__name__, name, url


def same_model(a: Any, b: Any) -> bool:
    """Whether two chat models are the same model: the same object, or the same class, model
    name and endpoint (a model without a name is only the same as itself)."""
    if a is b:
        return True
    ia, ib = model_identity(a), model_identity(b)
    return bool(ia[1]) and ia == ib


class LLMJudge:
    """A judge built from ``model`` (any LangChain ``BaseChatModel``).

    Raises ``ConfigError`` when ``model`` is not a chat model or is the same model as
    ``author_model`` (the model that wrote the claims).
    """

    def __init__(self, model: BaseChatModel, *, author_model: Any | None = None):
        if not isinstance(model, BaseChatModel):
            raise ConfigError(
                f"the LLM judge needs a LangChain BaseChatModel, got {type(model).__name__}"
            )
        if author_model is not None and same_model(model, author_model):
            cls, name, url = model_identity(model)
            raise ConfigError(
                f"the LLM judge ({cls} {name or '?'} {url}) is the same model that wrote the claims; "
                "a heterogeneous verifier needs a different judge (Du et al. 2023)"
            )
        self.model = model

    def __call__(self, claim: Claim | str, evidence: Sequence[Evidence]) -> CheckResult:
        return check_llm_judge(claim, evidence, judge=self)


def check_llm_judge(
    claim: Claim | str, evidence: Sequence[Evidence], *, judge: LLMJudge
) -> CheckResult:
    """Ask the judge model about the claim and the evidence spans.

    ``label`` is the model's label, ``score`` its confidence in support (1 - confidence when it
    says unsupported or contradicted); an unparsable answer gives label None and score 0.5.
    """
    if not evidence:
        return result(NAME, "unsupported", 0.0, "no evidence span")
    spans = "\n".join(f"[{i + 1}] {e.text}" for i, e in enumerate(evidence))
    reply = judge.model.invoke(
        [SystemMessage(PROMPT), HumanMessage(f"CLAIM: {claim_text(claim)}\n\nEVIDENCE:\n{spans}")]
    )
    usage.charge(  # the judge's tokens count against the task's budget
        getattr(reply, "usage_metadata", None), model=model_identity(judge.model)[1]
    )
    text = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
    label, conf, reason = _parse(text)
    if label is None:
        return result(NAME, None, 0.5, f"unparsable judge answer: {text[:200]!r}", list(evidence))
    score = conf if label == "supported" else 1.0 - conf
    return result(NAME, label, score, reason or f"judge says {label}", list(evidence))


def _parse(text: str) -> tuple[Any, float, str]:
    m = re.search(r"\{.*\}", text, re.DOTALL)
    if m:
        try:
            data = json.loads(m.group(0))
            label = str(data.get("label", "")).lower().strip()
            if label in ("supported", "unsupported", "contradicted"):
                conf = float(data.get("confidence", 0.7))
                return label, min(1.0, max(0.0, conf)), str(data.get("reason", ""))
        except (ValueError, TypeError, AttributeError):
            pass
    m = re.search(r"\b(unsupported|contradicted|supported)\b", text.lower())
    return (m.group(1), 0.7, "") if m else (None, 0.5, "")
