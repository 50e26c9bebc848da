"""The build pipeline: claim files, the Wikidata cache, checks, reasoning and labels to the dump and
the store of a build. It imports the query layer at most, never the Python API or the HTTP layer."""
