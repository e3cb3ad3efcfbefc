"""Adapting all-MiniLM-L6-v2 to the reports, on CPU, from the project's own questions.

`python -m qa adapt` (`make models`) trains it into models/ under the name
ADAPTED_MODEL, which builds then use by default. The training material is
question files (eval/ofsted/train.jsonl): each question in the words a
member of staff uses, and the passage of a report that answers it, written
by reading the reports (never the test part's). Each example is (question,
the answer's sentence, a hard negative: another sentence of the same report
that the base model ranks high but that is not the answer; only the reports
the questions name are encoded to mine them). The loss is the usual
multiple-negatives ranking loss (every other answer in the batch is a
negative too), written out here in plain torch so that no training
framework is needed; seeded, so that the same material gives the same model.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.errors import QAError
from qa.evaluate.judgments import QuestionItem, locate_quote

from .embed import ADAPTATION_FILE, DEFAULT_MODEL, SentenceTransformerEmbedder, resolve_model_path


@dataclass(frozen=True, slots=True)
class AdaptSettings:
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 2e-5
    warmup: float = 0.1  # share of the steps over which the rate rises
    scale: float = 20.0  # cosine similarities are multiplied by this in the softmax
    negatives_from: int = 3  # hard negatives are drawn from these ranks of the base model
    negatives_to: int = 20
    seed: int = 13


@dataclass(frozen=True, slots=True)
class Example:
    question: str
    positive: str
    negative: str


def mine_examples(items: list[QuestionItem], documents: dict[str, tuple[str, list[tuple[int, int]]]], embedder, *,
                  settings: AdaptSettings = AdaptSettings(), topic=lambda q: q, log=print) -> list[Example]:
    """Training examples from judged questions, as DPR mined them: the
    positive is the answer's sentence the base model finds closest to the
    question, the hard negative another sentence of the same report that the
    base model ranks high (ranks `negatives_from` to `negatives_to`) but that
    is not the answer. `documents` maps a judgment's document name to its
    text and its quotable sentences' spans; only the reports the questions
    name are encoded, with `embedder` (the base model), so no index is needed.

    (Negatives that share the question's words, found by BM25 within the
    report, were tried first; negatives the base model confuses with the
    answer are the ones it has to learn to tell apart.)"""
    rng = random.Random(settings.seed)
    chosen = []
    for item in items:
        ev = item.expected[0] if item.answerable and item.expected else None
        if ev is None or ev.quote is None or ev.doc not in documents:
            continue
        where = locate_quote(documents[ev.doc][0], ev.quote)
        if where is not None:
            chosen.append((item, ev.doc, where))
    names = sorted({name for _, name, _ in chosen})
    vectors: dict[str, np.ndarray] = {}
    started = time.perf_counter()
    for n, name in enumerate(names, 1):
        text, spans = documents[name]
        vectors[name] = embedder.encode([text[a:b] for a, b in spans])
        if n % 20 == 0 or n == len(names):
            log(f"encoded {n}/{len(names)} reports with the base model ({time.perf_counter() - started:.0f} s)")
    questions = embedder.encode([topic(item.question) for item, _, _ in chosen])
    examples = []
    for (item, name, (qs, qe)), qv in zip(chosen, questions, strict=True):
        text, spans = documents[name]
        hit = np.array([a < qe and qs < b for a, b in spans])
        if not hit.any() or hit.all():
            continue
        cos = vectors[name] @ qv
        inside, outside = np.flatnonzero(hit), np.flatnonzero(~hit)
        positive = inside[np.argmax(cos[hit])]
        ranked = outside[np.argsort(-cos[~hit], kind="stable")][settings.negatives_from : settings.negatives_to]
        negative = rng.choice(list(ranked)) if len(ranked) else rng.choice(list(outside))
        examples.append(Example(topic(item.question), _cut(text, spans[positive]), _cut(text, spans[negative])))
    return examples


def train(examples: list[Example], out: Path, *, base: str = DEFAULT_MODEL,
          settings: AdaptSettings = AdaptSettings(), log=print) -> Path:
    """Fine-tune `base` on the examples and save it (a sentence-transformers folder) at `out`."""
    import torch
    from sentence_transformers import SentenceTransformer

    if not examples:
        raise QAError("No training examples: check the question files and the documents they name.")
    random.seed(settings.seed)
    np.random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    model = SentenceTransformer(str(resolve_model_path(base)), device="cpu")
    model.train()
    order = list(range(len(examples)))
    steps = settings.epochs * ((len(order) + settings.batch_size - 1) // settings.batch_size)
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    warmup = max(1, int(settings.warmup * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup)))
    rng = random.Random(settings.seed)
    step, started = 0, time.perf_counter()
    for epoch in range(settings.epochs):
        rng.shuffle(order)
        for lo in range(0, len(order), settings.batch_size):
            batch = [examples[i] for i in order[lo : lo + settings.batch_size]]
            q = _embed(model, [b.question for b in batch])
            d = _embed(model, [b.positive for b in batch] + [b.negative for b in batch])
            scores = settings.scale * q @ d.T  # each question against every answer and negative
            loss = torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            if step % 10 == 0 or step == steps:
                log(f"epoch {epoch + 1}, step {step}/{steps}, loss {loss.item():.3f}, "
                    f"{time.perf_counter() - started:.0f} s")
    model.eval()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    return out


def _embed(model, texts: list[str]):
    import torch

    features = model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)
    out = model(features)["sentence_embedding"]
    return torch.nn.functional.normalize(out, dim=-1)


def _cut(text: str, span) -> str:
    return text[int(span[0]) : int(span[1])]


def adapt(docs_dirs: list[Path], questions: list[Path], out: Path, *, manifest: Path | None = None,
          base: str = DEFAULT_MODEL, settings: AdaptSettings = AdaptSettings(), log=print) -> dict:
    """The whole command: read the reports the questions name, mine the
    examples, train, and write the model with a card (ADAPTATION_FILE) that
    says what it was made from; its material hash is the model's fingerprint
    in index manifests."""
    from qa.evaluate.judgments import read_queries
    from qa.ingest.chunk import sentences_of
    from qa.ingest.gazetteer import load_gazetteer
    from qa.ingest.load import load_document
    from qa.ingest.manifest import find_row
    from qa.search.query import parse_question

    from .build import _discover_sources

    started = time.perf_counter()
    items = [item for path in questions for item in read_queries(path)]
    wanted = {e.doc for item in items if item.answerable for e in item.expected}
    gazetteer = load_gazetteer()
    files, rows = _discover_sources(list(docs_dirs), manifest, [])
    documents: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    for root, path in files:
        rel = path.relative_to(root).as_posix()
        names = {rel, rel.rsplit(".", 1)[0]} & wanted
        if not names:
            continue
        try:
            doc, _ = load_document(path, root, gazetteer=gazetteer, manifest_row=find_row(rows, rel))
        except QAError as e:  # one unreadable report costs its questions, not the run
            log(f"skipped {rel}: {e}")
            continue
        spans = [(s.start, s.end) for s in sentences_of(doc, 0)]
        for name in names:
            documents[name] = (doc.text, spans)
    log(f"{len(documents)} reports read for {len(items)} questions ({time.perf_counter() - started:.0f} s)")
    examples = mine_examples(items, documents, base_embedder(base), settings=settings,
                             topic=lambda q: parse_question(q, gazetteer).topic, log=log)
    log(f"{len(examples)} training examples")
    train(examples, out, base=base, settings=settings, log=log)
    card = {
        "base": base,
        "settings": asdict(settings),
        "questions": [str(p) for p in questions],
        "reports": len(documents),
        "examples": len(examples),
        "material_sha256": material_hash(examples, settings, base),
        "seconds": round(time.perf_counter() - started),
    }
    (Path(out) / ADAPTATION_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return card


def material_hash(examples: list[Example], settings: AdaptSettings, base: str) -> str:
    digest = hashlib.sha256(json.dumps([base, asdict(settings)], sort_keys=True).encode())
    for e in examples:
        digest.update(json.dumps([e.question, e.positive, e.negative]).encode())
    return digest.hexdigest()


def base_embedder(base: str = DEFAULT_MODEL) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(base)
