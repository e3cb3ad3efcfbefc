"""From a question to ranked verbatim passages with citations.

- query: checking a question and reading what it asks about (places, years, kind)
- scope: what a question asks that the collection cannot hold
- filters: narrowing and preferring documents by their metadata
- retrieve: the hybrid of dense sentences and BM25 chunks, fused, place-aware
- features, ranker: the learned ranker that reorders the fused candidates
- quote: the words to quote inside a ranked chunk
- cite: where a quote sits in its document and how to cite it
- timing: where one query's time goes
"""
