"""Bounded reads of the files the loader and the converter open (STYLE.md rule 13).

Every file is read through `read_bounded`: at most `limit` bytes are kept, so `-f /dev/zero` or a
secret `file: /dev/zero` is refused instead of filling memory. Text is decoded by `decode_utf8`,
which says where the first byte that is not UTF-8 is.
"""

from __future__ import annotations

from typing import BinaryIO

KIB = 1024
MIB = 1024 * KIB
# A compose file: the largest real stack files are a few hundred KB; at 1 MiB the loader's worst
# case (a file of one-character nodes) stays under 200 MB of memory (yamltree.MAX_ITEMS stops it).
MAX_COMPOSE_FILE = 1 * MIB
# .env, --env-file and env_file: files of KEY=VALUE lines.
MAX_ENV_FILE = 1 * MIB


class TooLarge(Exception):
    """The file has more than `limit` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {size_text(limit)}")
        self.limit = limit


class NotUTF8(Exception):
    """The text is not UTF-8; `line` and `column` (from 1) say where, `byte` what."""

    def __init__(self, line: int, column: int, byte: int) -> None:
        super().__init__(f"not UTF-8 text (byte 0x{byte:02x})")
        self.line = line
        self.column = column


def size_text(size: int) -> str:
    """A limit as people say it: `1 MiB (1048576 bytes)`, `500 KiB (512000 bytes)`."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if size % unit == 0:
            return f"{size // unit} {name} ({size} bytes)"
    return f"{size} bytes"


def read_stream(stream: BinaryIO, limit: int) -> bytes:
    """At most `limit` bytes of `stream`; TooLarge when it has more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(limit)
    return data


def read_bounded(path: str, limit: int) -> bytes:
    """The bytes of the file at `path`; TooLarge past `limit`, OSError as open raises it.

    A path with a NUL byte (possible in a double-quoted YAML string) is an OSError too, as Go's
    open reports it, rather than Python's ValueError.
    """
    if "\x00" in path:
        raise OSError(22, "invalid argument (the path contains a NUL byte)")
    with open(path, "rb") as fh:
        return read_stream(fh, limit)


def decode_utf8(data: bytes) -> str:
    """UTF-8 text (a leading BOM dropped); NotUTF8 with the position of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        before = data[:start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise NotUTF8(line, column, data[start]) from None
