"""The URL this server is reached at, for the absolute URLs its answers write.

The service description at ``/sparql``, the VoID description, ``/download.json``, the fragments'
controls, the JSON-LD context link of the linked-data documents and the JSON API's page links
hold absolute URLs, and most of them are cached by clients and proxies for an hour. They are
never made from the request's ``Host`` header, which any client sets: they start from the
``SERVER_URL`` setting, the URL clients reach the app at, with the path it is mounted at if any
(``astana-kg serve --server-url``, ``ASTANA_KG_SERVER_URL``; the serve command's default is
``http://HOST:PORT/`` of its own options). An app without one (a bare app in
the tests, a WSGI server started by hand) takes the request's host only if ``ALLOWED_HOSTS``
names it (by default the loopback names), and answers 400 for any other.

>>> server_url({"SERVER_URL": "https://kg.example.org/astana"}, "http", "evil.example")
'https://kg.example.org/astana/'
>>> server_url({}, "http", "localhost:8000")
'http://localhost:8000/'
>>> server_url({}, "http", "evil.example")
Traceback (most recent call last):
...
astana_kg.query.problems.Problem: the Host header names a host this server does not answer for: ...
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pyoxigraph as ox

from .errors import bad_request

#: The names of this machine that every server answers for.
LOOPBACK = ("localhost", "127.0.0.1", "::1")

_HOST = re.compile(r"^(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+))(?::(?P<port>[0-9]{1,5}))?$")


def normalize(url: str) -> str:
    """A server URL as answers use it: absolute http(s), with a host, ending in ``/``.

    >>> normalize("http://127.0.0.1:8000")
    'http://127.0.0.1:8000/'
    >>> normalize("ftp://example.org/")
    Traceback (most recent call last):
    ...
    ValueError: the server URL 'ftp://example.org/' is not an http or https URL with a host
    """
    text = str(url).strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"the server URL {url!r} is not an http or https URL with a host")
    text = text if text.endswith("/") else text + "/"
    try:
        ox.NamedNode(text)
    except ValueError as error:
        raise ValueError(f"the server URL {url!r} is not a valid URL: {error}") from None
    return text


def host_name(host: str) -> str | None:
    """The name in a ``Host`` header (without the port, lower case), or None if it is malformed.

    >>> host_name("LocalHost:8000"), host_name("[::1]:80"), host_name("a b"), host_name("x:y")
    ('localhost', '::1', None, None)
    """
    match = _HOST.match(host or "")
    if match is None:
        return None
    return (match.group("ipv6") or match.group("name")).lower()


def allowed_hosts(config) -> set[str]:
    """The host names a request may name when no server URL is set: the loopback names, the
    server URL's host (if any) and ``ALLOWED_HOSTS`` (a list, or a string of names)."""
    names = set(LOOPBACK)
    extra = config.get("ALLOWED_HOSTS") or []
    names.update(extra.split() if isinstance(extra, str) else extra)
    if config.get("SERVER_URL"):
        names.add(urlsplit(normalize(config["SERVER_URL"])).hostname)
    return {name.lower().strip("[]") for name in names if name}


def server_url(config, scheme: str, host: str, script_root: str = "") -> str:
    """The absolute URL of this server's root (ending in ``/``): the configured ``SERVER_URL``, or
    ``scheme://host`` plus the mount point when the host is allowed; HttpError 400 otherwise."""
    if config.get("SERVER_URL"):
        return normalize(config["SERVER_URL"])
    name = host_name(host)
    if name is None or name not in allowed_hosts(config):
        # The name is not repeated: an answer never says back what a client wrote in Host.
        raise bad_request("the Host header names a host this server does not answer for: set the server's URL "
                          "with --server-url (ASTANA_KG_SERVER_URL), or add the name to ALLOWED_HOSTS")
    return f"{scheme}://{host}{script_root.rstrip('/')}/"


def root_url() -> str:
    """This server's root URL for the request being answered (see :func:`server_url`)."""
    from flask import current_app, request

    return server_url(current_app.config, request.scheme, request.host, request.script_root)


def absolute(path: str) -> str:
    """The absolute URL of one of this server's paths (``/fragments`` -> ``http://host/fragments``)."""
    return root_url() + path.lstrip("/")
