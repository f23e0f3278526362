"""The access read model (users, tokens, members) equals the fold of the log, live and rebuilt."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kanban.bootstrap import Kanban, bootstrap
from kanban.domain import commands as cmd
from kanban.domain.commands import SYSTEM_STREAM
from kanban.domain.errors import KanbanError
from kanban.domain.users import Directory
from kanban.service.repository import load_board
from kanban.settings import Settings

from .projection_story import read_state, settle

NAMES = ("ann", "ben", "cy")
ROLES = ("viewer", "editor", "owner")

step = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(NAMES)),
    st.tuples(st.just("token"), st.sampled_from(NAMES)),
    st.tuples(st.just("revoke"), st.sampled_from(NAMES), st.integers(0, 3)),
    st.tuples(st.just("rename"), st.sampled_from(NAMES)),
    st.tuples(st.just("grant"), st.sampled_from(NAMES), st.sampled_from(ROLES)),
    st.tuples(st.just("remove"), st.sampled_from(NAMES)),
)


def run(kanban: Kanban, board_id: str, action: tuple[Any, ...], n: int) -> None:
    """One step as the admin; refusals (unknown user, last owner...) simply write nothing."""
    kind, name = action[0], action[1]
    user_id = f"u-{name}"
    commands: dict[str, cmd.Command] = {
        "add": cmd.AddUser(user_id, name, password_hash=f"pw-{n}"),
        "token": cmd.IssueToken(user_id, f"t-{name}-{n}", f"hash-{n}", label=f"#{n}"),
        "rename": cmd.UpdateUser(user_id, display_name=f"{name.title()} {n}"),
        "grant": cmd.SetMember(board_id, user_id, action[-1]),
        "remove": cmd.RemoveMember(board_id, user_id),
    }
    if kind == "revoke":
        directory = directory_of(kanban)
        user = directory.user(user_id)
        tokens = sorted(user.tokens) if user else []
        if not tokens:
            return
        command: cmd.Command = cmd.RevokeToken(user_id, tokens[action[2] % len(tokens)])
    else:
        command = commands[kind]
    with contextlib.suppress(KanbanError):
        kanban.commands.dispatch(
            command, cmd.CommandContext("admin", str(uuid.uuid4()), admin=True)
        )


def directory_of(kanban: Kanban) -> Directory:
    return Directory.fold(kanban.mapper.decode_all(kanban.log.read_stream(SYSTEM_STREAM)))


def assert_access_equals_the_fold(kanban: Kanban, board_id: str) -> None:
    directory = directory_of(kanban)
    read = kanban.read
    users = {u.user_id: u for u in read.users()}
    assert set(users) == set(directory.users)
    for user in directory.users.values():
        row = users[user.id]
        assert (row.name, row.display_name, row.admin, row.password_hash) == (
            user.name,
            user.display_name,
            user.admin,
            user.password_hash,
        )
        tokens = {t.token_id: t for t in read.tokens(user.id)}
        assert set(tokens) == set(user.tokens)
        for token in user.tokens.values():
            row_token = tokens[token.id]
            assert row_token.token_hash == token.token_hash
            assert (row_token.revoked_at is not None) == token.revoked
    board = load_board(kanban.log, kanban.mapper, board_id)
    assert {m["user_id"]: m["role"] for m in read.members(board_id)} == {
        user: str(role) for user, role in board.members.items()
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, max_size=25))
def test_access_read_model_is_the_fold_live_and_after_a_rebuild(
    tmp_path_factory: Any, steps: list[tuple[Any, ...]]
) -> None:
    settings_ = Settings(data_dir=tmp_path_factory.mktemp("access") / "data")
    with bootstrap(settings_) as kanban:
        ctx = cmd.CommandContext("admin", str(uuid.uuid4()), admin=True)
        board_id = kanban.commands.dispatch(cmd.CreateBoard(str(uuid.uuid4()), "B"), ctx).board_id
        for n, action in enumerate(steps):
            run(kanban, board_id, action, n)
        settle(kanban)
        assert_access_equals_the_fold(kanban, board_id)
        live = read_state(kanban)
        kanban.projector.rebuild()
        assert read_state(kanban) == live
