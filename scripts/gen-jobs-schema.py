#!/usr/bin/env python3
"""Regenerate schemas/jobs.schema.json, the JSON Schema (draft 2020-12) of jobs files.

The schema accepts what `jobrun --validate` accepts, as far as JSON Schema can say
it. Editors use it for completion and inline errors; `scripts/check-schema.sh`
checks it against examples/ and the invalid fixtures of the CLI tests.

What the schema leaves to `jobrun --validate`: unique task names, `after` naming
existing tasks without cycles, time zones that exist, cron expressions that can
fire, reversed ranges (`5-1` in cron, `"299-200"` in `expect_status`), durations
over 100 years or rounding to 0ms, whole numbers written as `3.0`, and the
length of names with combining marks (jobrun counts characters as the user sees
them, JSON Schema counts code points). The invalid fixtures the schema cannot
reject are listed in Tests/JobrunCLITests/Fixtures/invalid/schema-cannot-express.txt.

Patterns are written for both ECMAScript (editors, check-jsonschema) and Python
(`jsonschema`): lookaheads but no lookbehinds and no inline flags, so letters that
jobrun reads case-insensitively are spelled out as `[aA]`.

Usage:  python3 scripts/gen-jobs-schema.py [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "schemas" / "jobs.schema.json"


def ci(word: str) -> str:
    """A pattern matching `word` in any letter case: `@Daily`, `GET`/`get`."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


def one_of(*patterns: str) -> str:
    return "(?:" + "|".join(patterns) + ")"


def whole(pattern: str, blanks: str = " ") -> str:
    """Anchors a pattern, allowing the blanks jobrun trims around a value.

    Single-line values (schedules, timestamps, addresses) cannot contain tabs,
    so only spaces are trimmed there; durations are trimmed of spaces and tabs.
    """
    around = " *" if blanks == " " else f"[{blanks}]*"
    return f"^{around}{pattern}{around}$"


# Characters jobrun rejects in single-line values: C0 controls and DEL.
CONTROL = r"\x00-\x1f\x7f"
SINGLE_LINE = f"^[^{CONTROL}]*$"
NON_EMPTY_LINE = f"^[^{CONTROL}]+$"

# jobrun takes the text of a number where it expects a string: `command: [sleep, 5]`.
TEXT = ["string", "number"]
# Environment values and headers also take booleans: `DEBUG: true` is "true".
SCALAR = ["string", "number", "boolean"]

# --- Durations ------------------------------------------------------------------
# A bare number of seconds (`300`, `1.5`), or `<number><unit>` parts with units ms,
# s, m, h, d, each unit at most once (`1h30m`, `1.5s`). jobrun counts in whole
# milliseconds and caps durations at 100 years.

MAX_DURATION_SECONDS = 100 * 366 * 86_400
NUMBER = r"[0-9]+(?:\.[0-9]+)?"
UNIT = r"(?:ms|s|m|h|d)"
# A unit is the letters after a digit; `m(?!s)` is minutes, not the start of `ms`.
UNIT_ONCE = "".join(rf"(?!(?:.*[0-9]{u}){{2}})" for u in ("ms", "s", "m(?!s)", "h", "d"))
DURATION = one_of(NUMBER, rf"{UNIT_ONCE}(?:{NUMBER}{UNIT})+")
# Greater than zero: some digit 1-9 in what follows (`0`, `0s`, `0.0`, `0ms` have none).
NONZERO = r"(?=[^1-9]*[1-9])"

# --- Timestamps -----------------------------------------------------------------
# `2026-12-01`, or a date with `T`, `t` or a space and `HH:MM`, optionally `:SS` and
# a fraction, and optionally an offset. Days are checked against the month, and
# February 29 against the (proleptic Gregorian) leap years.

YEAR = "[0-9]{4}"
LEAP_YEAR = one_of(
    "[0-9]{2}(?:0[48]|[2468][048]|[13579][26])",  # divisible by 4, not a century
    "(?:[02468][048]|[13579][26])00",  # a century divisible by 400
)
DATE = one_of(
    f"{YEAR}-(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])",
    f"{YEAR}-(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)",
    f"{YEAR}-02-(?:0[1-9]|1[0-9]|2[0-8])",
    f"{LEAP_YEAR}-02-29",
)
HOUR = "(?:[01][0-9]|2[0-3])"
MINUTE = "[0-5][0-9]"
TIME = f"{HOUR}:{MINUTE}(?::{MINUTE}(?:[.,][0-9]+)?)?"
UTC_OFFSET = one_of("[Zz]", f"[+-]{HOUR}:?{MINUTE}")
TIMESTAMP = f"{DATE}(?:[Tt ]{TIME}{UTC_OFFSET}?)?"

# --- Cron -----------------------------------------------------------------------
# Vixie/Debian cron: each field is a comma-separated list of `*`, a value or a
# range `a-b`, each optionally with a step `/n` (`5/15` is 5 to the field's
# maximum, every 15). Values are numbers of up to 4 digits (leading zeros allowed)
# or, for month and weekday, names in any letter case.


def cron_number(canonical: str) -> str:
    """1-4 digits whose value, without leading zeros, matches `canonical`."""
    return f"(?=[0-9]{{1,4}}(?![0-9]))0*(?:{canonical})"


MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
WEEKDAYS = "sun mon tue wed thu fri sat".split()
CRON_MINUTE = cron_number("[1-5]?[0-9]")
CRON_HOUR = cron_number("1?[0-9]|2[0-3]")
CRON_DAY = cron_number("[1-9]|[12][0-9]|3[01]")
CRON_MONTH = one_of(cron_number("[1-9]|1[0-2]"), *map(ci, MONTHS))
CRON_WEEKDAY = one_of(cron_number("[0-7]"), *map(ci, WEEKDAYS))  # 0 and 7 are Sunday
STEP = r"/(?=0*[1-9])[0-9]{1,4}"  # 1-4 digits, not zero


def cron_field(value: str) -> str:
    item = rf"(?:\*|{value}(?:-{value})?)(?:{STEP})?"
    return f"{item}(?:,{item})*"


FIVE_FIELDS = [cron_field(v) for v in (CRON_MINUTE, CRON_HOUR, CRON_DAY, CRON_MONTH, CRON_WEEKDAY)]
# jobrun reads a schedule that starts like `2026-` as a timestamp, never as cron.
NOT_A_DATE = "(?![0-9]{4}-)"
CRON5 = whole(NOT_A_DATE + " +".join(FIVE_FIELDS))
CRON6 = whole(NOT_A_DATE + " +".join([cron_field(CRON_MINUTE)] + FIVE_FIELDS))  # leading seconds
MACROS = ["hourly", "daily", "midnight", "weekly", "monthly", "yearly", "annually"]
MACRO = whole("@" + one_of(*map(ci, MACROS)))
EVERY = whole(ci("@every") + " *" + NONZERO + DURATION)

# --- Email addresses and URLs ---------------------------------------------------
# `user@host` or `Display Name <user@host>`: one `@`, neither side empty, no
# blanks or `<>,;"` in the address, and the host neither starts nor ends with `.`.

ADDRESS_CHAR = f'[^{CONTROL} <>,;"@]'
HOST_EDGE_CHAR = f'[^{CONTROL} <>,;"@.]'
ADDRESS = f"{ADDRESS_CHAR}+@{HOST_EDGE_CHAR}(?:{ADDRESS_CHAR}*{HOST_EDGE_CHAR})?"
MAILBOX = whole(one_of(ADDRESS, f"[^{CONTROL}]*<{ADDRESS}>"))

# `http://` or `https://` (any case), a host part that does not start with `:`,
# and no blanks or control characters anywhere.
URL_CHAR = rf"[^{CONTROL} ]"
URL = f"^{ci('http')}[sS]?://(?![/?#:]){URL_CHAR}+$"

HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
STATUS = "[1-5][0-9]{2}"


def described(text: str, **schema) -> dict:
    return {"description": text, **schema}


def ref(name: str, text: str | None = None, **extra) -> dict:
    schema = {"$ref": f"#/$defs/{name}", **extra}
    if text:
        schema["description"] = text
    return schema


def build_schema() -> dict:
    duration_forms = "`250ms`, `30s`, `5m`, `1h30m`, `1.5s`, `2d`, or a bare number of seconds (`300`)"
    defs = {
        "duration": described(
            f"A duration, not negative: numbers with units `ms`, `s`, `m`, `h`, `d`, each unit at most once "
            f"({duration_forms}).",
            anyOf=[
                {"type": "string", "pattern": whole(DURATION, r" \t")},
                {"type": "number", "minimum": 0, "maximum": MAX_DURATION_SECONDS},
            ],
            examples=["250ms", "30s", "5m", "1h30m", "2d", 300],
        ),
        "positiveDuration": described(
            f"A duration greater than zero ({duration_forms}); `0`, `0s` and `0ms` are not allowed.",
            anyOf=[
                {"type": "string", "pattern": whole(NONZERO + DURATION, r" \t")},
                {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_DURATION_SECONDS},
            ],
            examples=["30s", "5m", "1h30m", 300],
        ),
        "timestamp": described(
            "A date (`2026-12-01`, midnight) or date and time: `2026-12-01T02:00`, `2026-12-01 02:00:00`, "
            "`2026-12-01T02:00:00.5`, optionally with an offset (`Z`, `+01:00`, `-0500`). Without an offset "
            "it is a wall-clock time in `timezone`.",
            type="string", pattern=whole(TIMESTAMP),
        ),
        "offset": described(
            "`+` and a duration, counted from jobrun's start (`+10s`, `+1h30m`).",
            type="string", pattern=whole(r"\+ *" + DURATION),
        ),
        "schedule": described(
            "When the first run is due: `now`, an offset from start (`+10s`), a timestamp, a cron expression "
            "with 5 fields (`*/15 9-17 * * mon-fri`) or 6 fields with leading seconds (`30 */5 * * * *`), a macro "
            "(`@hourly`, `@daily`, `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually`) or an interval "
            "(`@every 5m`), or `never` (only when triggered by `on_failure`/`on_success`). Cron and `@every` "
            "repeat by themselves and cannot be combined with `repeat`.",
            anyOf=[
                described("At start.", type="string", pattern=whole("now")),
                described("No run of its own: the task runs only when another task's `on_failure` or "
                          "`on_success` triggers it.", type="string", pattern=whole("never")),
                ref("offset"),
                ref("timestamp"),
                ref("recurringSchedule"),
            ],
            default="now",
            examples=["now", "+10s", "2026-12-01T02:00:00Z", "2026-12-01 02:00", "0 2 * * *",
                      "*/15 9-17 * * mon-fri", "30 */5 * * * *", "@daily", "@every 5m"],
        ),
        "recurringSchedule": described(
            "A schedule that repeats by itself: cron (5 or 6 fields), a cron macro or `@every`.",
            anyOf=[
                described("Cron, 5 fields: minute hour day-of-month month day-of-week (Vixie/Debian cron: "
                          "`*`, values, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n`, lists, month and weekday "
                          "names in any case, 0 and 7 are Sunday).",
                          type="string", pattern=CRON5),
                described("Cron, 6 fields: second minute hour day-of-month month day-of-week.",
                          type="string", pattern=CRON6),
                described("Cron macro, in any case: `@hourly` is `0 * * * *`, `@daily`/`@midnight` `0 0 * * *`, "
                          "`@weekly` `0 0 * * 0`, `@monthly` `0 0 1 * *`, `@yearly`/`@annually` `0 0 1 1 *`.",
                          type="string", pattern=MACRO),
                described("`@every <duration>` (greater than zero): one interval after start, then every interval.",
                          type="string", pattern=EVERY),
            ],
        ),
        "env": described(
            "Environment variables: a map of name to value. Numbers and booleans are taken as written "
            "(`PORT: 8080` is \"8080\").",
            type="object",
            propertyNames={"minLength": 1},
            additionalProperties={"type": SCALAR, "description": "The variable's value."},
        ),
        "name": described(
            "Task name: 1-128 characters, no control characters, unique within the file. Used in logs, "
            "the report, `--only` and `after`.",
            type=TEXT, minLength=1, maxLength=128, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$",
        ),
        "stringList": {
            "type": "array",
            "items": {"type": TEXT, "minLength": 1},
        },
        "line": described("A non-empty string on one line.", type=TEXT, pattern=NON_EMPTY_LINE),
        "mailbox": described(
            "An email address: `user@host` or `Display Name <user@host>`.",
            type="string", pattern=MAILBOX,
        ),
        "timeout": ref("positiveDuration", "Limit for one attempt; when it passes the process group gets "
                       "SIGTERM, then SIGKILL after `kill_grace`. Default: none."),
        "kill_grace": ref("duration", "After SIGTERM on timeout or shutdown, how long before SIGKILL.",
                          default="5s"),
        "retries": described("Further attempts after a failed or timed-out one (0-100).",
                             type="integer", minimum=0, maximum=100, default=0),
        "retry_delay": ref("duration", "Wait before the first retry.", default="1s"),
        "backoff": described("`fixed`: every retry waits `retry_delay`; `exponential`: the delay doubles each "
                             "retry, capped at `max_retry_delay`.",
                             enum=["fixed", "exponential"], default="exponential"),
        "max_retry_delay": ref("duration", "Cap on the delay between retries.", default="5m"),
        "priority": described("0-100; lower runs first when more runs are due than workers are free.",
                              type="integer", minimum=0, maximum=100, default=50),
        "overlap": described("When a run comes due while the previous run of the same task is still queued or "
                             "running: `skip` drops it (recorded as `skipped`), `queue` queues it behind, "
                             "`allow` runs it alongside.",
                             enum=["skip", "queue", "allow"], default="skip"),
        "working_dir": ref("line", "Working directory of the process (command and email tasks). "
                           "Default: jobrun's own."),
        "shell": ref("line", "Shell that runs a string `command` as `<shell> -c <string>`.", default="/bin/sh"),
        "catch_up": described("With a store (`state:`): what becomes of due instants that passed while no jobrun "
                              "was running. `none`: none runs, one `skipped` record says how many were missed; "
                              "`latest`: the most recent runs at start; `all`: each runs, oldest first, up to "
                              "`catch_up_limit`.",
                              enum=["none", "latest", "all"], default="none"),
        "catch_up_within": ref("positiveDuration", "With a store: missed instants older than this, before the start, "
                               "are never made up.", default="24h"),
        "catch_up_limit": described("With a store and `catch_up: all`: at most this many missed instants run "
                                    "(the most recent ones).",
                                    type="integer", minimum=1, maximum=100000, default=100),
        "on_failure": ref("stringList", "Tasks of the file to run once when a run of this task ends failed, "
                          "timed out or abandoned (after its retries). The triggered run gets "
                          "`JOBRUN_EVENT_TASK`, `_RUN`, `_STATUS`, `_ERROR` and `_OUTPUT`; its own outcome "
                          "triggers nothing."),
        "on_success": ref("stringList", "Tasks of the file to run once when a run of this task succeeds "
                          "(as `on_failure`)."),
        "defaults": described(
            "Values used by every task that does not set the key itself.",
            type="object", additionalProperties=False,
            properties={
                "timeout": ref("timeout"),
                "kill_grace": ref("kill_grace"),
                "retries": ref("retries"),
                "retry_delay": ref("retry_delay"),
                "backoff": ref("backoff"),
                "max_retry_delay": ref("max_retry_delay"),
                "priority": ref("priority"),
                "overlap": ref("overlap"),
                "env": ref("env", "Environment added to every task (after top-level `env`, before the task's `env`)."),
                "working_dir": ref("working_dir"),
                "shell": ref("shell"),
                "catch_up": ref("catch_up"),
                "catch_up_within": ref("catch_up_within"),
                "catch_up_limit": ref("catch_up_limit"),
                "on_failure": ref("on_failure", "`on_failure` of every task that neither sets its own nor is "
                                  "named by an `on_failure`/`on_success` itself."),
                "on_success": ref("on_success", "`on_success` of every task that neither sets its own nor is "
                                  "named by an `on_failure`/`on_success` itself."),
            },
        ),
        "http": described(
            "The HTTP request of an `http` task. Success is a 2xx status or one listed in `expect_status`.",
            type="object", additionalProperties=False, required=["url"],
            properties={
                "url": described("The URL; `http://` or `https://` only.", type="string", pattern=URL),
                "method": described(
                    "HTTP method, in any case.",
                    type="string", pattern="^" + one_of(*map(ci, HTTP_METHODS)) + "$",
                    default="POST", examples=HTTP_METHODS,
                ),
                "headers": described(
                    "Request headers: name to value.",
                    type="object", propertyNames={"minLength": 1},
                    additionalProperties={"type": SCALAR},
                ),
                "body": described("Request body, sent as is.", type=TEXT),
                "timeout": ref("positiveDuration", "Limit for the request."),
                "follow_redirects": described(
                    "Follow up to 5 redirects (to another origin without the task's headers and body); "
                    "false: the 3xx is the response.",
                    type="boolean", default=True,
                ),
                "expect_status": described(
                    "Statuses that count as success: one or a list of statuses (`204`) or ranges "
                    "(`\"200-299\"`).",
                    anyOf=[
                        ref("httpStatus"),
                        {"type": "array", "items": ref("httpStatus")},
                    ],
                    examples=[204, "200-299", [200, 204, "300-399"]],
                ),
            },
        ),
        "httpStatus": described(
            "An HTTP status (100-599) or a range of them as a string (`\"200-299\"`).",
            anyOf=[
                {"type": "integer", "minimum": 100, "maximum": 599},
                {"type": "string", "pattern": whole(f"{STATUS}(?:-{STATUS})?", r" \t")},
            ],
        ),
        "email": described(
            "The message of an `email` task, piped to `sendmail -t -i`.",
            type="object", additionalProperties=False, required=["to"],
            properties={
                "to": described("Recipients: one address or a non-empty list.",
                                anyOf=[ref("mailbox"), {"type": "array", "minItems": 1, "items": ref("mailbox")}]),
                "cc": described("Carbon-copy recipients: one address or a list.",
                                anyOf=[ref("mailbox"), {"type": "array", "items": ref("mailbox")}]),
                "from": ref("mailbox", "Sender address (From:)."),
                "subject": described("Subject line.", type=TEXT, pattern=SINGLE_LINE),
                "body": described("Message body (plain text).", type=TEXT),
                "sendmail": ref("line", "Path of the sendmail-compatible program. "
                                "Default: `$JOBRUN_SENDMAIL`, else `/usr/sbin/sendmail`."),
            },
        ),
        "task": described(
            "One task: what to run and when.",
            type="object", additionalProperties=False, required=["name"],
            properties={
                "name": ref("name"),
                "type": described("Which executor runs the task: `command` (a process), `http` (a request), "
                                  "`email` (a message via sendmail).",
                                  enum=["command", "http", "email"], default="command"),
                "command": described(
                    "What a `command` task runs: a list is argv, run directly and found on `PATH`; "
                    "a string runs as `<shell> -c <string>`.",
                    oneOf=[
                        {"type": TEXT, "minLength": 1, "pattern": r"[^ \t]"},
                        {"type": "array", "minItems": 1, "items": {"type": TEXT, "minLength": 1}},
                    ],
                ),
                "shell": ref("shell"),
                "output": ref("line", "File that receives stdout, written beside it and renamed into place "
                              "only when the attempt succeeds (command tasks)."),
                "http": ref("http"),
                "email": ref("email"),
                "schedule": ref("schedule"),
                "repeat": ref("positiveDuration", "Run again every interval, measured from each run's due "
                              "time (fixed rate). Not with a cron or `@every` schedule."),
                "count": described("Total runs. Default: 1 without `repeat`/cron, unlimited with them.",
                                   type="integer", minimum=1),
                "until": described("No run is due after this instant: a timestamp or `+duration` from start.",
                                   anyOf=[ref("timestamp"), ref("offset")]),
                "priority": ref("priority"),
                "timeout": ref("timeout"),
                "kill_grace": ref("kill_grace"),
                "retries": ref("retries"),
                "retry_delay": ref("retry_delay"),
                "backoff": ref("backoff"),
                "max_retry_delay": ref("max_retry_delay"),
                "jitter": ref("duration", "Each due time moves later by a random amount up to this, "
                              "to spread load.", default=0),
                "overlap": ref("overlap"),
                "after": ref("stringList", "Names of tasks that must finish all their runs successfully before "
                             "this task's first run; if one failed, this task's runs are recorded as `skipped`.",
                             default=[]),
                "enabled": described("`false`: validated but never run.", type="boolean", default=True),
                "tags": ref("stringList", "Labels for `--tag`.", default=[]),
                "catch_up": ref("catch_up"),
                "catch_up_within": ref("catch_up_within"),
                "catch_up_limit": ref("catch_up_limit"),
                "on_failure": ref("on_failure"),
                "on_success": ref("on_success"),
                "env": ref("env", "Environment for this task (command and email), added after top-level "
                           "`env` and `defaults.env`."),
                "working_dir": ref("working_dir"),
            },
            allOf=[
                {
                    "description": "A command task (the default type) runs `command` and takes no `http` or `email`.",
                    "if": {"properties": {"type": {"const": "command"}}},
                    "then": {"required": ["command"], "properties": {"http": False, "email": False}},
                },
                {
                    "description": "An http task sends `http` and takes no `command`, `output` or `email`.",
                    "if": {"properties": {"type": {"const": "http"}}, "required": ["type"]},
                    "then": {"required": ["http"], "properties": {"command": False, "output": False, "email": False}},
                },
                {
                    "description": "An email task sends `email` and takes no `command`, `output` or `http`.",
                    "if": {"properties": {"type": {"const": "email"}}, "required": ["type"]},
                    "then": {"required": ["email"], "properties": {"command": False, "output": False, "http": False}},
                },
                {
                    "description": "`repeat` cannot be combined with a cron or `@every` schedule: they repeat already.",
                    "if": {"properties": {"schedule": ref("recurringSchedule")}, "required": ["schedule"]},
                    "then": {"not": {"required": ["repeat"]}},
                },
                {
                    "description": "A `schedule: never` task has no schedule for `repeat`, `count`, `until`, "
                                   "`jitter` or `catch_up*` to shape.",
                    "if": {"properties": {"schedule": {"type": "string", "pattern": whole("never")}},
                           "required": ["schedule"]},
                    "then": {"not": {"anyOf": [{"required": [k]} for k in
                                               ["repeat", "count", "until", "jitter", "catch_up",
                                                "catch_up_within", "catch_up_limit"]]}},
                },
            ],
        ),
    }

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://jobrun.dev/schemas/jobs.schema.json",
        "title": "jobrun jobs file",
        "description": "A jobrun jobs file (format version 1): top-level settings and the list of tasks to "
                       "schedule and run. See the README, section 'The jobs file'. Checks that need the whole file (unique task "
                       "names, known and acyclic `after`, time zones that exist, cron expressions that can fire) "
                       "are left to `jobrun --validate`.",
        "type": "object",
        "additionalProperties": False,
        "required": ["tasks"],
        "properties": {
            "version": described("Format version. Only 1 exists; any other value is an error.", const=1, default=1),
            "name": ref("line", "The file's namespace in a store, so one store serves several files. "
                        "Default: the file's base name without extension."),
            "state": ref("line", "The store: an SQLite file that keeps every run across restarts, created mode 0600. "
                         "`--state` overrides it."),
            "keep_history": ref("positiveDuration", "With a store: runs due longer ago than this are pruned, "
                                "in small batches.", default="30d"),
            "listen": described("Where `/metrics` (Prometheus), `/healthz` and `/status` are served over HTTP: "
                                "`HOST:PORT`, `[IPv6]:PORT`, or `:PORT` for 127.0.0.1. `--listen` overrides it. "
                                "Default: not served.",
                                type="string", pattern=whole(r"(?:\[[0-9A-Fa-f:.]+\]|[^ :/\[\]]*):[0-9]{1,5}"),
                                examples=[":9090", "0.0.0.0:9090", "[::1]:9090"]),
            "workers": described("Size of the worker pool: how many runs execute at the same time. "
                                 "`--workers` overrides it.",
                                 type="integer", minimum=1, maximum=1024, default=3),
            "timezone": described(
                "IANA time zone name (e.g. `Europe/Berlin`, `UTC`) for cron schedules and local timestamps. "
                "Default: `$TZ`, else UTC.",
                type="string", pattern=r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*$",
                examples=["UTC", "Europe/Berlin", "America/New_York"],
            ),
            "report": ref("line", "Path of the JSON report, relative to the current directory. "
                          "`--report` overrides it.", default="jobrun-report.json"),
            "report_runs": described("How many of each task's last runs the report lists; earlier ones are "
                                     "counted in the totals and in the task's `omitted_runs`, so memory stays "
                                     "flat however long jobrun runs.",
                                     type="integer", minimum=0, maximum=1000000, default=1000),
            "shutdown_grace": ref("duration", "On SIGINT or SIGTERM, how long running jobs get before SIGKILL.",
                                  default="10s"),
            "env": ref("env", "Environment variables added to every task's process environment "
                       "(before `defaults.env` and the task's `env`)."),
            "defaults": ref("defaults", "Values for every task that does not set the key itself: timeout, "
                            "kill_grace, retries, retry_delay, backoff, max_retry_delay, priority, overlap, "
                            "env, working_dir, shell, catch_up, catch_up_within, catch_up_limit, on_failure, "
                            "on_success."),
            "tasks": described("The tasks to run. Required and non-empty; task names are unique within the file.",
                               type="array", minItems=1, items=ref("task")),
        },
        "$defs": defs,
    }


FIRST_KEYS = ["$schema", "$id", "title", "description", "$ref", "type"]


def ordered(node):
    """Puts the keys a reader looks for first at the top of every object."""
    if isinstance(node, dict):
        keys = [k for k in FIRST_KEYS if k in node] + [k for k in node if k not in FIRST_KEYS]
        return {k: ordered(node[k]) for k in keys}
    if isinstance(node, list):
        return [ordered(x) for x in node]
    return node


def patterns(node):
    """Every `pattern` in the schema, to check that each one compiles."""
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from patterns(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"where to write the schema (default: {DEFAULT_OUTPUT.relative_to(ROOT)})")
    args = parser.parse_args()
    schema = ordered(build_schema())
    for pattern in patterns(schema):
        re.compile(pattern)
    text = json.dumps(schema, indent=2, ensure_ascii=True) + "\n"
    args.output.write_text(text)


if __name__ == "__main__":
    main()
