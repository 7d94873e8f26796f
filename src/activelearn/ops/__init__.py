"""One core function per command; each returns a result dataclass that the CLI renders."""

from .importing import import_labels, plan_import
from .initialize import init_project
from .querying import query
from .reporting import status
from .training import train

__all__ = ["import_labels", "init_project", "plan_import", "query", "status", "train"]
