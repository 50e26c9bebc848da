"""Drafting claims from a raw article: ``astana-kg draft ARTICLE.txt --id NNN``."""
