"""Giving memory a build has let go back to the system.

A build makes and drops millions of small objects, and pyoxigraph's stores (the violation
queries', the reasoner's) are made and dropped in threads of their own. The C library's allocator
keeps what is freed for later allocations: where live objects sit between the freed ones, or in
the arena of another thread, it gives back none of it by itself, and the build's size stays that
of its largest stage until it ends. At 500 articles without the cache, 420 MB of the 980 MB the
build held after its validate stage were such free memory.
"""

from __future__ import annotations

import ctypes
import functools


@functools.cache
def _malloc_trim():
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the GNU C library's; other C libraries have none
    except (AttributeError, OSError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release() -> bool:
    """Give the free memory of every arena of the C library's allocator back to the system (its
    pages, where whole pages are free): ``malloc_trim(0)``. False where the C library has no such call.

    >>> isinstance(release(), bool)
    True
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
