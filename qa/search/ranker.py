"""The learned ranker: a linear scorer of candidate sentences.

The hand-set fusion (qa/search/retrieve.py) finds the candidates; the ranker
reorders its best 200 by the features of qa/search/features.py (BM25 of sentence,
chunk, section and document; cosines of sentence, neighbours and heading;
coverage of the question's words; answer-type cues; kind of section;
recency). It is trained by `python -m qa train-ranker` on the project's own
questions (eval/ofsted/train.jsonl, whose authorities are neither dev's nor
test's) over an index of the full shared collection built with the same
model: pairwise logistic regression, every answering sentence against
negatives of the same question, so it learns which features set the answer
above its neighbours rather than a score scale.

Linear on purpose: on dev it matched or beat LambdaMART (LightGBM, 300-600
trees) at top one while being 35 numbers anyone can read, committed in
qa/search/ranker_weights.json keyed by the model they were trained with; an index
built with a model that has no weights there is ranked by the fusion alone.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa.index.embed import per_model_entry
from qa.records import SentenceColumn

from .features import FEATURES

WEIGHTS_FILE = Path(__file__).with_name("ranker_weights.json")


DEFAULT_SHARE = 0.7


@dataclass(frozen=True)
class LinearRanker:
    weights: np.ndarray  # one per name of FEATURES, in that order
    # Weight of its rank against the fusion's when the two are mixed
    # (Retriever._learned_order), chosen on dev per model and stored with the weights.
    share: float = DEFAULT_SHARE

    def score(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weights


def load_ranker(model: str, *, path: Path = WEIGHTS_FILE) -> LinearRanker | None:
    """The committed ranker for an index built with `model`, or None. Weights
    for another list of features (the code changed since they were trained)
    are not used: their numbers would mean other things."""
    entry = per_model_entry(path, model)
    if not entry or list(entry.get("features", [])) != list(FEATURES):
        return None
    return LinearRanker(np.asarray(entry["weights"], dtype=np.float64), float(entry.get("share", DEFAULT_SHARE)))


def examples(retriever, items, *, spans, progress=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, labels) per answerable question: the ranker's candidates,
    labelled 1 where a sentence overlaps a judged span. `spans` maps a
    question id to its (document index, start, end) spans."""
    from .retrieve import DEFAULT_SETTINGS  # (here: retrieve imports this module)

    # Expansion off: it was learned from these same questions, so its BM25 would
    # flatter their answers here as it cannot on any other question.
    without_expansion = replace(DEFAULT_SETTINGS, expansion_weight=0.0)
    groups = []
    sentences = retriever.index.sentences
    for n, item in enumerate(items):
        if item.id not in spans:
            continue
        query = retriever.parse(item.question)
        candidates, features = retriever.ranker_examples(query, retriever.encode(query), settings=without_expansion)
        rows = sentences[candidates]
        labels = np.zeros(len(candidates), dtype=np.int8)
        for d, start, end in spans[item.id]:
            labels |= ((rows[:, SentenceColumn.DOC] == d) & (rows[:, SentenceColumn.START] < end)
                       & (start < rows[:, SentenceColumn.END]))
        groups.append((features, labels))
        if progress:
            progress(n + 1, len(items))
    return groups


def fit(groups: list[tuple[np.ndarray, np.ndarray]], *, regularisation: float = 0.1,
        negatives_per_answer: int = 30, seed: int = 0) -> LinearRanker:
    """Pairwise logistic regression: for each answering sentence and up to
    `negatives_per_answer` sampled non-answering candidates of its question,
    the difference of their features should score positive (and its
    negation negative). Features are scaled to unit spread for the solver;
    the weights returned apply to the raw features."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    differences = []
    for features, labels in groups:
        answers, others = np.flatnonzero(labels), np.flatnonzero(labels == 0)
        if not len(answers) or not len(others):
            continue  # nothing to tell apart
        for a in answers:
            drawn = rng.choice(others, min(negatives_per_answer, len(others)), replace=False)
            differences.append(features[a] - features[drawn])
    if not differences:
        raise ValueError("No question has both an answering and a non-answering candidate to learn from.")
    positive = np.concatenate(differences)
    x = np.concatenate([positive, -positive])
    y = np.concatenate([np.ones(len(positive)), np.zeros(len(positive))])
    spread = x.std(axis=0)
    spread[spread == 0] = 1.0
    model = LogisticRegression(C=regularisation, max_iter=3000, fit_intercept=False).fit(x / spread, y)
    return LinearRanker(model.coef_[0] / spread)


def save_ranker(ranker: LinearRanker, model: str, *, about: dict, path: Path = WEIGHTS_FILE) -> None:
    """Add or replace `model`'s weights in the committed table."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        table = {}
    share = table.get(model, {}).get("share")  # chosen on dev, kept when the weights are refitted
    table[model] = {
        **({"share": share} if share is not None else {}),
        "features": list(FEATURES),
        "weights": [round(float(w), 8) for w in ranker.weights],
        "trained": time.strftime("%Y-%m-%d"),
        **about,
    }
    path.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
