"""Carry out a Plan (resolve images, apply in waves, bind IDs) and follow the rollout (a pure
assessment and a polling watcher). Talks to the engine through a gateway it is given."""
