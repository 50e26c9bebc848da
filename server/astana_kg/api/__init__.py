"""The Python API (:mod:`astana_kg.api.graph`), over the query layer and the build pipeline."""
