"""Pure timing math for daily delivery: local wall-clock times to UTC instants, DST-safe."""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_HHMM = re.compile(r"^\s*([01]?\d|2[0-3])[:.h]([0-5]\d)\s*$")
_OFFSET = re.compile(r"^\s*(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$", re.IGNORECASE)


def parse_hhmm(text: str) -> str | None:
    """'7:05', '07.05', '19h30' -> '07:05' / '19:30'; anything else -> None."""
    m = _HHMM.match(text)
    if not m:
        return None
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_timezone(text: str) -> str | None:
    """An IANA name ('europe/berlin' too) or a UTC offset ('+2', 'UTC-05:30') -> canonical name."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 64:
        return None
    if cleaned.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    m = _OFFSET.match(cleaned)
    if m:
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes >= 60:
            return None
        sign = m.group(1)
        return f"UTC{sign}{hours:02d}:{minutes:02d}"
    candidate = "/".join(
        "_".join(w.capitalize() if w.islower() else w for w in part.split("_"))
        for part in cleaned.replace(" ", "_").split("/")
    )
    for name in (cleaned, candidate):
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return name
    return None


@functools.lru_cache(maxsize=2048)
def zone(name: str) -> tzinfo:
    """Canonical zone names from parse_timezone back to a tzinfo (cached: ZoneInfo keeps only
    a few zones hot, and the scheduler asks for one per subscriber)."""
    if name.startswith("UTC") and len(name) > 3:
        sign = 1 if name[3] == "+" else -1
        hours, minutes = int(name[4:6]), int(name[7:9])
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return ZoneInfo(name)


def local_instant(day: date, hhmm: str, tz: tzinfo) -> datetime:
    """The UTC instant of wall-clock `hhmm` on `day` in `tz`.

    In a spring-forward gap the wall time does not exist: it is shifted forward by the gap's
    length (02:30 becomes 03:30), as clocks do. In a fall-back overlap the time occurs twice:
    take the first (fold=0), so nobody gets the lesson twice.
    """
    hour, minute = int(hhmm[:2]), int(hhmm[3:5])
    naive = datetime.combine(day, time(hour, minute))
    aware = naive.replace(tzinfo=tz, fold=0)
    instant = aware.astimezone(UTC)
    back = instant.astimezone(tz).replace(tzinfo=None)
    if back != naive:  # nonexistent local time: fold=1 lands after the gap
        instant = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
        instant = max(instant, aware.astimezone(UTC))
    return instant


def next_local(after: datetime, hhmm: str, tz: tzinfo) -> datetime:
    """The first instant strictly after `after` whose local wall time is `hhmm`."""
    local_day = after.astimezone(tz).date()
    for offset in range(3):
        candidate = local_instant(local_day + timedelta(days=offset), hhmm, tz)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a local time recurs within three days")


def next_day_local(after: datetime, hhmm: str, tz: tzinfo) -> datetime:
    """The next `hhmm` on a later local calendar day than `after` (never twice on one day)."""
    local_day = after.astimezone(tz).date()
    return local_instant(local_day + timedelta(days=1), hhmm, tz)


def local_date(when: datetime, tz: tzinfo) -> date:
    return when.astimezone(tz).date()
