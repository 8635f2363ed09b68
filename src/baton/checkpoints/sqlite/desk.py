"""What the reviewer's desk asks of ``SqliteStore`` beyond runs and items: a reviewer's short
claim on a pending item, a page of runs (search, submitter, paging), and the sign-in records
(failed sign-ins and sign-outs are ``events`` rows without a run). Semantics for other
backends: ``/work/notes/i17-store.md`` (kept in the docstrings below)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from baton.checkpoints.protocol import RUN_COLUMNS


class SqliteDesk:
    """``claim_item``, ``run_page``, ``failed_sign_ins`` and ``session_revoked`` over
    ``self.db`` / ``self.conn`` (the store's)."""

    db: Database
    conn: sqlite3.Connection

    def claim_item(self, item_id: str, reviewer: str, ttl_s: float) -> dict[str, Any]:
        """Claim the pending item for ``reviewer`` for ``ttl_s`` seconds, unless another
        reviewer holds an unexpired claim (one conditional UPDATE, so two reviewers cannot both
        win; the holder renews by claiming again). Returns the claim as it stands:
        ``{item_id, claimed_by, claimed_until (unix s), mine (bool)}``; ``claimed_by`` is None
        for an item that is no longer pending (or unknown)."""
        now = time.time()
        self.conn.execute(
            "UPDATE review_items SET claimed_by = ?, claimed_until = ? WHERE id = ? "
            "AND status = 'pending' AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until < ?)",
            (reviewer, now + ttl_s, item_id, reviewer, now),
        )
        row = self.conn.execute(
            "SELECT claimed_by, claimed_until, status FROM review_items WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None or row[2] != "pending":
            return {"item_id": item_id, "claimed_by": None, "claimed_until": None, "mine": False}
        return {
            "item_id": item_id,
            "claimed_by": row[0],
            "claimed_until": row[1],
            "mine": row[0] == reviewer,
        }

    def run_page(
        self,
        *,
        search: str = "",
        submitted_by: str | None = None,
        statuses: Iterable[str] = (),
        offset: int = 0,
        limit: int = 25,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of runs newest first (``RUN_COLUMNS`` + ``submitted_by``) and how many
        match in all. ``search`` matches the run id, task id or question (case-insensitive
        substring); ``submitted_by`` keeps that submitter's runs; ``statuses`` keeps those."""
        where, args = [], []
        if search.strip():
            like = f"%{search.strip().lower()}%"
            where.append(
                "(lower(id) LIKE ? OR lower(coalesce(task_id, '')) LIKE ? OR lower(question) LIKE ?)"
            )
            args += [like, like, like]
        if submitted_by is not None:
            where.append("submitted_by = ?")
            args.append(submitted_by)
        statuses = list(statuses)
        if statuses:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            args += statuses
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        total = int(self.conn.execute(f"SELECT count(*) FROM runs{clause}", args).fetchone()[0])
        rows = list(
            self.db.query(
                f"SELECT {', '.join(RUN_COLUMNS)}, submitted_by FROM runs{clause} "
                "ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
                [*args, int(limit), int(offset)],
            )
        )
        return rows, total

    def failed_sign_ins(self, name: str, client: str, since: str) -> dict[str, Any]:
        """Failed sign-ins since ``since`` (ISO 8601 UTC): ``{name: n, client: n, last_at:
        ISO | None}`` counting ``events`` rows with ``run_id`` NULL, ``kind`` =
        ``'sign_in_failed'`` and ``payload.name`` = ``name`` (resp. ``payload.client`` =
        ``client``); ``last_at`` is the newest of either."""
        row = self.conn.execute(
            "SELECT "
            "coalesce(sum(json_extract(payload, '$.name') = ?), 0), "
            "coalesce(sum(json_extract(payload, '$.client') = ?), 0), "
            "max(CASE WHEN json_extract(payload, '$.name') = ? OR json_extract(payload, '$.client') = ? "
            "THEN created_at END) "
            "FROM events WHERE run_id IS NULL AND kind = 'sign_in_failed' AND created_at >= ?",
            (name, client, name, client, since),
        ).fetchone()
        return {"name": int(row[0]), "client": int(row[1]), "last_at": row[2]}

    def session_revoked(self, session_id: str) -> bool:
        """Whether a sign-out revoked the session: an ``events`` row with ``run_id`` NULL,
        ``kind`` = ``'sign_out'`` and ``payload.session`` = ``session_id``."""
        row = self.conn.execute(
            "SELECT 1 FROM events WHERE run_id IS NULL AND kind = 'sign_out' "
            "AND json_extract(payload, '$.session') = ? LIMIT 1",
            (session_id,),
        ).fetchone()
        return row is not None
