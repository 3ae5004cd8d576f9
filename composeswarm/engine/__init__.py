"""The only package that imports the Docker SDK: the gateway (`gateway`), endpoints and contexts
(`endpoints`), which calls are tried again (`retry`) and the live-state types (`live`); the last two
need no SDK. This file imports nothing, so `composeswarm.engine.live` and `composeswarm.engine.retry`
can be used without docker installed."""
