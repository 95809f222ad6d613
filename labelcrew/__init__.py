"""labelcrew: runs a data-labeling team the way the best annotation operations are run."""

__version__ = "0.1.0"
