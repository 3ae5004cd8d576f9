"""Environment files, as docker reads them: `.env` / `--env-file` for interpolation (dotenv rules),
and a service's `env_file` (docker's kvfile rules). The two formats differ on purpose, as docker's do."""

from __future__ import annotations

from collections.abc import Mapping

from composeswarm.errors import Issue
from composeswarm.load.reading import MAX_ENV_FILE, NotUTF8, TooLarge, decode_utf8, read_bounded


def read_dotenv(path: str, issues: list[Issue], required: bool) -> dict[str, str]:
    """Variables from a .env / --env-file file: KEY=VALUE lines, optional `export`, quotes removed."""
    try:
        lines = decode_utf8(read_bounded(path, MAX_ENV_FILE)).splitlines()
    except OSError as exc:
        if required:
            issues.append(Issue(path, None, None, (), f"cannot read env file: {exc.strerror}"))
        return {}
    except TooLarge as exc:
        issues.append(Issue(path, None, None, (), f"cannot read env file: {exc}"))
        return {}
    except NotUTF8 as exc:
        issues.append(Issue(path, exc.line, exc.column, (), f"cannot read env file: {exc}"))
        return {}
    out: dict[str, str] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or any(c.isspace() for c in key):
            issues.append(Issue(path, number, 1, (), f"invalid line {raw.strip()!r}: expected KEY=VALUE"))
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote, value = value[0], value[1:-1]
            if quote == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out[key] = value
    return out


def read_env_file(path: str, environ: Mapping[str, str]) -> tuple[dict[str, str | None], str | None]:
    """A `docker run --env-file` file (docker's kvfile): KEY=VALUE verbatim; a bare KEY comes
    from the shell and is left out when the shell does not have it. Returns the values read and
    the problem that stopped the reading, if any."""
    try:
        raw = read_bounded(path, MAX_ENV_FILE)
    except OSError as exc:
        return {}, f"cannot read env file {path}: {exc.strerror}"
    except TooLarge as exc:
        return {}, f"cannot read env file {path}: {exc}"
    out: dict[str, str | None] = {}
    # bufio.Scanner lines: split on \n, a trailing \r dropped
    for number, data in enumerate(raw.split(b"\n"), 1):
        data = data[:-1] if data.endswith(b"\r") else data
        if number == 1 and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            line = data.decode("utf-8")
        except UnicodeDecodeError:
            return out, f"invalid env file ({path}): invalid utf8 bytes at line {number}"
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not key:
            return out, f"invalid env file ({path}): no variable name on line '{line}'"
        if " " in key or "\t" in key:
            return out, f"invalid env file ({path}): variable '{key}' contains whitespaces"
        if sep:
            out[key] = value
        elif key in environ:
            out[key] = environ[key]
    return out, None
