"""The only package that imports the Docker SDK: the gateway (`gateway`), endpoints and contexts
(`endpoints`), and the live-state types (`live`), which need no SDK. This file imports nothing, so
`composeswarm.engine.live` can be used without docker installed."""
