"""The contract every ReadStore implementation must honour.

A test module subclasses `ReadStoreContract` (as `Test...`) and provides a
`read_store` fixture: a fresh, empty store that it closes at teardown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson
import pytest

from kanban.projections.reads import ReadStore
from kanban.projections.rows import BoardRow, HistoryRow, TokenRow, UserRow
from kanban.projections.writes import ReadTransaction


class Boom(Exception):
    pass


def put_card(
    tx: ReadTransaction,
    board_id: str,
    card: dict[str, Any],
    version: int,
    text_changed: bool = True,
) -> None:
    """One card's `put_cards`."""
    tx.put_cards(board_id, [(card, version, text_changed)])


def board_row(board_id: str = "b", title: str = "Board", version: int = 1, **kw: Any) -> BoardRow:
    at = kw.pop("at", f"2025-01-01T00:00:0{version}.000000Z")
    fields = {"seq": version, "archived": False, "created_at": at, "updated_at": at, **kw}
    return BoardRow(board_id, title, version, **fields)


def frame(
    board_id: str = "b",
    version: int = 1,
    *columns: tuple[list[str], list[str]],
    title: str = "Board",
) -> bytes:
    """A board's frame: for each column, its card ids, then its archived card ids."""
    return orjson.dumps(
        {
            "id": board_id,
            "title": title,
            "version": version,
            "archived": False,
            "columns": [
                {"id": f"k{n}", "title": f"K{n}", "wip_limit": None, "over_limit": False,
                 "cards": cards, "archived": archived}
                for n, (cards, archived) in enumerate(columns)
            ],
        }
    )  # fmt: skip


def view(board_id: str = "b", version: int = 1, *columns: list[dict[str, Any]]) -> bytes:
    """What a client gets for a board whose frame is `frame(board_id, version, ...)`."""
    return orjson.dumps(
        {
            "id": board_id,
            "title": "Board",
            "version": version,
            "archived": False,
            "columns": [
                {"id": f"k{n}", "title": f"K{n}", "wip_limit": None, "over_limit": False,
                 "cards": cards}
                for n, cards in enumerate(columns)
            ],
        }
    )  # fmt: skip


def card(card_id: str, title: str, description: str = "", **kw: Any) -> dict[str, Any]:
    return {"id": card_id, "column_id": "col", "title": title, "description": description, **kw}


def history_row(seq: int, board_id: str = "b", card_id: str | None = None, **kw: Any) -> HistoryRow:
    fields: dict[str, Any] = {
        "version": seq,
        "type": "CardEdited",
        "data": {"card_id": card_id} if card_id else {},
        "actor": "alice",
        "recorded_at": f"2025-01-01T00:00:{seq:02d}.000000Z",
        "summary": f"change {seq}",
        "unit_id": f"cmd-{seq}",
        "undo_of": None,
        "redo_of": None,
        "card_id": card_id,
        **kw,
    }
    return HistoryRow(seq, board_id, **fields)


ROB = UserRow("rob", "rob", "Rob", False, None, "2026-01-01T00:00:00.000000Z")
ROB_TOKEN = TokenRow("t1", "rob", "0" * 64, "api", "laptop", ROB.created_at, None, None)

#: Each a committed change that may or may not touch who may do what.
ACCESS_CHANGES: dict[str, Callable[[ReadTransaction], object]] = {
    "put_user": lambda tx: tx.put_user(UserRow("ann", "ann", "Ann", False, None, "")),
    "update_user": lambda tx: tx.update_user("rob", "Robert", None),
    "set_password": lambda tx: tx.set_password("rob", "argon2-hash"),
    "put_token": lambda tx: tx.put_token(replace(ROB_TOKEN, token_id="t2")),
    "revoke_token": lambda tx: tx.revoke_token("t1", "2026-01-02T00:00:00.000000Z"),
    "put_member": lambda tx: tx.put_member("b", "ann", "editor"),
    "change_role": lambda tx: tx.put_member("b", "rob", "owner"),
    "delete_member": lambda tx: tx.delete_member("b", "rob"),
    "clear_access": lambda tx: tx.clear("access"),
    "put_board": lambda tx: tx.put_board(board_row(), frame()),
    "add_history": lambda tx: tx.add_history([history_row(1)]),
    "set_checkpoint": lambda tx: tx.set_checkpoint("boards", 7),
    "nothing": lambda tx: None,
}


class ReadStoreContract:
    @pytest.fixture
    def read_store(self) -> ReadStore:
        raise NotImplementedError("subclasses provide a read_store fixture")

    def test_a_new_store_is_empty(self, read_store: ReadStore) -> None:
        assert read_store.checkpoints() == {}
        assert read_store.boards() == []
        assert read_store.board_version("b") is None
        assert read_store.board_view("b", False) is None
        assert read_store.card("b", "c") is None
        assert read_store.history("b", 10) == []
        assert read_store.history_after("b", 0, 10) == []
        assert read_store.search("anything", 10) == []

    def test_checkpoints_are_written_with_the_transaction(self, read_store: ReadStore) -> None:
        with read_store.transaction() as tx:
            assert tx.checkpoint("boards") == 0
            tx.set_checkpoint("boards", 5)
            tx.set_checkpoint("history", 3)
            assert tx.checkpoint("boards") == 5
        with read_store.transaction() as tx:
            tx.set_checkpoint("boards", 7)
        assert read_store.checkpoints() == {"boards": 7, "history": 3}
        with read_store.transaction() as tx:
            assert tx.checkpoints() == {"boards": 7, "history": 3}
            tx.set_checkpoints({"history": 9, "access": 8})
        assert read_store.checkpoints() == {"boards": 7, "history": 9, "access": 8}

    def test_a_transaction_that_raises_writes_nothing(self, read_store: ReadStore) -> None:
        def write_then_fail() -> None:
            with read_store.transaction() as tx:
                tx.set_checkpoint("boards", 1)
                tx.put_board(board_row(), frame())
                put_card(tx, "b", card("c", "Card"), 1)
                tx.add_history([history_row(1)])
                raise Boom

        with pytest.raises(Boom):
            write_then_fail()
        assert read_store.checkpoints() == {}
        assert read_store.boards() == []
        assert read_store.card("b", "c") is None
        assert read_store.history("b", 10) == []
        assert read_store.search("card", 10) == []

    def test_a_board_row_is_replaced_but_keeps_its_creation_time(
        self, read_store: ReadStore
    ) -> None:
        with read_store.transaction() as tx:
            tx.put_board(board_row(version=1), frame("b", 1))
        with read_store.transaction() as tx:
            assert tx.board_version("b") == 1
            assert tx.board_version("other") == 0
            tx.put_board(board_row(title="New", version=2, archived=True), frame("b", 2))
        assert read_store.boards() == [
            {
                "id": "b",
                "title": "New",
                "version": 2,
                "archived": True,
                "created_at": "2025-01-01T00:00:01.000000Z",
                "updated_at": "2025-01-01T00:00:02.000000Z",
                "role": None,
            }
        ]
        assert read_store.board_version("b") == 2
        assert read_store.board_view("b", False) == (2, view("b", 2))
        assert read_store.board_view("b", True) == (2, view("b", 2))

    def test_boards_are_listed_oldest_first(self, read_store: ReadStore) -> None:
        with read_store.transaction() as tx:
            tx.put_board(board_row("late", at="2025-02-01T00:00:00.000000Z"), frame("late"))
            tx.put_board(board_row("early", at="2025-01-01T00:00:00.000000Z"), frame("early"))
        assert [b["id"] for b in read_store.boards()] == ["early", "late"]

    def test_a_view_is_its_frame_with_the_cards_as_of_its_version(
        self, read_store: ReadStore
    ) -> None:
        one, two, gone = card("c1", "One"), card("c2", "Two", archived=True), card("c3", "Gone")
        with read_store.transaction() as tx:
            tx.put_board(board_row(version=3), frame("b", 3, (["c1", "c3"], ["c2"]), ([], [])))
            for n, c in enumerate((one, two, gone), start=1):
                put_card(tx, "b", c, n)
        assert read_store.board_view("b", False) == (3, view("b", 3, [one, gone], []))
        assert read_store.board_view("b", True) == (3, view("b", 3, [one, gone, two], []))
        # Later versions: one card changes and moves, one goes; the rest are as they were.
        renamed = {**one, "title": "Renamed", "column_id": "k1"}
        with read_store.transaction() as tx:
            tx.put_board(board_row(version=5), frame("b", 5, ([], ["c2"]), (["c1"], [])))
            put_card(tx, "b", renamed, 4)
            tx.delete_card("b", "c3")
        assert read_store.board_view("b", True) == (5, view("b", 5, [two], [renamed]))
        assert read_store.board_view("b", False) == (5, view("b", 5, [], [renamed]))

    def test_cards_are_stored_replaced_and_deleted(self, read_store: ReadStore) -> None:
        with read_store.transaction() as tx:
            put_card(tx, "b", card("c", "First", labels=["x"]), 2)
            put_card(tx, "b", card("c", "Second", labels=["y"]), 3)
            tx.delete_card("b", "never-there")
        second = card("c", "Second", labels=["y"])
        assert read_store.card("b", "c") == {"board_id": "b", **second, "version": 3}
        assert read_store.card("other-board", "c") is None
        with read_store.transaction() as tx:
            tx.delete_card("b", "c")
        assert read_store.card("b", "c") is None

    def test_search_matches_word_prefixes_in_title_and_description(
        self, read_store: ReadStore
    ) -> None:
        with read_store.transaction() as tx:
            put_card(tx, "b", card("c1", "Projector batches", "written in one transaction"), 1)
            put_card(tx, "b", card("c2", "Search", "full-text over titles"), 2)
            put_card(tx, "b", card("c3", "Old title", ""), 3)
            put_card(tx, "b", card("c3", "Renamed", ""), 4)

        def found(query: str) -> list[str]:
            return sorted(hit["id"] for hit in read_store.search(query, 10))

        assert found("projector") == ["c1"]
        assert found("proj") == ["c1"]
        assert found("TRANSACT") == ["c1"]
        assert found("full text") == ["c2"]
        assert found("old") == []
        assert found("renamed") == ["c3"]
        [hit] = read_store.search("batch", 10)
        assert hit["board_id"] == "b"
        assert "snippet" in hit
        with read_store.transaction() as tx:
            tx.delete_card("b", "c1")
        assert found("projector") == []

    def test_cards_written_together_are_stored_and_searched_as_one_at_a_time(
        self, read_store: ReadStore
    ) -> None:
        with read_store.transaction() as tx:
            tx.put_cards("b", [(card("c1", "Alpha"), 1, True), (card("c2", "Beta"), 2, True)])
            put_card(tx, "other", card("c1", "Alpha elsewhere"), 1)
        moved = {**card("c1", "Alpha"), "column_id": "k2"}
        with read_store.transaction() as tx:
            # c1 moved (its words as they were), c2 renamed, c3 new: one call.
            tx.put_cards(
                "b",
                [(moved, 3, False), (card("c2", "Gamma"), 4, True), (card("c3", "Delta"), 5, True)],
            )

        def found(query: str) -> list[tuple[str, str]]:
            return sorted((hit["board_id"], hit["id"]) for hit in read_store.search(query, 10))

        assert read_store.card("b", "c1") == {"board_id": "b", **moved, "version": 3}
        assert read_store.card("b", "c2") == {"board_id": "b", **card("c2", "Gamma"), "version": 4}
        assert found("alpha") == [("b", "c1"), ("other", "c1")]
        assert found("beta") == []
        assert found("gamma") == [("b", "c2")]
        assert found("delta") == [("b", "c3")]

    @pytest.mark.parametrize(
        "query", ['"foo" AND (', "NEAR(a b)", "*", "title:x", "-", ")", "'", '"', "", "   "]
    )
    def test_search_input_never_reaches_query_syntax(
        self, read_store: ReadStore, query: str
    ) -> None:
        with read_store.transaction() as tx:
            put_card(tx, "b", card("c", "foo and bar"), 1)
        hits = read_store.search(query, 10)
        assert all(hit["id"] == "c" for hit in hits)

    def test_history_is_newest_first_filtered_and_paged(self, read_store: ReadStore) -> None:
        rows = [history_row(seq, card_id="c" if seq % 2 else None) for seq in range(1, 7)]
        with read_store.transaction() as tx:
            tx.add_history([*rows, history_row(7, board_id="other")])
        newest_first = read_store.history("b", 100)
        assert [item["seq"] for item in newest_first] == [6, 5, 4, 3, 2, 1]
        assert newest_first[0] == {
            "seq": 6,
            "version": 6,
            "type": "CardEdited",
            "data": {},
            "actor": "alice",
            "actor_name": "alice",
            "recorded_at": "2025-01-01T00:00:06.000000Z",
            "summary": "change 6",
            "undone": False,
            "undo_of": None,
            "redo_of": None,
            "unit_id": "cmd-6",
        }
        assert [i["seq"] for i in read_store.history("b", 2)] == [6, 5]
        assert [i["seq"] for i in read_store.history("b", 2, before_seq=5)] == [4, 3]
        assert [i["seq"] for i in read_store.history("b", 100, card_id="c")] == [5, 3, 1]
        assert [i["seq"] for i in read_store.history_after("b", 2, 3)] == [3, 4, 5]
        assert [i["seq"] for i in read_store.history("other", 100)] == [7]

    def test_undone_marks_a_units_own_events_only(self, read_store: ReadStore) -> None:
        with read_store.transaction() as tx:
            tx.add_history(
                [
                    history_row(1, unit_id="u"),
                    history_row(2, unit_id="u"),
                    history_row(3, unit_id="u", undo_of="u"),
                    history_row(4, unit_id="v"),
                ]
            )
            tx.set_undone("b", "u", True)

        def undone() -> dict[int, bool]:
            return {i["seq"]: i["undone"] for i in read_store.history("b", 10)}

        assert undone() == {1: True, 2: True, 3: False, 4: False}
        with read_store.transaction() as tx:
            tx.add_history([history_row(5, unit_id="u", redo_of="u")])
            tx.set_undone("b", "u", False)
        assert not any(undone().values())

    def test_names_round_trip_per_board(self, read_store: ReadStore) -> None:
        with read_store.transaction() as tx:
            assert tx.names("b") == {}
            tx.put_names("b", {"card:c": "Card", "card:e": "Else"})
            tx.put_names("b", {"card:c": "Renamed", "column:k": "Column"})
            tx.put_names("other", {"card:d": "D"})
        with read_store.transaction() as tx:
            assert tx.names("b") == {"card:c": "Renamed", "card:e": "Else", "column:k": "Column"}
            assert tx.name("b", "card:c") == "Renamed"
            assert tx.name("b", "card:d") is None
            assert tx.name("other", "card:d") == "D"

    def test_clear_forgets_one_projection_only(self, read_store: ReadStore) -> None:
        with read_store.transaction() as tx:
            tx.put_board(board_row(), frame("b", 1, (["c"], [])))
            put_card(tx, "b", card("c", "Kept"), 1)
            tx.add_history([history_row(1)])
            tx.set_undone("b", "cmd-1", True)
            tx.put_names("b", {"card:c": "Kept"})
            tx.set_checkpoint("boards", 1)
            tx.set_checkpoint("history", 1)
        with read_store.transaction() as tx:
            tx.clear("history")
            assert tx.names("b") == {}
        assert read_store.checkpoints() == {"boards": 1}
        assert read_store.history("b", 10) == []
        assert read_store.board_view("b", False) == (1, view("b", 1, [card("c", "Kept")]))
        assert [hit["id"] for hit in read_store.search("kept", 10)] == ["c"]
        with read_store.transaction() as tx:
            tx.add_history([history_row(1)])
            tx.clear("boards")
        assert read_store.checkpoints() == {}
        assert read_store.boards() == []
        assert read_store.card("b", "c") is None
        assert read_store.search("kept", 10) == []
        assert [i["undone"] for i in read_store.history("b", 10)] == [False]

    @pytest.mark.parametrize(
        ("change", "moves"),
        [
            ("put_user", True),
            ("update_user", True),
            ("set_password", True),
            ("put_token", True),
            ("revoke_token", True),
            ("put_member", True),
            ("change_role", True),
            ("delete_member", True),
            ("clear_access", True),
            ("put_board", False),
            ("add_history", False),
            ("set_checkpoint", False),
            ("nothing", False),
        ],
    )
    def test_the_access_generation_moves_with_access_changes_and_only_them(
        self, read_store: ReadStore, change: str, moves: bool
    ) -> None:
        with read_store.transaction() as tx:  # something for each change to change
            tx.put_user(ROB)
            tx.put_token(ROB_TOKEN)
            tx.put_member("b", "rob", "viewer")
        before = read_store.access_generation()
        assert read_store.user("rob") is not None
        assert read_store.role("b", "rob") == "viewer"
        assert read_store.access_generation() == before  # reading changes nothing
        with read_store.transaction() as tx:
            ACCESS_CHANGES[change](tx)
        assert (read_store.access_generation() != before) is moves
