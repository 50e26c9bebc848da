"""The query layer: a build's store, the `.rq` files, SPARQL text, the query processes and an
external store. It imports none of the pipeline, the Python API or the HTTP layer; the query
processes import it, so it stays light (pyoxigraph and the standard library)."""
