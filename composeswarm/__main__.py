"""python -m composeswarm."""

from composeswarm.cli import main

main()
