"""Users, tokens and board roles in the domain: decisions, folds and authorization."""

from __future__ import annotations

import itertools

import pytest

from kanban.domain import commands as cmd
from kanban.domain import events as ev
from kanban.domain.access import Role, authorize, needed_role
from kanban.domain.errors import (
    AlreadyExists,
    BoardNotFound,
    Forbidden,
    LastOwner,
    MemberNotFound,
    NothingToUndo,
    TokenNotFound,
    UserNotFound,
    ValidationFailed,
)
from kanban.domain.model import RecordedEvent
from kanban.domain.users import ADMIN_ID, DIRECTORY_DECISIONS, Directory

from .journal import Journal

_seq = itertools.count(1)


def directory_after(*steps: tuple[cmd.Command, str, bool]) -> Directory:
    """A directory folded from the events each (command, actor, admin) decided."""
    d = Directory()
    for command, actor, admin in steps:
        for event in DIRECTORY_DECISIONS[type(command)](d, command, actor, admin):
            d.apply(RecordedEvent(event, d.version + 1, next(_seq), actor, "c"))
    return d


def decide(d: Directory, command: cmd.Command, actor: str, admin: bool) -> list[ev.Event]:
    return DIRECTORY_DECISIONS[type(command)](d, command, actor, admin)


ADD_ALICE = (cmd.AddUser("u-alice", "alice", "Alice A", password_hash="h1"), ADMIN_ID, True)
ADD_BOB = (cmd.AddUser("u-bob", "bob", token_id="t-bob", token_hash="hb"), ADMIN_ID, True)


def test_the_built_in_admin_exists_before_any_event() -> None:
    d = Directory()
    admin = d.by_name("ADMIN")
    assert admin is not None
    assert (admin.id, admin.admin) == (ADMIN_ID, True)


def test_adding_a_user_with_a_first_token_records_both_as_hashes_only() -> None:
    d = directory_after(ADD_ALICE, ADD_BOB)
    bob = d.user("u-bob")
    assert bob is not None
    assert bob.display_name == "bob"  # defaults to the name
    assert bob.tokens["t-bob"].token_hash == "hb"
    alice = d.by_name("Alice")
    assert alice is not None
    assert (alice.display_name, alice.password_hash, alice.tokens) == ("Alice A", "h1", {})


@pytest.mark.parametrize(
    ("command", "actor", "admin", "error"),
    [
        (cmd.AddUser("u-x", "xavier"), "u-alice", False, Forbidden),
        (cmd.AddUser("u-x", "ALICE"), ADMIN_ID, True, AlreadyExists),
        (cmd.AddUser("u-x", "admin"), ADMIN_ID, True, AlreadyExists),
        (cmd.AddUser("u-alice", "other"), ADMIN_ID, True, AlreadyExists),
        (cmd.AddUser("u-x", "has space"), ADMIN_ID, True, ValidationFailed),
        (cmd.AddUser("u-x", "-dash"), ADMIN_ID, True, ValidationFailed),
        (cmd.AddUser("u-x", "x" * 41), ADMIN_ID, True, ValidationFailed),
        (cmd.AddUser("u-x", "xavier", " " * 101 + "x" * 101), ADMIN_ID, True, ValidationFailed),
        (cmd.UpdateUser("u-bob", display_name="B"), "u-alice", False, Forbidden),
        (cmd.UpdateUser("u-alice", admin=True), "u-alice", False, Forbidden),
        (cmd.UpdateUser(ADMIN_ID, admin=False), ADMIN_ID, True, ValidationFailed),
        (cmd.UpdateUser("u-nobody", display_name="N"), ADMIN_ID, True, UserNotFound),
        (cmd.IssueToken("u-bob", "t-new", "h"), "u-alice", False, Forbidden),
        (cmd.IssueToken("u-bob", "t-bob", "h"), "u-bob", False, AlreadyExists),
        (cmd.IssueToken("u-bob", "t-new", "h", kind="forever"), "u-bob", False, ValidationFailed),
        (cmd.RevokeToken("u-bob", "t-bob"), "u-alice", False, Forbidden),
        (cmd.RevokeToken("u-bob", "t-none"), "u-bob", False, TokenNotFound),
    ],
)
def test_directory_rules_refuse_before_anything_is_recorded(
    command: cmd.Command, actor: str, admin: bool, error: type[Exception]
) -> None:
    d = directory_after(ADD_ALICE, ADD_BOB)
    with pytest.raises(error):
        decide(d, command, actor, admin)


def test_users_manage_their_own_account_and_admins_anyones() -> None:
    d = directory_after(ADD_ALICE, ADD_BOB)
    own = decide(
        d, cmd.UpdateUser("u-alice", display_name="Al", password_hash=None), "u-alice", False
    )
    assert own == [ev.UserUpdated("u-alice", "Al", None), ev.PasswordChanged("u-alice", None)]
    promoted = decide(d, cmd.UpdateUser("u-bob", admin=True), ADMIN_ID, True)
    assert promoted == [ev.UserUpdated("u-bob", None, True)]
    assert decide(d, cmd.UpdateUser("u-bob", display_name="bob"), "u-bob", False) == []


def test_a_revoked_token_stays_on_record_and_revoking_it_again_changes_nothing() -> None:
    d = directory_after(ADD_ALICE, ADD_BOB, (cmd.RevokeToken("u-bob", "t-bob"), "u-bob", False))
    bob = d.user("u-bob")
    assert bob is not None
    assert bob.tokens["t-bob"].revoked
    assert decide(d, cmd.RevokeToken("u-bob", "t-bob"), ADMIN_ID, True) == []


# --- board roles ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "role"),
    [
        (cmd.RenameBoard("b", "x"), Role.OWNER),
        (cmd.ArchiveBoard("b"), Role.OWNER),
        (cmd.RestoreBoard("b"), Role.OWNER),
        (cmd.SetMember("b", "u", "viewer"), Role.OWNER),
        (cmd.RemoveMember("b", "u"), Role.OWNER),
        (cmd.AddColumn("b", "c", "x"), Role.EDITOR),
        (cmd.MoveCard("b", "c", "col"), Role.EDITOR),
        (cmd.EditCard("b", "c", title="t"), Role.EDITOR),
        (cmd.Undo("b"), Role.EDITOR),
    ],
)
def test_each_command_needs_a_role(command: cmd.Command, role: Role) -> None:
    assert needed_role(command) is role


@pytest.mark.parametrize(
    ("held", "needed", "error"),
    [
        (None, Role.VIEWER, BoardNotFound),
        ("viewer", Role.VIEWER, None),
        ("viewer", Role.EDITOR, Forbidden),
        ("editor", Role.EDITOR, None),
        ("editor", Role.OWNER, Forbidden),
        ("owner", Role.OWNER, None),
    ],
)
def test_non_members_learn_nothing_and_members_are_told_what_they_lack(
    held: str | None, needed: Role, error: type[Exception] | None
) -> None:
    members = {"u": Role(held)} if held else {}
    if error is None:
        authorize("b", members, "u", False, needed)
    else:
        with pytest.raises(error) as caught:
            authorize("b", members, "u", False, needed)
        if error is BoardNotFound:
            assert str(caught.value) == "board b does not exist"
    authorize("b", {}, "someone", True, Role.OWNER)  # an admin may do anything


def test_the_creator_owns_a_new_board_and_older_boards_have_no_owner() -> None:
    journal = Journal(actor="alice")
    assert journal.board.members == {"alice": Role.OWNER}
    old = ev.registry.decode("BoardCreated", 1, {"board_id": "b", "title": "Old"})
    assert old == ev.BoardCreated("b", "Old", None)


def test_roles_are_granted_changed_and_removed_but_never_the_last_owner() -> None:
    journal = Journal(actor="alice")
    journal.run(cmd.SetMember("b1", "bob", "owner"), "alice")
    journal.run(cmd.SetMember("b1", "bob", "editor"), "alice")
    assert journal.board.members == {"alice": Role.OWNER, "bob": Role.EDITOR}
    with pytest.raises(LastOwner):
        journal.run(cmd.RemoveMember("b1", "alice"), "alice")
    with pytest.raises(LastOwner):
        journal.run(cmd.SetMember("b1", "alice", "viewer"), "alice")
    with pytest.raises(MemberNotFound):
        journal.run(cmd.RemoveMember("b1", "carol"), "alice")
    assert journal.run(cmd.SetMember("b1", "bob", "editor"), "alice") == []
    journal.run(cmd.SetMember("b1", "bob", "owner"), "alice")
    journal.run(cmd.RemoveMember("b1", "alice"), "bob")  # two owners: one may go
    assert journal.board.members == {"bob": Role.OWNER}
    with pytest.raises(ValidationFailed, match="role must be one of"):
        journal.run(cmd.SetMember("b1", "carol", "boss"), "bob")


def test_undo_never_touches_membership() -> None:
    journal = Journal(actor="alice")
    journal.run(cmd.AddColumn("b1", "col", "To do"), "alice")
    journal.run(cmd.SetMember("b1", "bob", "editor"), "alice")
    undone = journal.run(cmd.Undo("b1"), "alice")
    assert undone == [ev.ColumnRemoved("col", "To do", 0, None)]
    assert journal.board.members["bob"] is Role.EDITOR
    with pytest.raises(NothingToUndo):
        journal.run(cmd.Undo("b1"), "alice")
