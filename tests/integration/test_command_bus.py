"""Commands through the real bus: idempotency, concurrency, replay.

The log is in memory, except where a file or a second process is the point.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kanban.bootstrap import Kanban, bootstrap
from kanban.domain import commands as cmd
from kanban.domain import errors
from kanban.domain.model import Board
from kanban.service.repository import load_board
from kanban.settings import Settings

from .conftest import Client


@pytest.fixture
def kanban(memory_kanban: Kanban) -> Kanban:
    """The bus's own behaviour needs no log on disk (time travel and processes below do)."""
    return memory_kanban


def test_command_result_reports_version_seq_and_created_id(alice: Client) -> None:
    board_id = alice.board()
    result = alice.run(cmd.AddCard(board_id, "card-1", "col0", "Write tests"))
    assert result.created == {"card_id": "card-1"}
    assert (result.version, result.appended) == (4, 1)
    assert result.seq == alice.kanban.store.head_seq()


def test_retry_with_the_same_command_id_writes_nothing_and_returns_the_first_result(
    alice: Client,
) -> None:
    board_id = alice.board()
    command = cmd.AddCard(board_id, "card-1", "col0", "Once")
    first = alice.run(command, command_id="retry-me")
    head = alice.kanban.store.head_seq()
    again = alice.run(command, command_id="retry-me")
    assert (again.version, again.seq, again.created) == (first.version, first.seq, first.created)
    assert again.replayed
    assert again.appended == 0
    assert alice.kanban.store.head_seq() == head


def test_same_command_id_with_another_payload_is_refused(alice: Client) -> None:
    board_id = alice.board()
    alice.run(cmd.AddCard(board_id, "card-1", "col0", "One"), command_id="k")
    head = alice.kanban.store.head_seq()
    with pytest.raises(errors.IdempotencyConflict):
        alice.run(cmd.AddCard(board_id, "card-2", "col0", "Two"), command_id="k")
    assert alice.kanban.store.head_seq() == head


def test_stale_expected_version_is_refused_and_writes_nothing(alice: Client) -> None:
    board_id = alice.board()
    head = alice.kanban.store.head_seq()
    with pytest.raises(errors.ConcurrencyError):
        alice.run(cmd.RenameBoard(board_id, "New"), expected_version=1)
    assert alice.kanban.store.head_seq() == head
    alice.run(cmd.RenameBoard(board_id, "New"), expected_version=3)


def test_domain_error_appends_nothing(alice: Client) -> None:
    board_id = alice.board()
    head = alice.kanban.store.head_seq()
    with pytest.raises(errors.PositionOutOfRange):
        alice.run(cmd.AddCard(board_id, "c", "col0", "T", position=5))
    with pytest.raises(errors.BoardNotFound):
        alice.run(cmd.RenameBoard("no-such-board", "T"))
    assert alice.kanban.store.head_seq() == head


def test_no_op_reports_the_current_version(alice: Client) -> None:
    board_id = alice.board()
    result = alice.run(cmd.RenameBoard(board_id, "Board"))
    assert (result.version, result.appended) == (3, 0)


def test_concurrent_threads_on_one_board_are_serialized_and_checked(alice: Client) -> None:
    board_id = alice.board(columns=("To do", "Limited"))
    alice.run(cmd.EditColumn(board_id, "col1", wip_limit=5))
    for i in range(20):
        alice.run(cmd.AddCard(board_id, f"c{i}", "col0", f"Card {i}"))

    def move(i: int) -> str:
        try:
            alice.run(cmd.MoveCard(board_id, f"c{i}", "col1", 0))
        except errors.WipLimitReached:
            return "full"
        return "moved"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(move, range(20)))
    assert outcomes.count("moved") == 5
    board = load_board(alice.kanban.store, alice.kanban.mapper, board_id)
    assert len(board.columns["col1"].cards) == 5
    assert alice.kanban.store.verify().ok


def test_commands_awaited_on_an_event_loop_each_get_their_own_outcome(alice: Client) -> None:
    board_id = alice.board()
    bus = alice.kanban.commands

    async def main() -> list[cmd.CommandResult | BaseException]:
        commands = [cmd.AddCard(board_id, f"card-{n}", "col0", f"Card {n}") for n in range(20)]
        commands.append(cmd.AddCard(board_id, "card-3", "col0", "Taken id"))
        waiting = [bus.submit_async(c, cmd.CommandContext.new(alice.actor)) for c in commands]
        return await asyncio.gather(*waiting, return_exceptions=True)

    outcomes = asyncio.run(main())
    assert [o.created for o in outcomes[:20]] == [  # type: ignore[union-attr]
        {"card_id": f"card-{n}"} for n in range(20)
    ]
    assert isinstance(outcomes[20], errors.AlreadyExists)
    assert len(load_board(alice.kanban.store, alice.kanban.mapper, board_id).cards) == 20


def test_commands_written_by_their_callers_and_by_the_writer_are_all_written_and_projected(
    alice: Client,
) -> None:
    """`dispatch` alone writes on the caller's thread (the board is made so), and queues
    beside other callers: mixed, each command is written once and the projector is
    woken for all."""
    board_id = alice.board()
    bus = alice.kanban.commands

    def dispatched(n: int) -> str:
        return bus.dispatch(
            cmd.AddCard(board_id, f"t{n}", "col0", f"Thread {n}"), alice.ctx()
        ).created["card_id"]

    async def awaited() -> list[str]:
        commands = [cmd.AddCard(board_id, f"a{n}", "col0", f"Awaited {n}") for n in range(40)]
        waiting = [bus.submit_async(c, alice.ctx()) for c in commands]
        return [r.created["card_id"] for r in await asyncio.gather(*waiting)]

    with ThreadPoolExecutor(8) as pool:
        threads = pool.map(dispatched, range(200))
        loop = pool.submit(asyncio.run, awaited())
        created = [*threads, *loop.result()]
    assert sorted(created) == sorted([f"t{n}" for n in range(200)] + [f"a{n}" for n in range(40)])
    board = load_board(alice.kanban.store, alice.kanban.mapper, board_id)
    assert board.version == 3 + 240
    assert alice.kanban.store.verify().ok
    deadline = time.monotonic() + 10
    while alice.kanban.projector.watermark < board.seq:  # woken by whichever thread wrote
        assert time.monotonic() < deadline, "the projector never saw the last commit"
        time.sleep(0.01)
    assert all(alice.kanban.read.card(board_id, card_id) for card_id in created)


def test_a_cancelled_wait_leaves_the_command_done_and_the_writer_running(alice: Client) -> None:
    board_id = alice.board()
    bus = alice.kanban.commands

    async def main() -> cmd.CommandResult:
        ctx = cmd.CommandContext.new(alice.actor)
        bus.submit_async(cmd.AddCard(board_id, "left", "col0", "Nobody waits"), ctx).cancel()
        ctx = cmd.CommandContext.new(alice.actor)
        return await bus.submit_async(cmd.AddCard(board_id, "next", "col0", "Next"), ctx)

    assert asyncio.run(main()).created == {"card_id": "next"}
    assert {"left", "next"} <= set(
        load_board(alice.kanban.store, alice.kanban.mapper, board_id).cards
    )


def test_a_new_context_has_a_fresh_id_every_time() -> None:
    made = [cmd.CommandContext.new("alice") for _ in range(3)]
    assert all(c.fresh for c in made)
    assert len({c.command_id for c in made}) == 3
    assert not cmd.CommandContext("alice", "key").fresh


def test_undo_and_redo_through_the_log(alice: Client, bob: Client) -> None:
    board_id = alice.board()
    alice.run(cmd.AddCard(board_id, "c", "col0", "Card"))
    moved = alice.run(cmd.MoveCard(board_id, "c", "col1", 0))
    undone = alice.run(cmd.Undo(board_id))
    assert undone.unit_id is not None
    stored = alice.kanban.store.read_stream(board_id, undone.version)
    assert stored[0].metadata["undo_of"] == undone.unit_id
    assert load_board(alice.kanban.store, alice.kanban.mapper, board_id).columns["col0"].cards == [
        "c"
    ]
    redone = alice.run(cmd.Redo(board_id))
    assert redone.unit_id == undone.unit_id
    bob.run(cmd.MoveCard(board_id, "c", "col0", 0))
    with pytest.raises(errors.UndoConflict, match="bob"):
        alice.run(cmd.Undo(board_id))
    assert moved.version < redone.version


def test_time_travel_folds_any_past_version(settings: Settings) -> None:
    settings.snapshot_every = 7
    with bootstrap(settings) as kanban:
        client = Client(kanban)
        board_id = client.board()
        titles = {}
        for i in range(30):
            result = client.run(cmd.RenameBoard(board_id, f"Title {i}"))
            titles[result.version] = f"Title {i}"
        for version, title in titles.items():
            assert load_board(kanban.store, kanban.mapper, board_id, version).title == title
        with pytest.raises(errors.VersionNotFound):
            load_board(kanban.store, kanban.mapper, board_id, 999)
        # Old versions stay cheap: a snapshot is kept within 7 events of each.
        for version in (10, 20, 30):
            snapshot = kanban.store.load_snapshot(board_id, version)
            assert snapshot is not None
            assert version - snapshot.version < 7


def test_another_process_appending_is_seen_inside_the_write_lock(settings: Settings) -> None:
    with bootstrap(settings) as first, bootstrap(settings) as second:
        a, b = Client(first), Client(second)
        board_id = a.board()
        a.run(cmd.AddCard(board_id, "x", "col0", "X"))  # cached in `first`
        b.run(cmd.MoveCard(board_id, "x", "col1", 0))  # appended by `second`
        # Had `first` not caught up, it would think x is still in col0 at 0
        # and answer this move as a no-op.
        result = a.run(cmd.MoveCard(board_id, "x", "col0", 0))
        assert (result.version, result.appended) == (6, 1)


OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "move", "edit", "archive", "undo", "redo"]),
        st.integers(0, 9),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=25,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPS)
def test_folding_the_stored_log_equals_the_live_state(
    kanban: Kanban, ops: list[tuple[str, int, int]]
) -> None:
    client = Client(kanban)
    board_id = client.board(columns=("A", "B", "C"))
    for op, x, y in ops:
        column = f"col{y % 3}"
        command: cmd.Command = {
            "add": cmd.AddCard(board_id, str(uuid.uuid4()), column, f"Card {x}"),
            "move": cmd.MoveCard(board_id, _card(kanban, board_id, x), column, None),
            "edit": cmd.EditCard(board_id, _card(kanban, board_id, x), title=f"T{y}"),
            "archive": cmd.ArchiveCard(board_id, _card(kanban, board_id, x)),
            "undo": cmd.Undo(board_id),
            "redo": cmd.Redo(board_id),
        }[op]
        with contextlib.suppress(errors.KanbanError):
            client.run(command)
    live = kanban.boards._cache[board_id]
    refolded = Board.fold(kanban.mapper.decode_all(kanban.store.read_stream(board_id)))
    assert refolded.to_snapshot() == live.to_snapshot()
    versions = [e.version for e in kanban.store.read_stream(board_id)]
    assert versions == list(range(1, len(versions) + 1))


def _card(kanban: Kanban, board_id: str, x: int) -> str:
    cards = sorted(kanban.boards._cache[board_id].cards)
    return cards[x % len(cards)] if cards else "none"
