"""Smoke test of the benchmark suite: one cheap section, quick mode, end to end.

`python -m bench --quick --only commands` builds boards in-process, starts a
real `kanban serve` and the bare app pinned to a core, drives both with wrk
and writes JSON; this fails when any of that breaks. Without wrk (and no root
to install it) the test is skipped locally and fails in CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _wrk_or_skip() -> None:
    from bench.wrk import WrkMissing, ensure_wrk

    try:
        ensure_wrk()
    except WrkMissing as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


@pytest.mark.slow
def test_quick_commands_section_runs_and_reports(tmp_path: Path) -> None:
    _wrk_or_skip()
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KANBAN_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src")])
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "commands", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["mode"] == "quick"
    assert report["sections"]["commands"]["status"] == "ok"
    results = report["results"]
    assert len(results) == 3
    for result in results:
        assert result["section"] == "1 commands"
        assert result["kanban"] > 0, result
        assert (result["baseline"] or 0) > 0, result
        assert (result["ratio"] or 0) > 0, result
    assert results[0]["unit"] == "cmd/s"
    assert results[0]["met"] in (True, False)


def test_write_docs_replaces_only_the_marked_block(tmp_path: Path) -> None:
    from bench.__main__ import BEGIN, END, write_docs

    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nintro\n\n{BEGIN}\nold table\n{END}\n\n## Earlier\n\nkept\n")
    write_docs("new table", doc)
    text = doc.read_text()
    assert "new table" in text
    assert "old table" not in text
    assert text.startswith("# Benchmarks\n\nintro\n\n")
    assert text.endswith(f"{END}\n\n## Earlier\n\nkept\n")


def test_rebuild_stages_time_the_real_rebuild_and_leave_it_unpatched(tmp_path: Path) -> None:
    """The stage timers wrap the product's own rebuild for one run, and only that run."""
    import sqlite3

    from bench.replay import build_log, rebuild_stages, stages_note

    from kanban.service.mapper import EventMapper

    decode_row = EventMapper.decode_row
    head = build_log(tmp_path, 600, boards=3)
    spent = rebuild_stages(tmp_path)

    assert EventMapper.decode_row is decode_row
    for stage in ("read the log", "decode rows", "boards: feed", "history: feed", "history: write"):
        assert spent[stage] > 0, stage
    with sqlite3.connect(tmp_path / "read.db") as conn:
        (boards,) = conn.execute("SELECT count(*) FROM boards").fetchone()
        (history,) = conn.execute("SELECT count(*) FROM history").fetchone()
    conn.close()
    assert boards == 3
    assert 0 < history <= head
    note = stages_note(spent, head)
    assert note.startswith("µs per event, timed apart")
    assert "decode rows" in note
