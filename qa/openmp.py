"""How OpenMP's idle threads wait; imported by qa/__init__.py before torch or faiss.

torch and faiss each bring their own OpenMP runtime. While one runtime's idle
threads spin, waiting for more work, they hold the cores the other needs next:
a question's encoding (torch) then its vector search (faiss) fight over two
cores. Search p50 / p95 on the full collection (HNSW index, one warm process,
150 questions, runs side by side): 57-58 / 85-107 ms with OpenMP's default
(spin a while, then sleep), 88-89 / 198-204 ms with threads that always spin
(ACTIVE), 40-42 / 49-51 ms with waiting threads asleep (PASSIVE). Batch
encoding for a build is unchanged (50-53 sentences/s either way). The setting
is read when a runtime loads, so it is set here, first; the environment wins.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
