"""Text cells of CSV files meant for spreadsheets: formula injection neutralised, reversibly.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return before one) as a formula: ``=HYPERLINK("http://…")`` in a free-text field of an
export would execute when a data manager opens the file.  Following the OWASP advice [1]_,
such a cell is written with a leading apostrophe, which spreadsheets show as text.

The escape is reversible so that import of an export is an exact round trip:

- written: a cell starting with a trigger character gets one more leading ``'`` (a plain
  number such as ``-3.5`` is left alone: it is data, not a formula), and so does a cell
  already made of apostrophes followed by a trigger character (``'=x`` → ``''=x``);
- read: a cell of one or more ``'`` followed by a trigger character loses one ``'``.

References
----------
.. [1] OWASP, "CSV Injection". https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import re

#: First characters that make a spreadsheet evaluate a cell (OWASP [1]).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z", re.ASCII)


def _after_quotes(text: str) -> tuple[int, str]:
    rest = text.lstrip("'")
    return len(text) - len(rest), rest


def neutralise(text: str) -> str:
    """``text`` safe for a spreadsheet cell (see the module docstring); exact inverse:
    :func:`restore`."""
    if not text or (text[0] not in TRIGGERS and text[0] != "'"):
        return text
    quotes, rest = _after_quotes(text)
    if not rest.startswith(TRIGGERS):
        return text
    if quotes == 0 and _NUMBER.match(text):
        return text
    return "'" + text


def restore(text: str) -> str:
    """The cell as it was before :func:`neutralise`."""
    if not text.startswith("'"):
        return text
    _quotes, rest = _after_quotes(text)
    return text[1:] if rest.startswith(TRIGGERS) else text
