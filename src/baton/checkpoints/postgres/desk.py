"""What the reviewer's desk asks of ``PostgresStore`` beyond runs and items (the same
semantics as ``baton.checkpoints.sqlite.desk``): a reviewer's short claim on a pending item,
a page of runs (search, submitter, paging), and the sign-in records (failed sign-ins and
sign-outs are ``events`` rows without a run; ``payload`` is JSON text)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import psycopg

from baton.checkpoints.protocol import RUN_COLUMNS


class PostgresDesk:
    """``claim_item``, ``run_page``, ``failed_sign_ins`` and ``session_revoked`` over
    ``self.conn`` (the store's; autocommit, dict rows)."""

    conn: psycopg.Connection[dict[str, Any]]

    def claim_item(self, item_id: str, reviewer: str, ttl_s: float) -> dict[str, Any]:
        """Claim the pending item for ``reviewer`` for ``ttl_s`` seconds, unless another
        reviewer holds an unexpired claim (one conditional UPDATE: a single winner; the holder
        renews by claiming again). Returns ``{item_id, claimed_by, claimed_until (unix s),
        mine}``; ``claimed_by`` is None for an item that is no longer pending (or unknown)."""
        now = time.time()
        self.conn.execute(
            "UPDATE review_items SET claimed_by = %(r)s, claimed_until = %(until)s "
            "WHERE id = %(id)s AND status = 'pending' "
            "AND (claimed_by IS NULL OR claimed_by = %(r)s OR claimed_until < %(now)s)",
            {"r": reviewer, "until": now + ttl_s, "id": item_id, "now": now},
        )
        row = self.conn.execute(
            "SELECT claimed_by, claimed_until, status FROM review_items WHERE id = %s", (item_id,)
        ).fetchone()
        if row is None or row["status"] != "pending":
            return {"item_id": item_id, "claimed_by": None, "claimed_until": None, "mine": False}
        return {
            "item_id": item_id,
            "claimed_by": row["claimed_by"],
            "claimed_until": row["claimed_until"],
            "mine": row["claimed_by"] == reviewer,
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
        where, args = [], {}
        if search.strip():
            args["like"] = f"%{search.strip().lower()}%"
            where.append(
                "(lower(id) LIKE %(like)s OR lower(coalesce(task_id, '')) LIKE %(like)s "
                "OR lower(question) LIKE %(like)s)"
            )
        if submitted_by is not None:
            where.append("submitted_by = %(by)s")
            args["by"] = submitted_by
        statuses = list(statuses)
        if statuses:
            where.append("status = ANY(%(s)s)")
            args["s"] = statuses
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        total = self.conn.execute(f"SELECT count(*) AS n FROM runs{clause}", args).fetchone()
        rows = self.conn.execute(
            f"SELECT {', '.join(RUN_COLUMNS)}, submitted_by FROM runs{clause} "
            "ORDER BY created_at DESC, seq DESC LIMIT %(limit)s OFFSET %(offset)s",
            {**args, "limit": int(limit), "offset": int(offset)},
        ).fetchall()
        return rows, int(total["n"]) if total else 0

    def failed_sign_ins(self, name: str, client: str, since: str) -> dict[str, Any]:
        """Failed sign-ins since ``since`` (ISO 8601 UTC): ``{name: n, client: n, last_at:
        ISO | None}`` counting ``events`` rows with ``run_id`` NULL, ``kind`` =
        ``'sign_in_failed'`` and ``payload.name`` = ``name`` (resp. ``payload.client`` =
        ``client``); ``last_at`` is the newest of either."""
        row = self.conn.execute(
            "SELECT "
            "count(*) FILTER (WHERE payload::jsonb ->> 'name' = %(name)s) AS name, "
            "count(*) FILTER (WHERE payload::jsonb ->> 'client' = %(client)s) AS client, "
            "max(created_at) FILTER (WHERE payload::jsonb ->> 'name' = %(name)s "
            "OR payload::jsonb ->> 'client' = %(client)s) AS last_at "
            "FROM events WHERE run_id IS NULL AND kind = 'sign_in_failed' AND created_at >= %(since)s",
            {"name": name, "client": client, "since": since},
        ).fetchone()
        assert row is not None
        return {"name": int(row["name"]), "client": int(row["client"]), "last_at": row["last_at"]}

    def session_revoked(self, session_id: str) -> bool:
        """Whether a sign-out revoked the session: an ``events`` row with ``run_id`` NULL,
        ``kind`` = ``'sign_out'`` and ``payload.session`` = ``session_id``."""
        row = self.conn.execute(
            "SELECT 1 AS one FROM events WHERE run_id IS NULL AND kind = 'sign_out' "
            "AND payload::jsonb ->> 'session' = %s LIMIT 1",
            (session_id,),
        ).fetchone()
        return row is not None
