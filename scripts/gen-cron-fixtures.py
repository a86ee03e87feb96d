#!/usr/bin/env python3
"""Regenerate reference data for Tests/JobrunCoreTests/CronReferenceTests.

The cron evaluator in JobrunCore follows the semantics of cronsim (which models
Debian cron): the next fire time is the first match strictly after the start
instant (truncated to whole seconds), evaluated in an IANA time zone. This
script asks cronsim for the next fire times of a fixed, reproducible set of
(expression, zone, start) cases and writes them to

    Tests/JobrunCoreTests/Fixtures/cron-reference.json

so that the Swift tests can compare against it without needing Python.

The cases are:
  * DST cases: for every transition of the zones below (found with zoneinfo,
    not hard-coded), a set of expressions started shortly before the
    transition, including fixed times that fall into the skipped or repeated
    interval, hour-wildcard jobs and 6-field (seconds) expressions;
  * hand-picked realistic expressions at ordinary instants (nonzero seconds,
    exactly on a fire time, start of month, leap day, year end);
  * random but valid expressions drawn with a fixed seed.

Every case is cross-checked against a direct day-by-day evaluation on the
local wall clock (wall_clock_fires). Cases where cronsim disagrees with it, or
where its fires are not strictly after the start and increasing, are left out
of the fixture and listed on stdout; currently these are a few cases around the
30- and 45-minute transitions of Lord Howe and Chatham, where cronsim skips
real matches.

Each record is
    {"expr": ..., "tz": ..., "start": "YYYY-MM-DDTHH:MM:SSZ",
     "fires": [up to 8 UTC instants], "croniter_agrees": bool}
plus "error" when cronsim rejects the expression or finds no fire within
50 years (then "fires" is empty). "croniter_agrees" is informational only:
whether croniter (with Debian's day-of-month/day-of-week rule and a leading
seconds field) produces the same fires.

Usage:  python3 scripts/gen-cron-fixtures.py [--output PATH]   (about 1.5 min)
Needs:  pip install cronsim croniter
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError
from croniter import croniter

FIRES_PER_CASE = 8
RANDOM_SEED = 20260329
RANDOM_EXPRESSIONS = 250
CRONITER_TIMEOUT_SECONDS = 60

DEFAULT_OUTPUT = (
    Path(__file__).resolve().parent.parent
    / "Tests" / "JobrunCoreTests" / "Fixtures" / "cron-reference.json"
)

MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

# Zones whose DST transitions are exercised, with the years to scan. Zones
# that no longer observe DST are scanned in years in which they still did.
DST_ZONES = {
    "Europe/Berlin": [2026],
    "Europe/London": [2026],
    "Europe/Dublin": [2026],  # negative DST in the tz database
    "America/New_York": [2026],
    "America/Los_Angeles": [2026],
    "America/St_Johns": [2026],
    "America/Sao_Paulo": [2018],  # transitions at local midnight
    "Australia/Sydney": [2026],
    "Australia/Lord_Howe": [2026],  # 30-minute DST
    "Pacific/Chatham": [2026],  # transitions at 02:45 / 03:45
    "Africa/Casablanca": [2026],  # suspended during Ramadan
    "Pacific/Apia": [2011, 2020],  # 2011: skipped 30 December entirely
}
ALL_ZONES = ["UTC", "Asia/Kolkata", "Asia/Tokyo", *DST_ZONES]

# Ordinary starts, given as local wall times (interpreted in each case's zone).
ORDINARY_LOCAL_STARTS = [
    datetime(2026, 5, 17, 10, 14, 37),  # nonzero seconds
    datetime(2026, 6, 1, 0, 0, 0),  # start of month, exactly on many fire times
    datetime(2026, 1, 1, 0, 0, 0),  # start of year
    datetime(2028, 2, 28, 12, 0, 0),  # leap year, before 29 February
    datetime(2027, 2, 28, 23, 59, 59),  # non-leap year, one second before March
    datetime(2026, 12, 31, 23, 59, 30),  # just before the new year
    datetime(2026, 4, 30, 23, 0, 0),  # just before a 31st-less month ends
    datetime(2026, 7, 15, 9, 0, 0),  # weekday morning, on the hour
]

# Expressions evaluated around every DST transition, with how long before the
# transition they start (long enough to see a few fires before it).
DST_EXPRESSIONS = [
    ("30 2 * * *", timedelta(minutes=90)),
    ("0 2 * * *", timedelta(minutes=90)),
    ("15 1 * * *", timedelta(minutes=90)),
    ("45 1 * * *", timedelta(minutes=90)),
    ("59 1 * * *", timedelta(minutes=90)),
    ("0 3 * * *", timedelta(minutes=90)),
    ("0 1-3 * * *", timedelta(minutes=90)),
    ("30 0-4 * * *", timedelta(minutes=90)),
    ("* 2 * * *", timedelta(minutes=90)),
    ("*/30 * * * *", timedelta(minutes=90)),
    ("15 * * * *", timedelta(minutes=90)),
    ("*/20 0-4 * * *", timedelta(minutes=90)),
    ("0 */2 * * *", timedelta(minutes=90)),
    ("@hourly", timedelta(minutes=90)),
    ("@daily", timedelta(minutes=90)),
    ("45 23 * * *", timedelta(minutes=90)),
    ("5 4 * * sun", timedelta(minutes=90)),
    ("0 0 12 * * *", timedelta(minutes=90)),
    ("0 30 2 * * *", timedelta(minutes=90)),
    ("0 */15 * * * *", timedelta(minutes=40)),
    ("30 */5 * * * *", timedelta(minutes=12)),
    ("*/10 * * * * *", timedelta(seconds=40)),
]

HAND_PICKED = [
    # everyday schedules
    "*/15 9-17 * * mon-fri", "0 2 * * *", "30 2 * * *", "15 1 * * *",
    "45 1 * * *", "0 1-3 * * *", "* 2 * * *", "5 4 * * sun", "0 */2 * * *",
    "*/5 * * * *", "0 9-17/2 * * 1-5", "0 0 * * 7", "0 0 * * 0",
    "* * * * *", "0 * * * *", "30 * * * *", "*/30 * * * *", "15 * * * *",
    "0 0 * * *", "0 12 * * *", "59 23 * * *", "0 6,18 * * *",
    "30 8 * * 1-5", "0 9 * * MON", "0 17 * * Fri", "0 8 * * sat,sun",
    "0 22 * * 1-5", "*/10 8-18 * * 1-5", "0 3 * * 6", "0 4 1 * *",
    "0 0 1 */3 *", "0 0 1 1,4,7,10 *", "0 5 * * 1,3,5", "20 4 * * 2-6",
    "0 */4 * * *", "0 */6 * * *", "0 */8 * * *", "0 */12 * * *",
    "*/2 * * * *", "*/7 * * * *", "*/45 * * * *", "1-59/2 * * * *",
    "0-58/2 * * * *", "5,10,15,20 * * * *", "0,30 * * * *",
    # month boundaries, leap years, rare days
    "0 0 29 2 *", "0 0 31 * *", "0 0 30 * *", "0 0 28-31 * *",
    "0 12 31 12 *", "0 0 1 1 *", "0 0 15 * *", "0 0 1,15 * *",
    "0 0 29 2 1", "0 0 31 1,3,5,7,8,10,12 *", "0 0 30 4,6,9,11 *",
    "0 0 29 * *", "0 0 1-7 * 1", "0 0 8-14 * 2",
    # day-of-month OR day-of-week
    "0 0 1,15 * 1", "0 0 13 * fri", "0 0 13 * 5", "0 0 1 * sun",
    "0 0 */10 * mon", "0 0 1-5 * 6", "0 12 25 12 0", "0 0 * * 1",
    "0 0 */2 * *", "0 0 */2 * 1-5", "0 0 1 * */2", "0 0 2-30/7 * *",
    "0 0 10 * 7", "0 0 31 * 0",
    # steps with a start (a/s) and on ranges
    "5/15 * * * *", "30/10 * * * *", "0 1/3 * * *", "0 0 3/5 * *",
    "0 0 1 2/3 *", "0 0 * * 1/2", "0 0 * * 0/3", "0 0 * * 5/1",
    "10-50/20 * * * *", "0 6-22/4 * * *", "0 0 1-31/10 * *",
    "0 0 * 1-12/5 *", "0 0 * * 1-5/2", "0 0 * * 0-7/2",
    # names, case-insensitive
    "0 0 1 jan *", "0 0 1 JAN-mar *", "0 0 1 jun,Aug,DEC *",
    "0 9 * * mon-fri", "0 9 * * MON,wed,Fri", "0 9 * * Fri-Sat",
    "0 9 * * sun-sat", "0 0 15 feb-nov/3 *", "0 0 * jul sun",
    "0 10 * * TUE", "30 6 1 sep-dec mon", "0 0 * oct-dec fri",
    # sevens and sundays
    "0 0 * * 6-7", "0 0 * * 7,1", "0 0 * * 5-7", "0 0 * * 0,7",
    # lists mixing forms
    "0,15,30,45 0-6,18-23 * * *", "0 1,3-5,7 * * *", "0 0 1,10-12,20 * *",
    "0 0 * 1,6-8 *", "0 0 * * 1,3-4", "0 0-23/6,1 * * *", "5-10,*/20 * * * *",
    # macros
    "@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly",
    "@annually",
    # 6-field (leading seconds)
    "30 */5 * * * *", "0 0 12 * * *", "*/10 * * * * *", "* * * * * *",
    "0 * * * * *", "15,45 * * * * *", "0 0 * * * *", "0 30 2 * * *",
    "59 59 23 31 12 *", "0 0 0 29 2 *", "5/20 * * * * *", "0 0/15 * * * *",
    "30 30 9-17 * * mon-fri", "0 0 0 1 * *", "0-10/5 * 3 * * *",
    "1 2 3 4 5 *", "0 0 0 * * sun", "45 59 * * * *", "0 15 1 * * *",
    "0 0 2 * * *", "10 0 0 13 * 5", "*/15 * 0 * * *",
    # slow-moving / far future
    "0 0 1 1 0", "0 0 29 2 0", "59 23 31 12 *", "0 0 31 12 5",
    "0 0 28 2 *", "0 0 1 3 *", "0 12 * 2 *",
]

# Hand-picked expressions also evaluated in every zone, at ORDINARY_LOCAL_STARTS[0].
HAND_PICKED_EVERYWHERE = [
    "0 2 * * *", "30 2 * * *", "*/15 9-17 * * mon-fri", "0 0 31 * *",
    "0 0 29 2 *", "@weekly",
]


@dataclass(frozen=True)
class Case:
    expr: str
    tz: str
    start: datetime  # aware, UTC, whole seconds


# --- time zone helpers -------------------------------------------------------


def utc_offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset()


def transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    """UTC instants in `year` at which the zone's UTC offset changes."""
    found = []
    t = datetime(year, 1, 1, tzinfo=timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=timezone.utc)
    step = timedelta(hours=1)
    while t < end:
        if utc_offset(zone, t) != utc_offset(zone, t + step):
            lo, hi = t, t + step  # offset(lo) != offset(hi): bisect to the second
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if utc_offset(zone, mid) == utc_offset(zone, lo):
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        t += step
    return found


def local_to_utc(zone: ZoneInfo, wall: datetime) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(timezone.utc)


def rfc3339(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def describe_local(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M:%S") + local.strftime("%z")


# --- evaluation --------------------------------------------------------------


def expand(expr: str) -> str:
    return MACROS.get(expr.lower(), expr)


def cronsim_fires(expr: str, start: datetime, zone: ZoneInfo) -> list[datetime]:
    """Next fires after `start`; fewer (or none) if cronsim finds no match within
    50 years. Raises CronSimError for expressions cronsim rejects."""
    it = CronSim(expand(expr), start.astimezone(zone))
    return [fire.astimezone(timezone.utc) for fire in islice(it, FIRES_PER_CASE)]


class Timeout(Exception):
    pass


def croniter_fires(expr: str, start: datetime, zone: ZoneInfo) -> list[datetime] | None:
    """croniter's answer, or None if it fails or takes too long (it can spin
    for a long time on second-level expressions across Apia's skipped day)."""

    def give_up(signum, frame):
        raise Timeout

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(CRONITER_TIMEOUT_SECONDS)
    try:
        it = croniter(
            expand(expr),
            start.astimezone(zone),
            ret_type=datetime,
            implement_cron_bug=True,  # Debian's "field starts with *" AND/OR rule
            second_at_beginning=True,
        )
        return [it.get_next(datetime).astimezone(timezone.utc) for _ in range(FIRES_PER_CASE)]
    except Exception:  # croniter is only an informational second opinion
        return None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def evaluate(case: Case) -> tuple[dict, str | None]:
    """The JSON record, and why it must be left out (None if it is fine)."""
    zone = ZoneInfo(case.tz)
    record = {"expr": case.expr, "tz": case.tz, "start": rfc3339(case.start)}
    try:
        fires = cronsim_fires(case.expr, case.start, zone)
        error = None if fires else "no fire within 50 years"
    except CronSimError as exc:
        fires, error = [], f"{type(exc).__name__}: {exc}"

    record["fires"] = [rfc3339(f) for f in fires]
    if error:
        record["error"] = error
    other = croniter_fires(case.expr, case.start, zone)
    record["croniter_agrees"] = (other or []) == fires

    if any(later <= earlier for earlier, later in zip([case.start, *fires], fires)):
        return record, "fires not strictly after the start and increasing"
    expected = wall_clock_fires(case.expr, zone, case.start) if fires else []
    if expected != fires:
        got, want = next((g, w) for g, w in zip([*fires, None], [*expected, None]) if g != w)
        show = lambda fire: describe_local(fire, zone) if fire else "nothing"  # noqa: E731
        return record, f"cronsim {show(got)}, direct evaluation {show(want)}"
    return record, None


# --- independent cross-check -------------------------------------------------
#
# A direct evaluation of the semantics, day by day on the local wall clock.
# 5-field expressions whose minute and hour fields are both fixed (neither
# starts with "*") behave like Debian cron: a wall time inside a skipped
# interval fires once, at the first real minute after it, and a repeated wall
# time fires once, at its first occurrence. All other expressions fire at every
# real instant whose local wall time matches. cronsim disagrees with this in a
# few cases around the 30- and 45-minute transitions of Lord Howe and Chatham
# (it skips real matches); such cases are left out of the fixture.

FIELD_BOUNDS = {"second": (0, 59), "minute": (0, 59), "hour": (0, 23),
                "dom": (1, 31), "month": (1, 12), "dow": (0, 7)}
MONTH_NAMES = "jan feb mar apr may jun jul aug sep oct nov dec".split()
DAY_NAMES = "sun mon tue wed thu fri sat".split()


def field_value(field: str, text: str) -> int:
    text = text.lower()
    if field == "month" and text in MONTH_NAMES:
        return MONTH_NAMES.index(text) + 1
    if field == "dow" and text in DAY_NAMES:
        return DAY_NAMES.index(text)
    return int(text)


def field_values(field: str, text: str) -> set[int]:
    lo, hi = FIELD_BOUNDS[field]
    values = set()
    for term in text.split(","):
        term, _, step = term.partition("/")
        if term == "*":
            first, last = lo, hi
        elif "-" in term:
            first, last = (field_value(field, t) for t in term.split("-"))
        else:
            first = field_value(field, term)
            last = hi if step else first  # "a/s" runs to the field's maximum
        values.update(range(first, last + 1, int(step or 1)))
    return {v % 7 for v in values} if field == "dow" else values


def wall_clock_fires(expr: str, zone: ZoneInfo, start: datetime) -> list[datetime]:
    parts = expand(expr).split()
    five_field = len(parts) == 5
    if five_field:
        parts.insert(0, "0")
    seconds, minutes, hours, days, months, weekdays = (
        field_values(f, p) for f, p in zip(FIELD_BOUNDS, parts))
    day_and = parts[3].startswith("*") or parts[5].startswith("*")
    debian_fixed_time = five_field and not parts[1].startswith("*") and not parts[2].startswith("*")

    def day_matches(day: date) -> bool:
        dom, dow = day.day in days, day.isoweekday() % 7 in weekdays
        return (dom and dow) if day_and else (dom or dow)

    def instant(wall: datetime, fold: int) -> datetime | None:
        """The UTC instant showing `wall` (in the given fold), None if it does not exist."""
        utc = wall.replace(tzinfo=zone, fold=fold).astimezone(timezone.utc)
        return utc if utc.astimezone(zone).replace(tzinfo=None) == wall else None

    times = [time(h, m, s) for h in sorted(hours) for m in sorted(minutes) for s in sorted(seconds)]
    start_wall = start.astimezone(zone).replace(tzinfo=None)
    day = start_wall.date() - timedelta(days=1)
    fires: list[datetime] = []
    while day.year <= start.year + 50:
        if day.month in months and day_matches(day):
            for t in times:
                wall = datetime.combine(day, t)
                if debian_fixed_time:
                    if wall <= start_wall:
                        continue
                    while instant(wall, 0) is None:  # skipped: first real minute after
                        wall += timedelta(minutes=1)
                    fires.append(instant(wall, 0))
                    start_wall = wall
                    if len(fires) == FIRES_PER_CASE:
                        return fires
                else:
                    for fold in (0, 1):
                        utc = instant(wall, fold)
                        if utc and utc > start and utc not in fires:
                            fires.append(utc)
                    fires = sorted(fires)[:FIRES_PER_CASE]
                    # Wall-clock order differs from UTC order by at most an
                    # overlap (< 3 hours), so later wall times cannot come earlier.
                    latest = instant(wall, 0) or instant(wall, 1)
                    if (len(fires) == FIRES_PER_CASE and latest
                            and latest > fires[-1] + timedelta(hours=3)):
                        return fires
        day += timedelta(days=1)
    return fires


# --- case generation ---------------------------------------------------------


def dst_cases() -> list[Case]:
    cases = []
    for tz, years in DST_ZONES.items():
        zone = ZoneInfo(tz)
        for year in years:
            for moment in transitions(zone, year):
                exprs = list(DST_EXPRESSIONS)
                exprs += [(e, timedelta(minutes=90)) for e in interval_expressions(zone, moment)]
                cases += [Case(e, tz, moment - lead) for e, lead in exprs]
    return cases


def interval_expressions(zone: ZoneInfo, moment: datetime) -> list[str]:
    """Zone-specific fixed-time jobs in, at and around the skipped/repeated interval."""
    before = (moment - timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None)
    before += timedelta(seconds=1)  # wall clock just before the change, e.g. 02:00
    after = moment.astimezone(zone).replace(tzinfo=None)  # wall clock after, e.g. 03:00
    first, last = min(before, after), max(before, after)
    middle = first + (last - first) / 2
    ahead = first - timedelta(minutes=30)
    exprs = [
        f"{middle.minute} {middle.hour} * * *",  # inside the interval
        f"{first.minute} {first.hour} * * *",  # at its start
        f"{last.minute} {last.hour} * * *",  # at its end
        f"{ahead.minute} {ahead.hour} * * *",  # shortly before it
        f"* {middle.hour} * * *",  # every minute of the affected hour
        f"0 {middle.minute} {middle.hour} * * *",  # 6-field, inside the interval
    ]
    if first.minute == last.minute and first.hour != last.hour:
        exprs.append(f"{first.minute} {first.hour},{last.hour} * * *")
    return exprs


def ordinary_cases() -> list[Case]:
    cases = []
    for i, expr in enumerate(HAND_PICKED):
        # Every expression once in UTC and once in each of two rotating zones.
        for j, tz in enumerate(["UTC", ALL_ZONES[1 + i % (len(ALL_ZONES) - 1)],
                                ALL_ZONES[1 + (i * 7 + 3) % (len(ALL_ZONES) - 1)]]):
            wall = ORDINARY_LOCAL_STARTS[(i + j * 3) % len(ORDINARY_LOCAL_STARTS)]
            cases.append(Case(expr, tz, local_to_utc(ZoneInfo(tz), wall)))
    for expr in HAND_PICKED_EVERYWHERE:
        for tz in ALL_ZONES:
            cases.append(Case(expr, tz, local_to_utc(ZoneInfo(tz), ORDINARY_LOCAL_STARTS[0])))
    return cases


def random_name(rng: random.Random, field: str, value: int) -> str:
    name = (MONTH_NAMES[value - 1] if field == "month" else DAY_NAMES[value % 7])
    return rng.choice([name, name.upper(), name.capitalize()])


def random_atom(rng: random.Random, field: str, allow_step: bool = True) -> str:
    lo, hi = FIELD_BOUNDS[field]
    named = field in ("month", "dow")
    kinds = ["number", "range"] + (["step", "range_step", "start_step"] if allow_step else [])
    kinds += ["name", "name_range"] if named else []
    kind = rng.choice(kinds)
    if kind == "number":
        return str(rng.randint(lo, hi))
    if kind == "name":
        return random_name(rng, field, rng.randint(lo, min(hi, lo + (11 if field == "month" else 6))))
    if kind in ("range", "name_range", "range_step"):
        a = rng.randint(lo, hi - 1)
        b = rng.randint(a + 1, hi)  # a < b: ranges are ascending and non-trivial
        if kind == "name_range":
            b = min(b, 12 if field == "month" else 6)
            a = min(a, b - 1)
            return f"{random_name(rng, field, a)}-{random_name(rng, field, b)}"
        text = f"{a}-{b}"
        if kind == "range_step":
            text += f"/{rng.randint(2, max(2, b - a))}"
        return text
    if kind == "step":
        return f"*/{rng.randint(2, max(2, (hi - lo + 1) // 2))}"
    # start_step: "a/s" runs from a to the field's maximum
    return f"{rng.randint(lo, hi - 1)}/{rng.randint(2, max(2, (hi - lo) // 2))}"


def random_field(rng: random.Random, field: str) -> str:
    star_weight = {"second": 3, "minute": 1, "hour": 2, "dom": 6, "month": 6, "dow": 5}[field]
    choice = rng.choices(["*", "atom", "list"], weights=[star_weight, 4, 2])[0]
    if choice == "*":
        return "*"
    if choice == "atom":
        return random_atom(rng, field)
    return ",".join(random_atom(rng, field) for _ in range(rng.randint(2, 4)))


def random_expression(rng: random.Random) -> str:
    fields = ["minute", "hour", "dom", "month", "dow"]
    if rng.random() < 0.2:
        fields.insert(0, "second")
    return " ".join(random_field(rng, f) for f in fields)


def is_usable(expr: str) -> bool:
    """Valid for cronsim and fires at least FIRES_PER_CASE times from 2026."""
    probe = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
    try:
        return len(list(islice(CronSim(expr, probe), FIRES_PER_CASE))) == FIRES_PER_CASE
    except CronSimError:
        return False


def random_cases(all_starts: list[Case]) -> list[Case]:
    rng = random.Random(RANDOM_SEED)
    cases = []
    seen = set()
    while len(seen) < RANDOM_EXPRESSIONS:
        expr = random_expression(rng)
        if expr in seen or not is_usable(expr):
            continue
        seen.add(expr)
        # Twice each: once at a random ordinary start, once near a DST transition.
        tz = rng.choice(ALL_ZONES)
        wall = rng.choice(ORDINARY_LOCAL_STARTS)
        cases.append(Case(expr, tz, local_to_utc(ZoneInfo(tz), wall)))
        near = rng.choice(all_starts)
        cases.append(Case(expr, near.tz, near.start))
    return cases


# --- main --------------------------------------------------------------------


SAMPLE_CASES = [  # (tz, start, expr) printed for a quick sanity check
    ("Europe/Berlin", "2026-03-28T23:30:00Z", "30 2 * * *"),
    ("Europe/Berlin", "2026-10-24T23:30:00Z", "*/30 * * * *"),
    ("Europe/Berlin", "2026-10-24T23:30:00Z", "0 30 2 * * *"),
    ("Australia/Lord_Howe", "2026-10-03T14:00:00Z", "15 2 * * *"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()

    dst = dst_cases()
    cases = dst + ordinary_cases() + random_cases(dst)

    records, left_out = {}, []
    for case in cases:
        key = (case.tz, rfc3339(case.start), case.expr)
        if key in records:
            continue
        record, problem = evaluate(case)
        if problem:
            left_out.append((key, problem))
        else:
            records[key] = record

    out = [records[key] for key in sorted(records)]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=1) + "\n")

    print(f"wrote {len(out)} cases to {args.output} ({args.output.stat().st_size} bytes)")
    print(f"  croniter agrees on {sum(r['croniter_agrees'] for r in out)}, "
          f"cronsim reports an error for {sum('error' in r for r in out)}")
    print(f"left out {len(left_out)} cases:")
    for (tz, start, expr), problem in sorted(left_out):
        print(f"  {expr!r} in {tz} from {start}: {problem}")

    print("sample DST cases:")
    for key in SAMPLE_CASES:
        if key in records:
            tz, start, expr = key
            print(f"  {expr!r} in {tz} from {start} ({describe_local(parse_rfc3339(start), ZoneInfo(tz))}):")
            for fire in records[key]["fires"][:4]:
                print(f"    {fire}  {describe_local(parse_rfc3339(fire), ZoneInfo(tz))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
