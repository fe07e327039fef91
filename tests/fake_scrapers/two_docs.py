"""Prints two documents, one per line (a scraper bug the runner must not accept)."""

from _common import GOOD, emit

emit(GOOD)
emit(GOOD)
