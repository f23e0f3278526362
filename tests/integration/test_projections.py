"""Read models on real SQLite files: equal to the fold of the log, exactly once, rebuildable."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kanban.bootstrap import Kanban, bootstrap
from kanban.domain import commands as cmd
from kanban.domain import errors
from kanban.domain.model import card_view
from kanban.projections.access import AccessProjection
from kanban.projections.boards import BoardsProjection
from kanban.projections.history import HistoryProjection
from kanban.projections.projection import Projection
from kanban.projections.runner import Projector
from kanban.projections.writes import ReadTransaction
from kanban.service.history import board_history
from kanban.service.repository import load_board
from kanban.settings import Settings
from kanban.store.codec import format_time
from kanban.store.records import StoredEvent

from .conftest import Client
from .projection_story import (
    Story,
    assert_search_index_equals_the_fold,
    assert_views_equal_the_fold,
    read_state,
    settle,
    tell_story,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def story(kanban: Kanban) -> Story:
    """The story told on the started `kanban`, projected."""
    return tell_story(kanban)


# --- the read models equal the fold of the log ---------------------------------


def test_board_views_equal_the_fold(kanban: Kanban, story: Story) -> None:
    assert_views_equal_the_fold(kanban)


def test_card_rows_equal_the_folded_cards(kanban: Kanban, story: Story) -> None:
    log = kanban.store.read_all()
    for key, row in read_state(kanban)["cards"].items():
        board_id, card_id = key
        card = load_board(kanban.store, kanban.mapper, board_id).card(card_id)
        if card is None:
            assert row is None  # c3: removed by bob's undo
            continue
        last = max(e.version for e in log if (e.stream_id, e.data.get("card_id")) == key)
        assert row == {"board_id": board_id, **card_view(card), "version": last}


def test_board_list_has_title_version_archived_and_times(kanban: Kanban, story: Story) -> None:
    expected = []
    for board_id in (story.board_id, story.archived_board_id):
        board, events = (
            load_board(kanban.store, kanban.mapper, board_id),
            kanban.store.read_stream(board_id),
        )
        view = {k: v for k, v in board.view().items() if k != "columns"}
        times = [format_time(events[i].recorded_at) for i in (0, -1)]
        expected.append({**view, "created_at": times[0], "updated_at": times[1], "role": None})
    assert kanban.read.boards() == expected
    assert [b["archived"] for b in expected] == [False, True]


def test_history_is_the_log_newest_first(kanban: Kanban, story: Story) -> None:
    for board_id in (story.board_id, story.archived_board_id):
        items = kanban.read.history(board_id, 1000)
        expected = list(reversed(board_history(kanban.store, kanban.mapper, board_id)))
        assert [i["seq"] for i in items] == sorted((e.seq for e in expected), reverse=True)
        for item, want in zip(items, expected, strict=True):
            assert want.recorded_at is not None
            assert item["recorded_at"] == format_time(want.recorded_at)
            got = {k: item[k] for k in ("seq", "version", "type", "data", "actor", "summary")}
            assert got == {k: getattr(want, k) for k in got}
            assert (item["undone"], item["undo_of"], item["redo_of"]) == (
                want.undone,
                want.undo_of,
                want.redo_of,
            )
    bobs_undone = [i for i in kanban.read.history(story.board_id, 1000) if i["undone"]]
    assert [(i["actor"], i["type"]) for i in bobs_undone] == [("bob", "CardAdded")]


def test_undone_flips_with_undo_and_redo(kanban: Kanban, alice: Client, bob: Client) -> None:
    b = alice.board()
    alice.run(cmd.AddCard(b, "c", "col0", "Card"))
    moved = alice.run(cmd.MoveCard(b, "c", "col1", 0))

    def item(seq: int) -> dict[str, Any]:
        settle(kanban)
        [found] = [i for i in kanban.read.history(b, 100) if i["seq"] == seq]
        return found

    assert item(moved.seq)["undone"] is False
    undo = alice.run(cmd.Undo(b))
    assert item(moved.seq)["undone"] is True
    undo_item = item(undo.seq)
    assert (undo_item["undo_of"], undo_item["undone"], undo_item["actor"]) == (
        item(moved.seq)["unit_id"],
        False,
        "alice",
    )
    redo = alice.run(cmd.Redo(b))
    assert item(moved.seq)["undone"] is False
    assert (item(redo.seq)["redo_of"], item(redo.seq)["undone"]) == (undo.unit_id, False)
    bob.run(cmd.EditCard(b, "c", title="Bob's"))
    bob.run(cmd.Undo(b))
    settle(kanban)
    assert [i["undone"] for i in kanban.read.history(b, 2)] == [False, True]


def test_history_filters_by_card_and_pages_both_ways(kanban: Kanban, story: Story) -> None:
    log = kanban.store.read_stream(story.board_id)
    c1 = [e.seq for e in reversed(log) if e.data.get("card_id") == "c1"]
    assert [i["seq"] for i in kanban.read.history(story.board_id, 100, card_id="c1")] == c1
    assert len(c1) == 5  # added, moved, moved back, moved again, edited
    seqs = [e.seq for e in log]
    after = kanban.read.history_after(story.board_id, seqs[3], 4)
    assert [i["seq"] for i in after] == seqs[4:8]
    before = kanban.read.history(story.board_id, 3, before_seq=seqs[-2])
    assert [i["seq"] for i in before] == seqs[-5:-2][::-1]


@pytest.mark.parametrize(
    ("query", "card_ids"),
    [
        ("projector", ["c1"]),
        ("proj WELL", ["c1"]),
        ("tables", ["c1"]),
        ("fts", ["c2"]),
        ("full search", ["c2"]),
        ("throwaway", []),  # added, then removed by an undo
        ("side", ["s1"]),
        ('"foo" AND (', []),
        ("NEAR(search", []),
    ],
)
def test_search_finds_cards_by_words(
    kanban: Kanban, story: Story, query: str, card_ids: list[str]
) -> None:
    assert sorted(hit["id"] for hit in kanban.read.search(query, 10)) == card_ids


# --- a property: any command sequence ------------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "add",
                "move",
                "edit",
                "relabel",
                "describe",
                "archive",
                "restore",
                "column",
                "drop",
                "undo",
                "redo",
            ]
        ),
        st.booleans(),  # alice or bob
        st.integers(0, 9),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=25,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPS)
def test_any_commands_project_to_the_fold(
    kanban: Kanban, ops: list[tuple[str, bool, int, int]]
) -> None:
    alice, bob = Client(kanban, "alice"), Client(kanban, "bob")
    b = alice.board(columns=("A", "B", "C"))
    for op, by_alice, x, y in ops:
        board = load_board(kanban.store, kanban.mapper, b)
        cards, columns = sorted(board.cards) or ["none"], board.column_order or ["none"]
        card, column = cards[x % len(cards)], columns[y % len(columns)]
        command: cmd.Command = {
            "add": cmd.AddCard(b, str(uuid.uuid4()), column, f"Card {x}", labels=(f"l{y}",)),
            "move": cmd.MoveCard(b, card, column, None),
            "edit": cmd.EditCard(b, card, title=f"T{y}", assignees=(f"a{x}",)),
            "relabel": cmd.EditCard(b, card, labels=(f"l{x}",), due_date=f"2027-01-0{y + 1}"),
            "describe": cmd.EditCard(b, card, description=f"words {x}"),
            "archive": cmd.ArchiveCard(b, card),
            "restore": cmd.RestoreCard(b, card),
            "column": cmd.AddColumn(b, str(uuid.uuid4()), f"Col {x}", position=0),
            "drop": cmd.RemoveColumn(b, column),
            "undo": cmd.Undo(b),
            "redo": cmd.Redo(b),
        }[op]
        with contextlib.suppress(errors.KanbanError):
            (alice if by_alice else bob).run(command)
    settle(kanban)
    assert_views_equal_the_fold(kanban)
    assert_search_index_equals_the_fold(kanban)


# --- exactly once, and disposable ----------------------------------------------


def test_catching_up_again_changes_nothing(kanban: Kanban, story: Story) -> None:
    before = read_state(kanban)
    assert kanban.projector.catch_up() == 0
    assert read_state(kanban) == before


def read_files(data_dir: Path) -> list[Path]:
    return [data_dir / f"read.db{suffix}" for suffix in ("", "-wal", "-shm")]


@pytest.mark.parametrize("damage", ["delete", "other_schema"])
def test_a_missing_or_foreign_read_db_is_rebuilt_identically(
    settings: Settings, damage: str
) -> None:
    with bootstrap(settings) as kanban:
        tell_story(kanban)
        before = read_state(kanban)
    if damage == "delete":
        for path in read_files(settings.data_dir):
            path.unlink(missing_ok=True)
    else:
        with closing(sqlite3.connect(settings.read_path)) as conn:
            conn.execute("UPDATE boards SET title = 'stale'")
            conn.execute("PRAGMA user_version = 99")
            conn.commit()
    with bootstrap(settings) as kanban:
        settle(kanban)
        assert read_state(kanban) == before


def test_rebuilding_history_alone_leaves_boards_alone(kanban: Kanban, story: Story) -> None:
    before = read_state(kanban)
    kanban.projector.stop()
    with closing(sqlite3.connect(kanban.settings.read_path)) as conn, conn:
        conn.execute("UPDATE boards SET title = 'untouched'")
        conn.execute("UPDATE history SET summary = 'garbled'")
    assert kanban.projector.rebuild(["history"]) == kanban.store.head_seq()
    after = read_state(kanban)
    assert after["history"] == before["history"]
    assert {b["title"] for b in after["boards"]} == {"untouched"}
    kanban.projector.rebuild(["boards"])
    assert read_state(kanban) == before


class Boom(Exception):
    pass


class Tripwire(Projection):
    """A projection that fails on a card titled 'boom' while armed."""

    name = "tripwire"
    handles = frozenset({"CardAdded"})
    armed = False

    def apply(self, tx: ReadTransaction, events: Sequence[StoredEvent]) -> None:
        if self.armed and any(e.data["title"] == "boom" for e in events):
            raise Boom


@pytest.fixture
def quiet_board(kanban: Kanban, alice: Client) -> str:
    """A board with one card ("first", titled "First"), projected; then no projector runs."""
    b = alice.board()
    alice.run(cmd.AddCard(b, "first", "col0", "First"))
    settle(kanban)
    kanban.projector.stop()
    return b


def test_a_failing_batch_rolls_back_whole_and_succeeds_on_retry(
    kanban: Kanban, alice: Client, quiet_board: str
) -> None:
    b = quiet_board
    tripwire = Tripwire()
    projections = [
        BoardsProjection(kanban.store, kanban.mapper),
        tripwire,
        HistoryProjection(kanban.mapper),
        AccessProjection(kanban.mapper),
    ]
    projector = Projector(kanban.store, kanban.read, projections, kanban.mapper)
    assert projector.catch_up() == kanban.store.head_seq()  # the tripwire catches up
    head = kanban.store.head_seq()
    alice.run(cmd.EditCard(b, "first", title="Edited before"))
    alice.run(cmd.AddCard(b, "boom", "col0", "boom"))
    alice.run(cmd.AddCard(b, "after", "col1", "After"))
    before = read_state(kanban)
    tripwire.armed = True
    with pytest.raises(Boom):
        projector.catch_up()
    assert read_state(kanban) == before
    assert kanban.read.checkpoints() == {
        "boards": head,
        "history": head,
        "access": head,
        "tripwire": head,
    }
    assert projector.watermark == head
    tripwire.armed = False
    assert projector.catch_up() == 3
    assert set(kanban.read.checkpoints().values()) == {kanban.store.head_seq()}
    assert_views_equal_the_fold(kanban)
    assert len(kanban.read.history(b, 100)) == len(kanban.store.read_stream(b))


def assert_history_summaries_match_the_log(kanban: Kanban, board_id: str) -> None:
    items = kanban.read.history(board_id, 1000)
    expected = list(reversed(board_history(kanban.store, kanban.mapper, board_id)))
    assert [(i["seq"], i["summary"]) for i in items] == [(e.seq, e.summary) for e in expected]


def test_history_names_a_card_by_its_title_before_a_rename_that_rolled_back(
    kanban: Kanban, alice: Client, quiet_board: str
) -> None:
    # The history projection keeps each board's titles between batches; a
    # batch that fails after it learnt a new title must not leave it learnt.
    b = quiet_board
    tripwire = Tripwire()
    projector = Projector(
        kanban.store, kanban.read, [HistoryProjection(kanban.mapper), tripwire], kanban.mapper
    )
    alice.run(cmd.EditCard(b, "first", title="Renamed"))
    alice.run(cmd.AddCard(b, "boom", "col0", "boom"))
    tripwire.armed = True
    with pytest.raises(Boom):
        projector.catch_up()
    tripwire.armed = False
    alice.run(cmd.MoveCard(b, "first", "col1", 0))
    projector.catch_up()
    assert_history_summaries_match_the_log(kanban, b)
    summaries = [i["summary"] for i in kanban.read.history(b, 3)]
    assert summaries[2] == "edited title of card 'First'"
    assert "'Renamed'" in summaries[0]


def test_history_names_follow_a_rename_another_process_projected(
    kanban: Kanban, alice: Client, settings: Settings
) -> None:
    b = alice.board()
    settle(kanban)
    kanban.projector.stop()
    here = Projector(kanban.store, kanban.read, [HistoryProjection(kanban.mapper)], kanban.mapper)
    alice.run(cmd.AddCard(b, "c", "col0", "Old title"))
    assert here.catch_up() == 1  # this projector now knows the card as "Old title"
    other = bootstrap(settings)  # another process on the same read models
    try:
        alice.run(cmd.EditCard(b, "c", title="New title"))
        other.projector.catch_up()
    finally:
        other.close()
    alice.run(cmd.MoveCard(b, "c", "col1", 0))
    assert here.catch_up() == 1
    assert_history_summaries_match_the_log(kanban, b)
    assert "'New title'" in kanban.read.history(b, 1)[0]["summary"]


def test_a_process_that_does_not_write_projects_what_the_writer_appends(
    kanban: Kanban, settings: Settings
) -> None:
    kanban.projector.stop()
    alice = Client(kanban)
    reader = bootstrap(settings)  # another process's view: not started, no writer
    try:
        b = alice.board()
        alice.run(cmd.AddCard(b, "c", "col0", "Card"))
        assert reader.projector.catch_up() == kanban.store.head_seq()
        alice.run(cmd.MoveCard(b, "c", "col1", 0))
        assert reader.projector.catch_up() == 1
        assert reader.projector.watermark == kanban.store.head_seq()
        assert_views_equal_the_fold(reader)
        assert kanban.read.board_version(b) == 5
    finally:
        reader.close()


# --- the command line ----------------------------------------------------------


def cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kanban.cli", "projections", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )


def state_on_disk(settings: Settings) -> dict[str, Any]:
    kanban = bootstrap(settings)  # not started: reads what is there, projects nothing
    try:
        return read_state(kanban)
    finally:
        kanban.close()


@pytest.fixture
def lagging_dir(settings: Settings) -> Path:
    """A data dir with the story projected, then one more event the projector never saw."""
    with bootstrap(settings) as kanban:
        story = tell_story(kanban)
        kanban.projector.stop()
        Client(kanban).run(cmd.RenameBoard(story.board_id, "Unprojected"))
    return settings.data_dir


def test_cli_status_shows_checkpoint_head_and_lag(lagging_dir: Path) -> None:
    result = cli("status", "--json", data_dir=lagging_dir)
    assert result.returncode == 0, result.stderr
    head = json.loads(result.stdout)[0]["head"]
    assert json.loads(result.stdout) == [
        {"name": name, "checkpoint": head - 1, "head": head, "lag": 1}
        for name in ("boards", "history", "access")
    ]
    table = cli("status", data_dir=lagging_dir)
    assert table.returncode == 0, table.stderr
    assert re.search(rf"boards\s*│\s*{head - 1}\s*│\s*{head}\s*│\s*1", table.stdout)


@pytest.mark.parametrize("names", [[], ["boards"], ["history"], ["access"]])
def test_cli_rebuild_projects_the_whole_log_again(
    lagging_dir: Path, settings: Settings, tmp_path: Path, names: list[str]
) -> None:
    twin = Settings(data_dir=shutil.copytree(lagging_dir, tmp_path / "twin"))
    with bootstrap(twin) as kanban:  # the same log, projected live
        settle(kanban)
        expected, head = read_state(kanban), kanban.store.head_seq()
    result = cli("rebuild", *names, data_dir=lagging_dir)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar off a terminal
    rebuilt = names or ["boards", "history", "access"]
    summary = re.fullmatch(
        rf"rebuilt {', '.join(rebuilt)}: (\d+) events in [\d.]+ s \([\d,]+ events/s\)\n",
        result.stdout,
    )
    assert summary, result.stdout
    assert int(summary[1]) == head
    assert state_on_disk(settings) == expected  # a projection not rebuilt caught up too
    status = json.loads(cli("status", "--json", data_dir=lagging_dir).stdout)
    assert {s["name"]: s["lag"] for s in status} == {"boards": 0, "history": 0, "access": 0}


def test_cli_rebuild_beside_a_running_service_gives_identical_views(
    kanban: Kanban, story: Story
) -> None:
    before = read_state(kanban)
    result = cli("rebuild", data_dir=kanban.settings.data_dir)
    assert result.returncode == 0, result.stderr
    settle(kanban)
    assert read_state(kanban) == before


def test_cli_rebuild_of_an_unknown_projection_changes_nothing(lagging_dir: Path) -> None:
    files = {path: path.read_bytes() for path in read_files(lagging_dir) if path.exists()}
    result = cli("rebuild", "cards", data_dir=lagging_dir)
    assert result.returncode == 2
    assert "no projection named 'cards'" in result.stderr
    assert "boards, history" in result.stderr
    assert {path: path.read_bytes() for path in files} == files


@pytest.mark.parametrize("command", ["status", "rebuild"])
def test_cli_without_a_log_is_an_error(tmp_path: Path, command: str) -> None:
    result = cli(command, data_dir=tmp_path / "nothing")
    assert result.returncode == 2
    assert "no event log" in result.stderr
    assert not (tmp_path / "nothing").exists()


def test_search_keeps_a_cards_words_through_moves_and_follows_its_edits(
    kanban: Kanban, story: Story
) -> None:
    alice = Client(kanban, "alice")
    b = story.board_id
    alice.run(cmd.MoveCard(b, "c1", "col2", 0))
    alice.run(cmd.ArchiveCard(b, "c1"))
    alice.run(cmd.RestoreCard(b, "c1"))
    alice.run(cmd.EditCard(b, "c1", labels=("moved",), due_date="2027-02-01"))
    settle(kanban)
    assert [hit["id"] for hit in kanban.read.search("projector", 10)] == ["c1"]
    alice.run(cmd.EditCard(b, "c1", title="Renamed", description="nothing else"))
    settle(kanban)
    assert kanban.read.search("projector", 10) == []
    assert [hit["id"] for hit in kanban.read.search("nothing", 10)] == ["c1"]
    assert_search_index_equals_the_fold(kanban)
