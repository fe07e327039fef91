"""Prints one good usage document and exits 0."""

from _common import GOOD, emit

emit(GOOD)
