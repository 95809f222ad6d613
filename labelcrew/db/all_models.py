"""Imports every models module so that Base.metadata knows all tables (for Alembic and tests).

Each capability keeps its tables in its own module `labelcrew/db/models/<capability>.py`; add
one import line here per module.
"""

from labelcrew.db.models import (  # noqa: F401
    calibration,
    core,
    feedback,
    guidelines,
    login,
    metrics,
    platform,
    predictions,
    quality,
    releases,
    sessions,
    teamops,
)
