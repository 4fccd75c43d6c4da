"""The Redis key schema: the only module that spells key names.

Every key starts with `<prefix>` (REDIS_PREFIX, default `icb:v2`; the version changes when the
layout does). On Redis Cluster (REDIS_CLUSTER=true) the prefix is written `{icb:v2}`: a hash tag
that puts every key in one slot, because the scheduler's and the broadcasts' batch scripts read
and write many users' keys together. Per-user keys also carry `{u<id>}`, which only matters
when there is no such prefix tag.

| key                                | type   | holds                                          |
|------------------------------------|--------|------------------------------------------------|
| <p>:{u<id>}:sub                    | hash   | the subscriber record (status, tz, time, day)  |
| <p>:{u<id>}:quiz                   | hash   | answers of the quiz in progress                 |
| <p>:{u<id>}:quizhist               | list   | completed quiz results (JSON), oldest first     |
| <p>:{u<id>}:practice               | hash   | the open practice exchange (TTL)                |
| <p>:{u<id>}:stats                  | hash   | per-user counters (practice per tool, good)     |
| <p>:{u<id>}:share                  | string | last coached sentence, for "share" (2 h TTL)    |
| <p>:{u<id>}:note:<tool>:<date>     | string | partner already told today (2 day TTL)          |
| <p>:invite:<token>                 | string | couple-mode invite -> inviter id (7 day TTL)    |
| <p>:ud                             | hash   | PTB user_data: user id -> JSON (read once)      |
| <p>:conv:<name>                    | hash   | PTB conversation states, field = JSON key       |
| <p>:bd                             | string | PTB bot_data (JSON)                             |
| <p>:due                            | zset   | user id -> next due unix time (daily lessons)   |
| <p>:idle                           | zset   | user id -> when a silent subscriber is nudged   |
| <p>:subs                           | set    | every user id with a subscriber record          |
| <p>:clock                          | string | time-travel offset in seconds (sandbox/tests)   |
| <p>:stats:*                        | hash   | anonymous counters (funnel, safety, quiz)        |
| <p>:hb                             | hash   | process id -> wall time of its last tick         |
| <p>:poller                         | string | the one process allowed to long-poll (lease)     |
| <p>:bc:*                           | *      | broadcasts (see scheduler/broadcast.py)          |
| <p>:rl:*                           | string | shared send budget (see scheduler/ratelimit.py) |
| <p>:upd:<update id>                | string | update de-duplication marker (1 day TTL)        |
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "icb:v2"

    @classmethod
    def for_deployment(cls, prefix: str, cluster: bool) -> Keys:
        """On Redis Cluster the prefix becomes the hash tag (`{icb:v2}:...`; the first tag in a
        key wins), so every key shares one slot and every multi-key script, transaction and
        batch stays legal. Elsewhere the key names stay as they were."""
        return cls(f"{{{prefix}}}" if cluster else prefix)

    def _user(self, user_id: int, what: str) -> str:
        return f"{self.prefix}:{{u{user_id}}}:{what}"

    def sub(self, user_id: int) -> str:
        return self._user(user_id, "sub")

    def quiz(self, user_id: int) -> str:
        return self._user(user_id, "quiz")

    def quiz_history(self, user_id: int) -> str:
        return self._user(user_id, "quizhist")

    def practice(self, user_id: int) -> str:
        return self._user(user_id, "practice")

    def user_stats(self, user_id: int) -> str:
        return self._user(user_id, "stats")

    def user_key(self, user_id: int, what: str) -> str:
        return self._user(user_id, what)

    def user_pattern(self, user_id: int) -> str:
        """Matches every per-user key: /forget deletes what this finds."""
        return f"{self.prefix}:{{u{user_id}}}:*"

    def user_data_all(self) -> str:
        return f"{self.prefix}:ud"

    def conversation(self, name: str) -> str:
        return f"{self.prefix}:conv:{name}"

    def bot_data(self) -> str:
        return f"{self.prefix}:bd"

    def callback_data(self) -> str:
        return f"{self.prefix}:cbd"

    def due(self) -> str:
        return f"{self.prefix}:due"

    def idle(self) -> str:
        return f"{self.prefix}:idle"

    def subscribers(self) -> str:
        return f"{self.prefix}:subs"

    def clock(self) -> str:
        return f"{self.prefix}:clock"

    def poller(self) -> str:
        return f"{self.prefix}:poller"

    def heartbeat(self) -> str:
        return f"{self.prefix}:hb"

    def counters(self, name: str) -> str:
        return f"{self.prefix}:stats:{name}"

    def update_seen(self, update_id: int) -> str:
        return f"{self.prefix}:upd:{update_id}"

    def rate(self, name: str) -> str:
        return f"{self.prefix}:rl:{name}"

    def broadcast(self, what: str) -> str:
        return f"{self.prefix}:bc:{what}"
