"""python -m composeswarm."""

from composeswarm.cli import entry

entry()
