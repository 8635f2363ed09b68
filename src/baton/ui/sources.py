"""Turn what an analyst pastes or uploads into ``Source`` models, refusing what cannot be read.

Accepted uploads: ``.txt``, ``.md`` (kept as written) and ``.html``/``.htm`` (reduced to their
visible text with the standard library's ``html.parser``: scripts, styles and tags dropped,
block elements turned into line breaks). Bytes must be UTF-8 (a BOM is allowed; UTF-16 with
a BOM too). Anything else raises ``TaskInputError`` naming the file and the reason.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import PurePath

from pydantic import ValidationError

from baton.contracts import BINARY_FRACTION, MAX_SOURCE_CHARS, Source, garbage_fraction
from baton.errors import TaskInputError

ACCEPTED = (".txt", ".md", ".html", ".htm")
MAX_UPLOAD_BYTES = 4 * MAX_SOURCE_CHARS
"""Largest upload read (bytes): 4 bytes per character of the largest accepted source."""

_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "hr",
    "title",
}
_SKIP = {"script", "style", "noscript", "template", "svg", "head"}


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _SKIP:
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, str]:
    """``(title, visible text)`` of an HTML document; whitespace runs collapsed, paragraphs kept."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    text = unescape("".join(parser.parts))
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return parser.title.strip(), text


def decode(data: bytes, name: str) -> str:
    """UTF-8 (or BOM-marked UTF-16) text of ``data``; ``TaskInputError`` when it is not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TaskInputError(
            f"{name} is not UTF-8 text (byte {exc.start} cannot be decoded); save it as UTF-8 and upload it again",
            field="sources",
        ) from None
    if garbage_fraction(text[:100_000]) > BINARY_FRACTION:
        raise TaskInputError(f"{name} looks like binary data, not text", field="sources")
    return text


def read_upload(name: str, data: bytes, source_id: str) -> Source:
    """A ``Source`` from an uploaded file. Raises ``TaskInputError`` (naming the file) for an
    unsupported type, an oversized, binary, undecodable or empty file."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in ACCEPTED:
        raise TaskInputError(
            f"{name}: files of type {suffix or '(none)'} cannot be read; upload {', '.join(ACCEPTED)}",
            field="sources",
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise TaskInputError(
            f"{name} is {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,}", field="sources"
        )
    text = decode(data, name)
    title = PurePath(name).stem
    if suffix in (".html", ".htm"):
        html_title, text = html_to_text(text)
        title = html_title or title
    if not text.strip():
        raise TaskInputError(f"{name} has no text", field="sources")
    try:
        return Source(id=source_id, title=title, text=text, uri=name)
    except ValidationError as exc:
        message = TaskInputError.from_validation(exc).message
        raise TaskInputError(f"{name}: {message}", field="sources") from None


def pasted_sources(text: str, first_id: int = 1) -> list[Source]:
    """Sources from a text box: blocks separated by a line holding only ``---``; a block whose
    first line starts with ``# `` uses it as the title. Ids are ``s1``, ``s2``, ..."""
    blocks = [b.strip() for b in re.split(r"(?m)^\s*---\s*$", text or "") if b.strip()]
    out: list[Source] = []
    for i, block in enumerate(blocks, start=first_id):
        title = ""
        first, _, rest = block.partition("\n")
        if first.startswith("# ") and rest.strip():
            title, block = first[2:].strip(), rest.strip()
        try:
            out.append(Source(id=f"s{i}", title=title, text=block))
        except ValidationError as exc:
            message = TaskInputError.from_validation(exc).message
            raise TaskInputError(f"pasted source {i}: {message}", field="sources") from None
    return out
