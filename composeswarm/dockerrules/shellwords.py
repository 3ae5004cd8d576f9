"""Split a `command`/`entrypoint` string as docker's loader does (github.com/google/shlex).

Differences from Python's `shlex.split`: a `#` starts a comment only at the start of a word, and
inside double quotes a backslash makes any next character literal (and is dropped).
"""

from __future__ import annotations

from composeswarm.errors import ConvertError

_SPACE = " \t\r\n"


def split_words(text: str) -> list[str]:
    """The words of `text`; ConvertError with google/shlex's message for an unfinished quote or escape."""
    words: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            i += 1
            continue
        if ch == "#":
            # a comment runs to the end of the line
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        word: list[str] = []
        state = "word"
        while i < n:
            ch = text[i]
            i += 1
            if state == "word":
                if ch in _SPACE:
                    break
                if ch == '"':
                    state = "double"
                elif ch == "'":
                    state = "single"
                elif ch == "\\":
                    state = "escape"
                else:
                    word.append(ch)
            elif state == "escape":
                word.append(ch)
                state = "word"
            elif state == "double":
                if ch == '"':
                    state = "word"
                elif ch == "\\":
                    state = "double-escape"
                else:
                    word.append(ch)
            elif state == "double-escape":
                word.append(ch)
                state = "double"
            else:  # single
                if ch == "'":
                    state = "word"
                else:
                    word.append(ch)
        if state in ("escape", "double-escape"):
            raise ConvertError((), "EOF found after escape character")
        if state in ("double", "single"):
            raise ConvertError((), "EOF found when expecting closing quote")
        words.append("".join(word))
    return words
