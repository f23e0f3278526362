"""Failed sign-ins, counted per user name and per client address in a sliding window.

Both counts matter: per name stops guessing one person's password from many
addresses; per address stops one client from trying many names. The counts
live in memory: a restart forgets them, which costs an attacker a restart of
ours, not a bypass.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from kanban.domain.errors import TooManyAttempts

WINDOW = 300.0
#: Keys remembered at most; the oldest are forgotten first.
MAX_KEYS = 10_000


class SignInThrottle:
    def __init__(
        self,
        per_name: int = 5,
        per_address: int = 20,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {"name": per_name, "address": per_address}
        self.window = window
        self.clock = clock
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def check(self, name: str, address: str) -> None:
        """Refuse before the password is even checked once either count is used up."""
        now = self.clock()
        for key in (("name", name.casefold()), ("address", address)):
            failures = self._recent(key, now)
            if len(failures) >= self.limits[key[0]]:
                wait = math.ceil(failures[0] + self.window - now)
                raise TooManyAttempts(
                    f"too many failed sign-ins for this {key[0]}; try again in {wait} s",
                    retry_after=max(wait, 1),
                )

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        for key in (("name", name.casefold()), ("address", address)):
            self._recent(key, now).append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > MAX_KEYS:
            self._failures.popitem(last=False)

    def succeeded(self, name: str) -> None:
        self._failures.pop(("name", name.casefold()), None)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures
