"""activelearn: active learning on files."""

__version__ = "0.1.0"
