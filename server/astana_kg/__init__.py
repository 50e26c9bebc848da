"""astana-kg: a knowledge graph of the 2017 Astana peace process on Syria, served as linked data."""

__version__ = "1.0.0"
