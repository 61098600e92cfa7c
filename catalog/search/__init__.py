"""Dataset search: one service, two backends (the database, or Elasticsearch) with one result shape.

- ``types``: the query and result shapes every backend speaks.
- ``analysis``: accent/case folding, French and English stemming, stop words, identifier splitting.
- ``documents``: what is indexed for a dataset (one flat document, the same for both backends).
- ``expansion``: glossary expansion and typo correction, computed once and given to the backend.
- ``backends``: ``database`` (PostgreSQL full-text search or SQLite FTS5) and ``elasticsearch``.
- ``sync``: keeping both in step with the catalog (outbox rows, on-commit tasks, reconcile).

Callers use ``catalog.selectors.dataset_search`` and ``catalog.services.search_*``.
"""
