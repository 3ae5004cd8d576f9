"""composeswarm: deploy docker-compose v3 files to Docker Swarm."""

__version__ = "0.1.0"
