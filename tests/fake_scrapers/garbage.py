"""Prints text that is not JSON at all and exits 0."""

print("Traceback? no: just some words, {not json")
