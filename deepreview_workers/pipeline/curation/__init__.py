"""Faceset curation, the same for the web app and the CLI: NumPy only (no OpenCV, torch
or Django), tested without a database.

- ``order``: the curation orders (the faces most likely to remove first).
- ``near_duplicates``: the same person at the same head angle, sharpest kept.
- ``best``: keep N faces that cover head angles evenly.
- ``grouping``: identity clusters of embeddings.
"""
