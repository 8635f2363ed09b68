"""Scoring whole ``check`` tasks against their gold labels (the logic behind ``baton bench
tasks``; running the graph is the CLI's job).

Claim level: each gold claim (the annotators' decomposed claims, e.g. Factcheck-GPT) is
matched to the product claim whose text covers most of its content words (Snowball stems,
stop words dropped); the match must cover at least ``MIN_MATCH`` of them, else the gold claim
counts as *not supported* by the product (it never confirmed it). The matched verdict's label
is the prediction; balanced accuracy is supported vs not supported.

Response level: a response is *hallucinated* when any gold claim is not supported (gold) /
when any of the product's verdicts is not supported (prediction); precision, recall and F1
take hallucinated as the positive class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from baton.verifiers.passages import content_terms
from baton.verifiers.scoring import balanced_accuracy

MIN_MATCH = 0.5


def match_claims(gold: Sequence[str], claims: Sequence[str]) -> list[int | None]:
    """For each gold claim text, the index of the best-covering product claim (or None when no
    product claim covers ``MIN_MATCH`` of its content words)."""
    cterms = [set(content_terms(c)) for c in claims]
    out: list[int | None] = []
    for g in gold:
        gt = set(content_terms(g))
        if not gt or not cterms:
            out.append(None)
            continue
        cover = [len(gt & ct) / len(gt) for ct in cterms]
        best = max(range(len(cover)), key=lambda i: (cover[i], -i))
        out.append(best if cover[best] >= MIN_MATCH else None)
    return out


def score_tasks(outcomes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Figures over task outcomes. Each outcome: ``gold`` (the task's gold dict: ``claims``
    with ``text`` and ``label``, ``response_label``), ``claims`` (product claim texts),
    ``labels`` (their verdict labels, parallel) and ``status`` (the run's status).

    Returns ``{"tasks", "claim_level": {"balanced_accuracy", "n", "matched"},
    "response_level": {"precision", "recall", "f1", "balanced_accuracy"}, "status_counts"}``.
    """
    gold_labels: list[str] = []
    pred_labels: list[str] = []
    matched = 0
    resp_gold: list[bool] = []
    resp_pred: list[bool] = []
    status_counts: dict[str, int] = {}
    for o in outcomes:
        status_counts[o["status"]] = status_counts.get(o["status"], 0) + 1
        gold_claims = o["gold"].get("claims") or []
        idx = match_claims([c["text"] for c in gold_claims], o["claims"])
        for c, i in zip(gold_claims, idx, strict=True):
            gold_labels.append(c["label"])
            if i is None:
                pred_labels.append("unsupported")
            else:
                matched += 1
                pred_labels.append(o["labels"][i])
        g = o["gold"].get("response_label")
        if g is None:
            g = (
                "hallucinated"
                if any(c["label"] != "supported" for c in gold_claims)
                else "faithful"
            )
        resp_gold.append(g == "hallucinated")
        resp_pred.append(not o["labels"] or any(lab != "supported" for lab in o["labels"]))
    tp = sum(g and p for g, p in zip(resp_gold, resp_pred, strict=True))
    fp = sum(p and not g for g, p in zip(resp_gold, resp_pred, strict=True))
    fn = sum(g and not p for g, p in zip(resp_gold, resp_pred, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # Balanced accuracy over hallucinated / faithful: "supported" stands for faithful here.
    rg = ["unsupported" if g else "supported" for g in resp_gold]
    rp = ["unsupported" if p else "supported" for p in resp_pred]
    return {
        "tasks": len(outcomes),
        "claim_level": {
            "balanced_accuracy": round(balanced_accuracy(gold_labels, pred_labels), 4),
            "n": len(gold_labels),
            "matched": matched,
        },
        "response_level": {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "balanced_accuracy": round(balanced_accuracy(rg, rp), 4),
        },
        "status_counts": status_counts,
    }
