"""Measuring retrieval: judged questions, runs, standard metrics.

- judgments: question files (JSONL, YAML) and their evidence spans
- beir: BEIR-format datasets
- suite: a suite of judged questions, the runs of each retriever, abstention
- metrics: IR metrics and paired significance tests (ranx)
- report: the terminal table, JSON and Markdown an evaluation writes
- testing: retrieval suites inside an evaluator's own tests
"""
