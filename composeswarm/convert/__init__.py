"""Project -> the engine specs `docker stack deploy` would send, one file per concern. Pure: IDs the
engine assigns come in later, as data (`act.bind`)."""
