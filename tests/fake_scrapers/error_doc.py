"""Prints one rate_limited error document and exits 1, as the real scraper does."""

import sys

from _common import emit, error

emit(error("rate_limited", "The service is rate limiting reads. Waiting.", 0))
sys.exit(1)
