"""Safe rendering of source and model text: always as text, never as HTML or markdown.

Streamlit renders ``st.markdown`` as markdown; source text and model text may contain
``<script>``, ``<img onerror=...>``, markdown links or LaTeX. Every character of such text
that HTML or markdown gives a meaning to is written as a numeric character reference
(``&#60;`` for ``<`` ...), newlines become ``<br>`` (so no blank line ends the HTML block and
lets markdown in), and the only tags in the output are the fixed ones written here
(``<div>``, ``<mark>``, ``<br>``, ``<span>``). The result is passed to
``st.markdown(..., unsafe_allow_html=True)``; see ``tests/ui/test_ui_units.py`` and ``test_ui_pages.py`` for the
hostile inputs it is checked against.
"""

from __future__ import annotations

from collections.abc import Iterable

_SPECIAL = set("&<>\"'`*_[](){}#+-.!|~$:\\=/%@^")
"""ASCII characters with a meaning in HTML, markdown, LaTeX ($), emoji shortcodes (:) or
Streamlit's ``:color[...]`` directives: each is written as ``&#N;``."""

VERDICT_COLOURS = {"supported": "#1b7f3b", "unsupported": "#8a6d00", "contradicted": "#b42318"}
"""Badge colours by verdict label (text on a light background)."""


def escape_text(text: str) -> str:
    """``text`` with every special character as a numeric reference and newlines as ``<br>``.

    >>> escape_text("<b>1*2</b>")
    '&#60;b&#62;1&#42;2&#60;&#47;b&#62;'
    """
    out: list[str] = []
    for ch in text:
        if ch in _SPECIAL:
            out.append(f"&#{ord(ch)};")
        elif ch == "\n":
            out.append("<br>")
        elif ch == "\r":
            continue
        elif ch == "\t":
            out.append("&#9;")
        else:
            out.append(ch)
    return "".join(out)


def block(fragment: str) -> str:
    """``fragment`` (escaped text and fixed tags) inside a ``<div>``, so markdown leaves it
    alone: an HTML block that starts with ``<div>`` and holds no blank line is passed through
    as HTML (CommonMark HTML block type 6), while text after an inline tag such as
    ``<small>`` would still be read as markdown (e.g. ``www.`` would become a link)."""
    return f'<div class="baton-block">{fragment}</div>'


def text_html(text: str, *, mono: bool = False) -> str:
    """One ``<div>`` holding ``text`` as text (wrapping kept, nothing interpreted)."""
    style = "white-space:pre-wrap;overflow-wrap:anywhere;" + (
        "font-family:monospace;font-size:0.85em;" if mono else ""
    )
    return f'<div class="baton-text" style="{style}">{escape_text(text)}</div>'


def merge_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Clip ``(start, end)`` character spans to ``[0, length]``, drop empty ones and merge
    overlapping or touching ones; sorted by start."""
    clipped = sorted((max(0, s), min(length, e)) for s, e in spans if min(length, e) > max(0, s))
    merged: list[tuple[int, int]] = []
    for s, e in clipped:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def window(text: str, spans: list[tuple[int, int]], context: int = 300) -> tuple[int, int]:
    """The ``(start, end)`` part of ``text`` that shows every span with ``context``
    characters around it (the whole text when ``context`` is negative or there are no spans)."""
    if context < 0 or not spans:
        return 0, len(text)
    return max(0, min(s for s, _ in spans) - context), min(
        len(text), max(e for _, e in spans) + context
    )


def highlight_html(
    text: str, spans: Iterable[tuple[int, int]], *, context: int = 300, label: str | None = None
) -> str:
    """``text`` (or the part of it around the spans, see ``window``) as escaped text with each
    evidence span inside ``<mark>``. Offsets are Python ``str`` indices, end exclusive, as in
    ``Evidence``. ``label`` picks the mark colour from ``VERDICT_COLOURS``."""
    marks = merge_spans(spans, len(text))
    lo, hi = window(text, marks, context)
    colour = {"supported": "#c8f0d2", "unsupported": "#fff1b8", "contradicted": "#ffd4d0"}.get(
        label or "", "#fff1b8"
    )
    parts: list[str] = ["&#8230;"] if lo > 0 else []
    pos = lo
    for s, e in marks:
        s, e = max(s, lo), min(e, hi)
        if e <= s:
            continue
        parts.append(escape_text(text[pos:s]))
        parts.append(
            f'<mark style="background:{colour};padding:0 2px;">{escape_text(text[s:e])}</mark>'
        )
        pos = e
    parts.append(escape_text(text[pos:hi]))
    if hi < len(text):
        parts.append("&#8230;")
    return (
        '<div class="baton-source" style="white-space:pre-wrap;overflow-wrap:anywhere;">'
        + "".join(parts)
        + "</div>"
    )


def badge_html(label: str | None, confidence: float | None = None) -> str:
    """A coloured verdict badge (``unverified`` when ``label`` is None)."""
    name = label or "unverified"
    colour = VERDICT_COLOURS.get(name, "#555")
    conf = f" {confidence:.2f}" if confidence is not None else ""
    return (
        f'<span class="baton-badge" style="border:1px solid {colour};color:{colour};border-radius:0.6em;'
        f'padding:0 0.5em;font-size:0.85em;white-space:nowrap;">{escape_text(name + conf)}</span>'
    )


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|~$:<>&")


def escape_markdown(text: str) -> str:
    """``text`` with every markdown-special ASCII character backslash-escaped, for places that
    take markdown but not HTML (widget labels, expander titles); newlines become spaces."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else (" " if ch in "\r\n" else ch) for ch in text)


def chip_html(text: str, colour: str = "#555") -> str:
    """``text`` as a small rounded chip (white on ``colour``) that never wraps or truncates."""
    return (
        f'<span style="background:{colour};color:#fff;border-radius:0.8em;padding:0.1em 0.6em;'
        f'font-size:0.85em;white-space:nowrap;">{escape_text(text)}</span>'
    )


def relative_time(iso: str | None, now: float | None = None) -> str:
    """An ISO 8601 UTC time as people say it: ``just now``, ``5 s ago``, ``3 min ago``,
    ``2 h ago``, ``4 d ago`` (``in 5 s`` for a future time); ``–`` for None."""
    import time
    from datetime import datetime

    if not iso:
        return "–"
    t = datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    delta = (time.time() if now is None else now) - t
    ahead, delta = delta < 0, abs(delta)
    if delta < 2:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if delta >= size:
            n = int(delta // size)
            return f"in {n} {unit}" if ahead else f"{n} {unit} ago"
    return "just now"
