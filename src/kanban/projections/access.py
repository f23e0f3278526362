"""The access read model: users, tokens and board members, for sign-in and permissions."""

from __future__ import annotations

from collections.abc import Sequence

from kanban.domain import events as ev
from kanban.projections.projection import Projection
from kanban.projections.rows import TokenRow, UserRow
from kanban.projections.writes import AccessWrites
from kanban.service.mapper import EventMapper
from kanban.store.codec import format_time
from kanban.store.records import StoredEvent


class AccessProjection(Projection):
    """Revocations and removals are facts in the log; here they mark or drop rows."""

    name = "access"
    handles = ev.SYSTEM_EVENTS | {c.type_name for c in (ev.BoardCreated, *ev.MEMBERSHIP_EVENTS)}

    def __init__(self, mapper: EventMapper) -> None:
        self.mapper = mapper

    def apply(self, tx: AccessWrites, events: Sequence[StoredEvent]) -> None:
        for stored in events:
            at = format_time(stored.recorded_at)
            event = self.mapper.decode(stored).event
            match event:
                case ev.UserAdded():
                    tx.put_user(
                        UserRow(
                            event.user_id,
                            event.name,
                            event.display_name,
                            event.admin,
                            event.password_hash,
                            at,
                        )
                    )
                case ev.UserUpdated():
                    tx.update_user(event.user_id, event.display_name, event.admin)
                case ev.PasswordChanged():
                    tx.set_password(event.user_id, event.password_hash)
                case ev.TokenIssued():
                    tx.put_token(
                        TokenRow(
                            event.token_id,
                            event.user_id,
                            event.token_hash,
                            event.kind,
                            event.label,
                            at,
                            event.expires_at,
                            None,
                        )
                    )
                case ev.TokenRevoked():
                    tx.revoke_token(event.token_id, at)
                case ev.BoardCreated() if event.owner is not None:
                    tx.put_member(stored.stream_id, event.owner, "owner")
                case ev.MemberAdded() | ev.MemberRoleChanged():
                    tx.put_member(stored.stream_id, event.user_id, event.role)
                case ev.MemberRemoved():
                    tx.delete_member(stored.stream_id, event.user_id)
