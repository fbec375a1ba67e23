"""Access: what an archivist does with a collection once it is made.

Replay (pywb straight from ``warcs/``), the quality report and the list of what was
missed, the patch crawl that fetches it, and full-text search of the normalised
articles. This layer reads what every stage wrote; only ``schedule/`` and ``cli/``
sit above it.
"""
