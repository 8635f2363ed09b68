"""``baton bench``: benchmarks that print figures (never pass/fail).

- ``baton bench verifier PATH [PATH ...] [--checks LIST] [--nli-model DIR] [--limit N] [--json]``:
  score the verifier on labelled claims (``{"claim", "source", "label", "dataset"}`` lines);
  see ``baton.verifiers.scoring``. With ``--lodo [--rules-only] [--entailment-folds DIR]``:
  leave-one-dataset-out figures and the word-overlap baseline; see ``baton.verifiers.lodo``.
- ``baton bench tasks PATH [--db DB] [--json]``: run every ``check`` task of a task file
  through the whole graph (offline engine) and score it against ``gold``; see
  ``baton.verifiers.task_scoring``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import typer

bench_app = typer.Typer(
    help="Benchmarks that print figures.", no_args_is_help=True, add_completion=False
)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


DEFAULT_FOLDS = (Path("bench/.cache/entailment"),)
"""Where ``--lodo`` looks for fold models by default (plus the shipped model)."""


@bench_app.command("verifier")
def verifier(
    paths: list[Path] = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="JSONL file(s) of {claim, source, label, dataset} lines.",
    ),
    checks: str | None = typer.Option(
        None, "--checks", help="Comma-separated checks to run (default: the always-on checks)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object (accuracies as fractions)."
    ),
    nli_model: Path | None = typer.Option(
        None,
        "--nli-model",
        help="Directory of a local NLI model: adds the nli check (needs the nli extra).",
    ),
    lodo: bool = typer.Option(
        False,
        "--lodo",
        help="Leave-one-dataset-out: fit the aggregator and thresholds on the other datasets, "
        "score the held-out one; also the word-overlap baseline under the same protocol.",
    ),
    rules_only: bool = typer.Option(
        False, "--rules-only", help="With --lodo: the rule checks only, no entailment model."
    ),
    folds: list[Path] = typer.Option(
        [],
        "--entailment-folds",
        help="With --lodo: directories of fold models (meta.json trained_on); default "
        "bench/.cache/entailment and the shipped model.",
    ),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Score at most this many items per dataset (a sample)."
    ),
) -> None:
    """Score the verifier: per-dataset balanced accuracy (supported vs not), 3-way macro-F1,
    the mean over datasets, claims/second and latency on one core, and an ablation row per
    check. With ``--lodo``: the leave-one-dataset-out figures (``baton.verifiers.lodo``)."""
    from baton.verifiers.lodo import sample
    from baton.verifiers.nli import load_nli
    from baton.verifiers.pipeline import with_nli
    from baton.verifiers.scoring import load_items, score_shipped

    names = [c.strip() for c in checks.split(",") if c.strip()] if checks else None
    items = sample([it for p in paths for it in load_items(p)], limit)
    if lodo:
        _lodo(items, names, rules_only, folds, as_json)
        return
    model = load_nli(nli_model) if nli_model is not None else None
    extras = {"nli_model": model} if model is not None else {}
    report = score_shipped(items, with_nli(names, model), **extras)
    if as_json:
        typer.echo(json.dumps(report))
        return
    typer.echo(f"{'dataset':<20} {'n':>6} {'bal.acc %':>10} {'macro-F1 3-way %':>17}")
    for name, d in report["datasets"].items():
        typer.echo(
            f"{name:<20} {d['n']:>6} {_pct(d['balanced_accuracy']):>10} {_pct(d['macro_f1_3way']):>17}"
        )
    typer.echo(f"mean balanced accuracy: {_pct(report['mean_balanced_accuracy'])} %")
    _speed(report)
    if report["ablation"]:
        typer.echo(f"{'without':<20} {'mean bal.acc %':>15} {'delta':>8}")
        for check, row in report["ablation"].items():
            typer.echo(
                f"{check:<20} {_pct(row['mean_balanced_accuracy']):>15} {100 * row['delta']:>+8.1f}"
            )


def _speed(report: dict[str, Any]) -> None:
    typer.echo(
        f"speed: {report['claims_per_second']:.0f} claims/s on one core "
        f"({report['cpu_claims_per_second']:.0f} per CPU second); "
        f"p50 {report['latency_ms']['p50']:.2f} ms, p95 {report['latency_ms']['p95']:.2f} ms per claim"
    )


def _lodo(
    items: list[Any], names: list[str] | None, rules_only: bool, folds: list[Path], as_json: bool
) -> None:
    from baton.verifiers.entailment import MODEL_DIR
    from baton.verifiers.lodo import find_fold_models, score_lodo
    from baton.verifiers.registry import DEFAULT_CHECKS

    if rules_only:
        names = [n for n in (names or DEFAULT_CHECKS) if n != "entailment"]
    fold_models = [] if rules_only else find_fold_models([*(folds or DEFAULT_FOLDS), MODEL_DIR])
    report = score_lodo(items, names, fold_models=fold_models)
    if as_json:
        typer.echo(json.dumps(report))
        return
    typer.echo(f"{'held-out dataset':<20} {'n':>6} {'baton %':>8} {'overlap %':>10}  model")
    for name, ba in report["lodo"].items():
        n = sum(it.dataset == name for it in items)
        where = report["entailment_models"].get(name, "-")
        shown = "refused" if ba is None else _pct(ba)
        typer.echo(f"{name:<20} {n:>6} {shown:>8} {_pct(report['overlap'][name]):>10}  {where}")
    typer.echo(
        f"LODO mean balanced accuracy: baton {_pct(report['lodo_mean'])} %, "
        f"word overlap {_pct(report['overlap_mean'])} %"
    )
    if report["missing_model"]:
        typer.echo(
            "refused: every entailment model was trained on "
            + ", ".join(report["missing_model"])
            + " (no figure, no mean); mean over the other "
            + f"{len(report['lodo']) - len(report['missing_model'])} datasets: "
            + f"{_pct(report['lodo_mean_scored'])} %"
        )
    if report.get("entailment_alone"):
        typer.echo(
            "entailment model alone (threshold fit on the other datasets): "
            + ", ".join(f"{k} {_pct(v)}" for k, v in report["entailment_alone"].items())
        )
    _speed(report)
    if report["ablation"]:
        typer.echo(
            f"without veto {_pct(report['no_veto_mean'])} %; "
            f"threshold 0.5 instead of fit {_pct(report['fixed_threshold_mean'])} %"
        )
        typer.echo(f"{'without':<20} {'LODO mean %':>12} {'delta':>8}")
        for check, row in report["ablation"].items():
            typer.echo(f"{check:<20} {_pct(row['lodo_mean']):>12} {100 * row['delta']:>+8.1f}")


def _outcome(store: Any, run_id: str, gold: dict[str, Any]) -> dict[str, Any]:
    """Claims and verdict labels of a run: from its report when finished, else from the last
    review request (a run paused for review has verdicts but no report yet)."""
    run = store.run(run_id)
    claims: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    if run.get("report"):
        claims, verdicts = run["report"].get("claims", []), run["report"].get("verdicts", [])
    else:
        for item in reversed(store.items(run_id)):
            req = item.get("request") or {}
            if req.get("verdicts"):
                claims, verdicts = req.get("claims", []), req["verdicts"]
                break
    label_of = {v["claim_id"]: v["label"] for v in verdicts}
    checked = [c for c in claims if c["id"] in label_of]
    return {
        "gold": gold,
        "claims": [c["text"] for c in checked],
        "labels": [label_of[c["id"]] for c in checked],
        "status": run["status"],
    }


@bench_app.command("tasks")
def tasks(
    path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="Task JSONL shaped like tasks-dev.jsonl (with gold)."
    ),
    db: str | None = typer.Option(
        None, "--db", help="Database to run in, a path or URL (default: a temporary one)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Run every check task through the whole graph (offline engine) and score it against gold:
    claim-level balanced accuracy (gold claims matched to baton's claims by content-word
    coverage) and response-level precision/recall/F1/balanced accuracy (hallucinated = positive)."""
    from baton.checkpoints import open_store
    from baton.taskfile import iter_jsonl, parse_task
    from baton.verifiers.task_scoring import score_tasks
    from baton.worker import Worker

    rows: list[tuple[Any, dict[str, Any]]] = []
    for n, payload in iter_jsonl(path):
        if (
            not isinstance(payload, dict)
            or payload.get("kind") != "check"
            or not payload.get("gold")
        ):
            continue
        rows.append((parse_task(payload, line=n, default_id=f"{path.stem}-{n}"), payload["gold"]))
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(db or Path(tmp) / "bench.db")
        run_ids = [store.submit(task) for task, _ in rows]
        Worker(store).drain()
        outcomes = [
            _outcome(store, rid, gold) for rid, (_, gold) in zip(run_ids, rows, strict=True)
        ]
        store.close()
    report = score_tasks(outcomes)
    if as_json:
        typer.echo(json.dumps(report))
        return
    cl, rl = report["claim_level"], report["response_level"]
    typer.echo(
        f"check tasks: {report['tasks']}; run status: "
        + ", ".join(f"{k} {v}" for k, v in sorted(report["status_counts"].items()))
    )
    typer.echo(
        f"claim level: balanced accuracy {_pct(cl['balanced_accuracy'])} % over {cl['n']} gold claims ({cl['matched']} matched to a baton claim)"
    )
    typer.echo(
        f"response level (hallucinated = positive): precision {_pct(rl['precision'])} %, recall {_pct(rl['recall'])} %, "
        f"F1 {_pct(rl['f1'])} %, balanced accuracy {_pct(rl['balanced_accuracy'])} %"
    )
