"""Benchmarks, not product code: run by `python -m qa bench` and the slow tests.

- benchmark: a collection's build next to its floor, and query latency
- scale: vector and lexical search at sizes beyond the shared collection
- scale_end_to_end: end-to-end search over the real collection tiled to a million chunks
"""
