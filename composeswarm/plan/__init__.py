"""Desired specs against live state -> a `Plan` (data): the comparison view, the changes, rotation of
secrets and configs, sensitivity, the `depends_on` waves. Pure."""
