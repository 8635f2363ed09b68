"""The notebooks run top to bottom on a fresh kernel (the venv's own ipykernel), offline."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.fixture
def kernel_from_this_venv(tmp_path, monkeypatch):
    """A ``python3`` kernelspec that starts this interpreter, found before any system-wide one
    (``JUPYTER_PATH`` comes first in Jupyter's search path), so a clean clone needs no
    ``ipykernel install``."""
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "baton venv", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    # importing streamlit (the UI tests do, in this process) sets MPLBACKEND=Agg for the whole
    # process; the kernel would inherit it and show no inline figure
    monkeypatch.delenv("MPLBACKEND", raising=False)
    return "python3"


def _run(name: str, kernel_name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name=kernel_name, resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    return nb


def _text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(str(out.get("text", "")))
            parts.extend(str(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(parts)


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [
        out["ename"]
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


@pytest.mark.slow
def test_build_and_edit_graph_runs_top_to_bottom(kernel_from_this_venv):
    nb = _run("build_and_edit_graph.ipynb", kernel_from_this_venv)
    assert _errors(nb) == []
    text = _text(nb)
    assert "refused: node 'orphan' is unreachable from 'supervise'" in text
    mermaid = [
        out["data"]["text/vnd.mermaid"]
        for c in nb.cells
        for out in c.get("outputs", [])
        if "text/vnd.mermaid" in out.get("data", {})
    ]
    assert (
        len(mermaid) == 1
        and "supervise --> tally" in mermaid[0]
        and "tally -.-> supervise" in mermaid[0]
    )
    assert "hop 4: supervise -> tally" in text and "tally: {" in text
    assert "hops: ['research', 'analyze', 'verify', 'summarize', 'write']" in text
    assert "summary: 5 claim(s): 4 supported, 1 unsupported. Supported: 1. Sandra Day" in text
    assert "forked from step 5 -> next: ('verify',) | claims now: ['c1', 'c2']" in text


@pytest.mark.slow
def test_inspect_a_run_runs_top_to_bottom(kernel_from_this_venv):
    nb = _run("inspect_a_run.ipynb", kernel_from_this_venv)
    assert _errors(nb) == []
    text = _text(nb)
    assert "'status': 'finished'" in text and "'max_hops': 6" in text
    assert any(
        out.get("data", {}).get("image/png") for c in nb.cells for out in c.get("outputs", [])
    ), "the timeline plot"
    assert "two more steps are fine" in text and "extend" in text
    assert "paused for review: hop_limit" in text
