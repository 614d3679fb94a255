"""Tokenize one SIE record (line) exactly as the specification's reference tokenizer does.

This is the careful path: every line the vectorised fast path in `sie.py` does not claim is read
here, and the fast path is tested to give identical values on every sample file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Quoted (\" is the only escape, an unterminated quote runs to the end of the line), a brace,
# or an unquoted run. Whitespace is only space, tab, CR and LF: a no-break space is text.
_TOKEN = re.compile(r'"((?:\\"|[^"])*)"?|([{}])|([^ \t\r\n"{}]+)')

ObjectList = list[str]
Field = str | ObjectList


@dataclass(frozen=True)
class Record:
    """One SIE record: its upper-cased label and its fields.

    A field is a string (quotes removed, `\\"` unescaped) or, for `{...}`, the list of the
    object-list members in order.
    """

    label: str
    fields: list[Field]

    def text(self, index: int) -> str | None:
        """The field at `index` as text, None when missing, empty (`""`) or an object list."""
        if index >= len(self.fields):
            return None
        value = self.fields[index]
        if isinstance(value, list) or value == "":
            return None
        return value

    def objects(self, index: int) -> ObjectList | None:
        """The object list at `index`, None when that field is not a `{...}` group."""
        if index >= len(self.fields):
            return None
        value = self.fields[index]
        return value if isinstance(value, list) else None


def object_members(body: str) -> ObjectList:
    """The members of an object list's body (the text between `{` and `}`), quotes removed.

    Args:
        body: e.g. `1 "10" 6 "P 1"` from `{1 "10" 6 "P 1"}`.
    """
    return [
        quoted.replace('\\"', '"') if quoted is not None else unquoted
        for quoted, brace, unquoted in (match.groups() for match in _TOKEN.finditer(body))
        if brace is None
    ]


def tokenize_record(line: str) -> Record | None:
    """Split one line into a `Record`; None for a blank line.

    Args:
        line: one line of decoded text, with or without its line ending.

    Returns:
        The record; its label is the first token upper-cased (it starts with `#` for every
        real record; callers decide what a line without one means).
    """
    fields: list[Field] = []
    group: ObjectList | None = None
    for match in _TOKEN.finditer(line):
        quoted, brace, unquoted = match.groups()
        if brace == "{":
            group = []
            fields.append(group)
        elif brace == "}":
            group = None
        else:
            value = quoted.replace('\\"', '"') if quoted is not None else unquoted
            if group is not None:
                group.append(value)
            else:
                fields.append(value)
    if not fields:
        return None
    label = fields[0]
    if isinstance(label, list):
        return Record(label="", fields=fields)
    return Record(label=label.upper(), fields=fields[1:])
