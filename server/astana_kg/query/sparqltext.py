"""A SPARQL text read as the query engine reads it: tokens, the calls it makes, and rewriting them.

The safety checks and the rewrite of SERVICE and LOAD endpoints to the loopback proxy work on
one token stream, made by the lexer here to the terminals of the SPARQL 1.1 grammar as
pyoxigraph implements them, so that what is checked and what is rewritten are what the engine
will run:

- a comment runs from ``#`` to the end of the line, and a carriage return ends a line
  (``EOL ::= [#xA#xD]``);
- codepoint escapes (``\\u0041``, ``\\U00000041``) are read inside IRIs and strings only, where
  the engine reads them (pyoxigraph does not expand them elsewhere);
- a prefixed name may hold escaped characters (``ex:a\\#b`` is one name, not a comment);
- ``<`` is an IRI's opening bracket, except inside an expression right after an operand, where
  it is the less-than operator (``FILTER(?a<?b)``).

A test runs pyoxigraph itself on generated texts (comments, strings, escapes, line breaks around
SERVICE, LOAD and PREFIX) and checks that the engine calls exactly the endpoints this module
finds.

>>> [t.kind for t in tokens('SELECT * { ?s ex:p\\\\#x "}" } # {') if t.kind != "ws"]
['word', 'other', 'open', 'var', 'pname', 'string', 'close', 'comment']
>>> calls('PREFIX w: <https://w.example/> SELECT * { SERVICE SILENT w:sparql { ?s ?p ?o } }', "query")
[Call(keyword='SERVICE', endpoint='https://w.example/sparql', start=57, end=65, silent=True, variable=False)]
>>> calls('SELECT * { #\\rSERVICE <http://a.example/> {} }', "query")[0].endpoint
'http://a.example/'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .problems import bad_request

#: Deeper nesting of ``{``, ``(`` and ``[`` than this is refused before the engine sees it (its
#: recursive-descent parser overflows its stack past about 2,000 levels).
MAX_NESTING = 256

_PN_CHARS_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
                  "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PN_PREFIX = rf"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"""\\[tbnrf\\"']"""

_TOKEN = re.compile(
    r"(?P<ws>[\x20\t\r\n]+)"
    r"|(?P<comment>#[^\r\n]*)"
    rf"|(?P<iri><(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)"
    rf"|(?P<string>\"\"\"(?:(?:\"|\"\")?(?:[^\"\\]|{_ECHAR}|{_UCHAR}))*\"\"\""
    rf"|'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*'''"
    rf"|\"(?:[^\"\\\n\r]|{_ECHAR}|{_UCHAR})*\""
    rf"|'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*')"
    rf"|(?P<var>[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*)"
    rf"|(?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)"
    rf"|(?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)"
    r"|(?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)"
    r"|(?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<open>\{)|(?P<close>\})"
    r"|(?P<other>.)",
    re.DOTALL,
)

#: Tokens after which ``<`` inside an expression is the less-than operator.
_OPERAND_END = {"var", "iri", "pname", "string", "lang", "number", "bnode"}


@dataclass(frozen=True)
class Token:
    kind: str   # ws, comment, iri, string, var, bnode, pname, lang, number, word, open, close, other
    text: str
    start: int
    end: int

    @property
    def keyword(self) -> str:
        """The keyword a word token is, upper-cased ("" for other tokens)."""
        return self.text.upper() if self.kind == "word" else ""


def tokens(text: str) -> list[Token]:
    """The tokens of a SPARQL text, with white space and comments kept (so their spans tile the text)."""
    out: list[Token] = []
    stack: list[str] = []  # "{", "(", "[" and "values" (a VALUES data block's parentheses)
    previous = None  # the last significant token
    values_pending = False
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        kind = match.lastgroup
        if kind == "iri" and stack and stack[-1] == "(" and previous is not None and (
                previous.kind in _OPERAND_END or previous.text in (")", "]")):
            match = re.compile(r"<").match(text, position)  # the less-than operator
            kind = "other"
        token = Token(kind, match.group(0), match.start(), match.end())
        out.append(token)
        position = match.end()
        if kind in ("ws", "comment"):
            continue
        if kind == "open":
            stack.append("values" if values_pending else "{")
            values_pending = False
        elif kind == "close" or token.text in (")", "]"):
            if stack:
                stack.pop()
        elif token.text == "(":
            stack.append("values" if stack and stack[-1] == "values" else "(")
        elif token.text == "[":
            stack.append("[")
        elif token.keyword == "VALUES":
            values_pending = True
        if len(stack) > MAX_NESTING:
            raise bad_request(f"the text nests brackets more than {MAX_NESTING} deep (at character {token.start})")
        previous = token
    return out


def _unescape_iri(token: str) -> str:
    return re.sub(_UCHAR, lambda m: chr(int(m.group(0)[2:], 16)), token[1:-1])


def _unescape_local(local: str) -> str:
    return re.sub(r"\\(.)", r"\1", local)


@dataclass(frozen=True)
class Call:
    """A SERVICE or LOAD that the engine would make: where its endpoint token stands, and what it names."""

    keyword: str        # "SERVICE" or "LOAD"
    endpoint: str       # the IRI, prefixes expanded and escapes read ("" for a variable)
    start: int          # the endpoint token's span in the text
    end: int
    silent: bool
    variable: bool      # SERVICE ?var: the endpoint is chosen by the data


def _significant(toks: list[Token]) -> list[Token]:
    return [t for t in toks if t.kind not in ("ws", "comment")]


def calls(text: str, operation: str) -> list[Call]:
    """Every SERVICE and LOAD the engine itself would call, in text order.

    A SERVICE nested in another SERVICE's group is not one of them: it travels, as text, to the
    outer endpoint, which calls it. Prefixes are those the text declares before the call (in an
    update, every operation's prologue adds to them). An endpoint the lexer cannot read (a
    prefixed name with an undeclared prefix, a missing IRI) is a 400.
    """
    toks = _significant(tokens(text))
    prefixes: dict[str, str] = {}
    found: list[Call] = []
    depth = 0
    inside_service = None  # the depth at which the group of the SERVICE being read closes
    pending_group = False
    i = 0
    while i < len(toks):
        token = toks[i]
        keyword = token.keyword
        if token.kind == "open":
            depth += 1
            if pending_group:
                inside_service, pending_group = depth, False
        elif token.kind == "close":
            if inside_service == depth:
                inside_service = None
            depth -= 1
        elif keyword == "PREFIX" and i + 2 < len(toks) and toks[i + 1].kind == "pname" and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text[:-1]] = _unescape_iri(toks[i + 2].text)
            i += 3
            continue
        elif keyword in ("SERVICE", "LOAD") and inside_service is None and not pending_group:
            j = i + 1
            silent = j < len(toks) and toks[j].keyword == "SILENT"
            j += silent
            if j >= len(toks):
                raise bad_request(f"{keyword} at character {token.start} names no endpoint")
            target = toks[j]
            if target.kind == "var" and keyword == "SERVICE":
                found.append(Call(keyword, "", target.start, target.end, silent, True))
            elif target.kind == "iri":
                found.append(Call(keyword, _unescape_iri(target.text), target.start, target.end, silent, False))
            elif target.kind == "pname":
                prefix, _, local = target.text.partition(":")
                if prefix not in prefixes:
                    raise bad_request(f"{keyword} {target.text} uses the undeclared prefix '{prefix}:'")
                found.append(Call(keyword, prefixes[prefix] + _unescape_local(local), target.start, target.end,
                                  silent, False))
            else:
                raise bad_request(f"{keyword} at character {token.start} is not followed by an IRI")
            pending_group = keyword == "SERVICE"
            i = j + 1
            continue
        i += 1
    return found


def function_calls(text: str) -> list[tuple[str, int]]:
    """The functions a text calls by IRI, each as (IRI, the character it starts at): an IRI or a
    prefixed name right before an opening parenthesis, prefixes expanded and escapes read.

    (A collection right after a predicate written as an IRI reads the same, and is listed too.)

    >>> function_calls('PREFIX f: <urn:f:> SELECT (f:g(1) AS ?x) (<urn:h> (2) AS ?y) (STR(3) AS ?z) {}')
    [('urn:f:g', 27), ('urn:h', 42)]
    """
    toks = _significant(tokens(text))
    prefixes: dict[str, str] = {}
    found = []
    for i, token in enumerate(toks[:-1]):
        if token.keyword == "PREFIX" and i + 2 < len(toks) and toks[i + 1].kind == "pname" \
                and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text[:-1]] = _unescape_iri(toks[i + 2].text)
        if toks[i + 1].text != "(" or token.kind not in ("iri", "pname"):
            continue
        if token.kind == "iri":
            found.append((_unescape_iri(token.text), token.start))
        else:
            prefix, _, local = token.text.partition(":")
            if prefix not in prefixes:
                raise bad_request(f"{token.text} uses the undeclared prefix '{prefix}:'")
            found.append((prefixes[prefix] + _unescape_local(local), token.start))
    return found


def keywords(text: str) -> set[str]:
    """The keywords (upper-cased words outside comments, strings and IRIs) a text uses."""
    return {t.keyword for t in tokens(text) if t.kind == "word"}


def rewrite(text: str, replacements: list[tuple[Call, str]]) -> str:
    """The text with each call's endpoint token replaced by ``<iri>``."""
    pieces, position = [], 0
    for call, iri in sorted(replacements, key=lambda r: r[0].start):
        pieces += [text[position:call.start], f"<{iri}>"]
        position = call.end
    return "".join(pieces) + text[position:]


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def bind_values(text: str, bindings: dict) -> str:
    """The query with ``bindings`` (variable name -> term) as an inline VALUES block at the start of
    its WHERE group: how values are bound in a query sent to another engine. Every value is a
    pyoxigraph term serialized in N-Triples syntax, which SPARQL reads as the same term.

    >>> import pyoxigraph as ox
    >>> print(bind_values("SELECT ?o WHERE { ?s ?p ?o }", {"s": ox.NamedNode("http://a.example/s")}))
    SELECT ?o WHERE {
      VALUES (?s) { (<http://a.example/s>) } ?s ?p ?o }
    """
    if not bindings:
        return text
    match = _WHERE.search(text)
    if match is None:
        raise ValueError("the query has no WHERE group to bind values in")
    names = " ".join(f"?{name}" for name in bindings)
    values = " ".join(str(term) for term in bindings.values())
    block = f"\n  VALUES ({names}) {{ ({values}) }}"
    return text[:match.end()] + block + text[match.end():]
