"""Whole numbers in the path or query string must fit the database's integer columns.

FastAPI checks that `item_id` is an int, not that it fits: 10**30 reached SQLite and PostgreSQL
and came back as a 500 (OverflowError on SQLite; on PostgreSQL, whose id columns are 32-bit
INTEGER, already 2**31 gave NumericValueOutOfRange). One app-wide dependency refuses
such a number with a 422 that names the parameter, before any handler runs."""

from __future__ import annotations

from fastapi import Request

from labelcrew.errors import ValidationFailed

LIMIT = 2**31 - 1  # PostgreSQL's INTEGER, the type of every id column


def _too_big(raw: str) -> bool:
    digits = raw[1:] if raw[:1] in "+-" else raw
    # 10 digits is where 31 bits end; shorter strings cannot overflow, so most skip int().
    return len(digits) >= 10 and digits.isdigit() and int(digits) > LIMIT


async def check(request: Request) -> None:
    for source, values in (("path", request.path_params), ("query", request.query_params)):
        for name, raw in values.items():
            if isinstance(raw, str) and _too_big(raw):
                raise ValidationFailed(
                    f"{name}: {raw[:40]} is out of range (at most {LIMIT})",
                    code="out_of_range",
                    field=name,
                    details={"in": source},
                )
