import threading

import pytest

from astana_kg.pipeline import memory


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


@pytest.mark.skipif(memory._malloc_trim() is None, reason="a C library without malloc_trim")
def test_release_gives_back_the_free_pages_between_objects_a_thread_still_holds():
    """As in a build: a thread makes many objects (of more than 512 bytes: the C library's, not
    Python's small-object allocator's), keeps one in sixteen and drops the rest. The free pages
    between those it keeps stay the process's until :func:`memory.release` gives them back."""
    kept = []

    def work():
        made = [bytes(2000 + i % 7) for i in range(50_000)]  # 100 MB
        kept.extend(made[::16])

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    before = resident_bytes()
    assert memory.release() is True
    after = resident_bytes()
    assert before - after > 40_000_000, (before, after)
    assert len(kept) == 3125
