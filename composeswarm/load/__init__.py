"""Files -> one validated `Project`: find and read (YAML with positions), .env and env files,
interpolate, schema, short syntax, merge, checks, the model. Pure given the files."""
