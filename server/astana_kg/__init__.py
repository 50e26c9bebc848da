"""astana-kg: a knowledge graph of the 2017 Astana peace process on Syria, served as linked data.

The Python API (:func:`open`, :func:`connect`, :class:`KnowledgeGraph`) lives in
:mod:`astana_kg.api.graph` and is imported on first use, so that processes which only run queries
(the endpoint's query workers) do not load it.
"""

__version__ = "1.0.0"

__all__ = ["KnowledgeGraph", "__version__", "connect", "open"]


def __getattr__(name: str):
    if name in ("KnowledgeGraph", "connect", "open"):
        from .api import graph

        return getattr(graph, name)
    raise AttributeError(f"module 'astana_kg' has no attribute {name!r}")
