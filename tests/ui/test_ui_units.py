"""Users and password hashes, safe text rendering, reading uploads, the users CLI."""

from __future__ import annotations

import io

import pytest

from baton.checkpoints import Store
from baton.checkpoints.users import hash_password, verify_password
from baton.errors import ConfigError, NotFoundError, TaskInputError
from baton.ui.render import escape_markdown, escape_text, highlight_html, merge_spans
from baton.ui.sources import html_to_text, pasted_sources, read_upload

# -- users ---------------------------------------------------------------------------------


def test_scrypt_hash_round_trip_and_salting():
    h1, h2 = hash_password("correct horse"), hash_password("correct horse")
    assert h1 != h2  # a fresh salt each time
    assert h1.startswith("scrypt$16384$8$1$")
    assert verify_password("correct horse", h1) and verify_password("correct horse", h2)
    assert not verify_password("correct hors", h1)
    assert (
        not verify_password("x", "scrypt$broken")
        and not verify_password("x", None)
        and not verify_password("x", "md5$1$2$3$4$5")
    )


def test_users_add_authenticate_and_refusals(db_path):
    with Store(db_path) as users_store:
        users = users_store.users
        assert users.count() == 0
        assert users.add("ann", "reviewer", "long-enough")["role"] == "reviewer"
        assert users.authenticate("ann", "long-enough")["name"] == "ann"
        ann = users.get("ann")
        assert ann["last_login_at"] >= ann["created_at"] and ann["last_login_at"].endswith("Z")
        assert users.authenticate("ann", "wrong-password") is None
        assert users.authenticate("nobody", "long-enough") is None
        with pytest.raises(ConfigError, match="exists already"):
            users.add("ann", "analyst", "long-enough")
        with pytest.raises(ConfigError, match="role 'admin' is not one of analyst, reviewer"):
            users.add("bob", "admin", "long-enough")
        with pytest.raises(ConfigError, match="at least 8 characters"):
            users.add("bob", "analyst", "short")
        with pytest.raises(ConfigError, match="not valid"):
            users.add("bob smith", "analyst", "long-enough")
        users.add("ann", "analyst", "another-one", replace=True)
        assert users.get("ann")["role"] == "analyst" and users.authenticate("ann", "another-one")
        oidc = users.add("eve@example.org", "reviewer", None)
        assert oidc["oidc"] is True
        assert users.authenticate("eve@example.org", "") is None  # no password: OIDC only
        with pytest.raises(NotFoundError):
            users.get("zed")
        assert [u["name"] for u in users.list()] == ["ann", "eve@example.org"]
        stored = users.conn.execute(
            "SELECT password_hash FROM users WHERE name = 'ann'"
        ).fetchone()[0]
        assert "another-one" not in stored and stored.startswith("scrypt$")


def test_users_cli_reads_the_password_from_stdin(db_path, monkeypatch, capsys):
    from baton.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\n"))
    assert (
        main(
            ["users", "add", "ann", "--role", "reviewer", "--password-stdin", "--db", str(db_path)]
        )
        == 0
    )
    assert "user ann (reviewer) added" in capsys.readouterr().out
    with Store(db_path) as users_store:
        users = users_store.users
        assert users.authenticate("ann", "s3cret-pass")["role"] == "reviewer"
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\n"))
    assert (
        main(
            ["users", "add", "ann", "--role", "reviewer", "--password-stdin", "--db", str(db_path)]
        )
        == 1
    )
    assert "user 'ann' exists already" in capsys.readouterr().err
    assert main(["users", "list", "--db", str(db_path)]) == 0
    assert capsys.readouterr().out.startswith("ann\treviewer\tpassword\t")


# -- rendering -----------------------------------------------------------------------------


def test_escape_text_leaves_no_markup():
    out = escape_text("<img src=x onerror=alert(1)>\n\n**b** [l](javascript:x) $m$ :red[r] &amp;")
    assert "<" not in out.replace("<br>", "")
    assert ">" not in out.replace("<br>", "")
    for raw in ("*", "[", "]", "(", ")", "$", ":", "&amp;", "\n"):
        assert raw not in out.replace("<br>", "").replace("&#", "")
    assert out.count("<br>") == 2


def test_highlight_marks_exactly_the_evidence_span():
    text = "Alpha beta. The tower is 330 metres tall. Gamma <delta>."
    start = text.index("The tower")
    end = text.index(" Gamma")
    html = highlight_html(text, [(start, end)], context=-1)
    marked = html.split("<mark", 1)[1].split(">", 1)[1].split("</mark>", 1)[0]
    assert marked == escape_text(text[start:end])
    assert "&#60;delta&#62;" in html and "<delta>" not in html


def test_merge_spans_clips_and_merges():
    assert merge_spans([(5, 10), (8, 12), (12, 14), (20, 30), (-3, 2), (40, 50)], 25) == [
        (0, 2),
        (5, 14),
        (20, 25),
    ]
    assert merge_spans([(3, 3)], 10) == []


def test_highlight_shows_a_window_around_the_evidence():
    text = "x" * 1000 + "EVIDENCE" + "y" * 1000
    html = highlight_html(text, [(1000, 1008)], context=10)
    body = html.split(">", 1)[1].removesuffix("</div>")
    assert (
        body
        == "&#8230;"
        + "x" * 10
        + '<mark style="background:#fff1b8;padding:0 2px;">EVIDENCE</mark>'
        + "y" * 10
        + "&#8230;"
    )


def test_escape_markdown_for_labels():
    assert escape_markdown("a*b_[c](d)\n:x:") == "a\\*b\\_\\[c\\]\\(d\\) \\:x\\:"


# -- uploads -------------------------------------------------------------------------------


def test_html_to_text_drops_scripts_and_keeps_paragraphs():
    title, text = html_to_text(
        "<title>T</title><style>p{}</style><p>One &amp; two</p><script>bad()</script><div>Three</div>"
    )
    assert (title, text) == ("T", "One & two\n\nThree")


def test_read_upload_refuses_other_types():
    with pytest.raises(
        TaskInputError,
        match=r"report.pdf: files of type .pdf cannot be read; upload .txt, .md, .html, .htm",
    ):
        read_upload("report.pdf", b"%PDF-1.7", "s1")


def test_read_upload_accepts_utf16_with_bom():
    src = read_upload("a.txt", "caf\u00e9 au lait".encode("utf-16"), "s1")  # with a BOM
    assert src.text == "caf\u00e9 au lait" and src.title == "a"


def test_pasted_sources_split_on_dashes_with_titles():
    srcs = pasted_sources("# First\nOne text.\n---\nTwo text.\n  ---  \n\n")
    assert [(s.id, s.title, s.text) for s in srcs] == [
        ("s1", "First", "One text."),
        ("s2", "", "Two text."),
    ]


# -- launch --------------------------------------------------------------------------------


def test_prepare_makes_a_new_database_with_the_examples_and_demo_users(tmp_path):
    from baton.ui.launch import prepare, streamlit_command, worker_command

    db = str(tmp_path / "demo.db")
    Store(db).close()
    (tmp_path / "demo.db-wal").write_bytes(b"")
    examples = (
        __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "tasks.jsonl"
    )
    run_ids, created = prepare(db, fresh=True, load=examples, demo_users=True)
    store = Store(db)
    assert [r["id"] for r in store.runs()] == run_ids and len(run_ids) == 7
    assert {r["status"] for r in store.runs()} == {"queued"}
    store.close()
    assert [(n, r) for n, r, _ in created] == [("analyst", "analyst"), ("reviewer", "reviewer")]
    with Store(db) as users_store:
        users = users_store.users
        for name, _, password in created:
            assert users.authenticate(name, password)["name"] == name
    # a second prepare with fresh starts over (new run ids, new passwords)
    run_ids2, created2 = prepare(db, fresh=True, load=examples, demo_users=True)
    assert not set(run_ids) & set(run_ids2) and created2[0][2] != created[0][2]
    cmd = streamlit_command(8555)
    assert (
        cmd[1:4] == ["-m", "streamlit", "run"]
        and cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
        and "8555" in cmd
    )
    assert worker_command(db)[-3:] == ["worker", "--db", db]
