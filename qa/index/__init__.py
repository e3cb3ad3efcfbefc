"""The index: sentences and chunks embedded and stored, searched in memory.

- embed: text to unit vectors (the only module that encodes with the model)
- adapt: all-MiniLM-L6-v2 fine-tuned on the project's own questions
- dense: FAISS vector search (exact, HNSW or IVF by size)
- lexical: BM25 over chunks (bm25s)
- sentence_facts: what the ranker knows of each sentence before any question
- build: load -> segment -> chunk -> embed -> store, incremental
- store: the index on disk, its manifest and checksums, atomic publication
"""
