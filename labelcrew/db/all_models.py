"""Imports every models module so that Base.metadata knows all tables (for Alembic and tests).

Each capability keeps its tables in its own module `labelcrew/db/models_<capability>.py`; add
one import line here per module.
"""

from labelcrew.db import (
    models,  # noqa: F401
    models_feedback,  # noqa: F401
    models_login,  # noqa: F401
    models_loops,  # noqa: F401
    models_metrics,  # noqa: F401
    models_quality,  # noqa: F401
    models_releases,  # noqa: F401
    models_security,  # noqa: F401
    models_teamops,  # noqa: F401
)
