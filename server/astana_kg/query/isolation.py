"""What a query process may reach: its own network namespace, with one way out, to the SERVICE proxy.

pyoxigraph calls SERVICE endpoints (and LOAD sources, and JSON-LD contexts) itself. A query
process therefore leaves the host's network before it reads any query: it moves into a network
namespace of its own (a user namespace too, where it is not root), in which only the loopback
interface exists. There it listens on the proxy's port and relays each connection to the proxy's
Unix socket. Whatever text a query holds, the only place the process can connect to is the
proxy, and the proxy forwards only the routes it made for allow-listed endpoints.

Where the kernel refuses namespaces, :func:`isolate` says so and the process keeps the host's
network (the endpoint reports it in ``/health``; ``NETWORK_ISOLATION=required`` refuses to serve
then).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import threading

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


def _unshare(flags: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        return ctypes.get_errno()
    return 0


def isolate() -> str | None:
    """Move this (single-threaded) process into a network namespace of its own with loopback up.

    Returns None on success, else why it could not.
    """
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        error = _unshare(CLONE_NEWNET)
    else:
        error = _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        if not error:
            try:
                with open("/proc/self/setgroups", "w") as f:
                    f.write("deny")
                with open("/proc/self/uid_map", "w") as f:
                    f.write(f"{uid} {uid} 1")
                with open("/proc/self/gid_map", "w") as f:
                    f.write(f"{gid} {gid} 1")
            except OSError as failure:
                return f"could not map the user into its namespace: {failure}"
    if error:
        return f"unshare(CLONE_NEWNET) failed: {os.strerror(error)}"
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            request = struct.pack("16sH14x", b"lo", 0)
            flags = struct.unpack("16sH14x", fcntl.ioctl(s, _SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))
    except OSError as failure:
        return f"could not bring up loopback in the new namespace: {failure}"
    return None


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (sink, source):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _relay_connection(client: socket.socket, unix_path: str) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(unix_path)
    except OSError:
        client.close()
        upstream.close()
        return
    threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
    _pipe(client, upstream)
    client.close()
    upstream.close()


def start_relay(port: int, unix_path: str) -> None:
    """Listen on 127.0.0.1:``port`` (inside the namespace) and relay every connection to ``unix_path``."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)

    def accept_loop():
        while True:
            client, _ = listener.accept()
            threading.Thread(target=_relay_connection, args=(client, unix_path), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
