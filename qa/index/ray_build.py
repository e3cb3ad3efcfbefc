"""Builds on Ray (`qa build --ray [ADDRESS]`): files read as Ray tasks, sentences
encoded by Ray Data with one model per worker.

Only the two costly steps move: reading the files (`build.read_file` as a Ray
task, retried when its worker dies) and encoding (`RayEmbedder`, Ray Data
`map_batches` over an actor class that loads the model once per worker).
Everything else is `build_index`'s, unchanged: the up-to-date check, which
documents are accepted (duplicates, ids, warnings, skipped files), the reuse of
the live build's vectors, the atomic publish. So a Ray build writes the index a
single-process build writes.

Encoding in one job: each Ray Data job starts its own actors, and each loads the
model (5-15 s on this machine), while `build._embed` asks for vectors in slices
of 4,096 sentences. So as the documents come back the reader notes the texts the
build will ask for (their sentences and openings that the live build, under the
same model, does not already hold), and the first request for vectors encodes
all of them in one job; later requests are answered from those vectors, and a
text not foreseen is encoded in a job of its own (slower, never wrong).

Ray itself starts only when a file has to be read: an up-to-date index is
reported as such without it. A cluster's nodes need the project's environment at
the same path as here (the workers import `qa` and load the model from disk).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import QAError
from qa.ingest.chunk import sentences_of

from . import store
from .build import DOCUMENT_VECTOR_CHARS, BuildReport, FileRead, ReadRequest, build_index, read_file
from .embed import Embedder, encoder_key, model_fingerprint

INSTALL_HINT = "Builds on Ray need the optional extra: `make setup-cluster` (pip install -r requirements-cluster.txt)"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
READ_RETRIES = 3  # a read task whose worker dies is run again, up to this many times
ROWS_PER_CALL = 128  # sentences handed to an encoder actor at a time (the model batches 32 inside)

EmbedderFactory = Callable[[str], Embedder]
ReadFn = Callable[[Path, Path, "dict[str, str] | None"], FileRead]


def import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise QAError(INSTALL_HINT) from None
    return ray


def _cpus_here() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def init_ray(address: str | None = None, *, num_cpus: int | None = None) -> bool:
    """Connect to the Ray cluster at `address`, or start a local instance (all
    the cores here). True if this started or joined it (and should shut it down),
    False if Ray was already initialised in this process."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    options: dict[str, Any] = dict(
        log_to_driver=False,  # the workers' output stays in Ray's log files, off the CLI's
        logging_level=logging.ERROR,  # not the notices of every start (token authentication, ...)
        include_dashboard=False,
        # The workers import `qa` from this checkout (on a cluster: the same path on each node).
        runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(
            p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)}},
    )
    try:
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(num_cpus=num_cpus or _cpus_here(), **options)
    except (ConnectionError, RuntimeError, ValueError) as e:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise QAError(f"Could not start or reach {where}: {e}") from None
    _quiet_ray_data()
    return True


def _quiet_ray_data() -> None:
    """No progress bars or per-job log lines from Ray Data on the CLI's stderr."""
    from ray.data import DataContext

    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)


def default_embedder(model: str, threads: int | None = None) -> Embedder:
    """The embedder a single-process build uses for `model` (torch)."""
    from .embed import make_embedder

    return make_embedder(model, encoder="torch", threads=threads)


class EncoderActor:
    """A Ray Data actor: loads the model once, then encodes batch after batch."""

    def __init__(self, model: str, threads: int, factory: EmbedderFactory | None = None, batch_size: int = 32):
        import torch

        torch.set_num_threads(threads)  # workers x threads = the cores, not workers x cores
        self._embedder = factory(model) if factory else default_embedder(model, threads)
        self._batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        started = time.perf_counter()
        vectors = self._embedder.encode(texts, batch_size=self._batch_size)
        spent = np.full(len(texts), (time.perf_counter() - started) / max(1, len(texts)))
        return {"row": batch["row"], "vector": vectors, "seconds": spent}  # seconds: this worker's, per text


class RayEmbedder:
    """An Embedder whose encoding runs on Ray. Its name is the model's, so the
    manifest, the source signature and the reuse of vectors are those of a
    single-process build with the same model."""

    def __init__(
        self, model: str, *, workers: int | None = None, factory: EmbedderFactory | None = None,
        start: Callable[[], int] | None = None, index_dir: Path | None = None,
    ):
        self.name = model
        self._workers = workers
        self._factory = factory
        self._start = start  # starts Ray if needed, gives the cluster's CPUs
        self._index_dir = index_dir  # the live build: its dimension when nothing needs encoding
        self._vectors: dict[str, np.ndarray] = {}
        self._foreseen: dict[str, None] = {}  # texts to encode at the first request, in order
        self._dimension: int | None = None
        self.jobs = 0  # Ray Data jobs run (each starts the actors, so each loads the models)
        self.encoded = 0  # texts encoded
        self.busy_seconds = 0.0  # the workers' time spent encoding, summed: throughput per worker

    @property
    def encoder_info(self) -> dict:
        """As the torch embedder records it (qa/index/embed.py), without loading torch here."""
        from importlib.metadata import version

        return {"kind": "torch", "runtime": f"torch {version('torch')}"}

    def foresee(self, texts: list[str]) -> None:
        """Texts the build will ask for: encoded together at the first request."""
        self._foreseen.update((t, None) for t in texts if t not in self._vectors)

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._encode_foreseen([])
        if self._dimension is None:
            self._dimension = self._live_dimension() or self._run(["dimension"]).shape[1]
        return self._dimension

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        self._encode_foreseen(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def _encode_foreseen(self, also: list[str]) -> None:
        todo = list(dict.fromkeys([*self._foreseen, *(t for t in also if t not in self._vectors)]))
        self._foreseen = {}
        if todo:
            self._vectors.update(zip(todo, self._run(todo), strict=True))

    def _live_dimension(self) -> int | None:
        manifest = store.read_index_manifest(self._index_dir) if self._index_dir else None
        if manifest and manifest.get("model") == self.name and isinstance(manifest.get("dimension"), int):
            return manifest["dimension"]
        return None

    def _run(self, texts: list[str]) -> np.ndarray:
        """Vectors of `texts`, in their order, by one Ray Data job."""
        ray = import_ray()
        cpus = self._start() if self._start else int(ray.cluster_resources().get("CPU", 1))
        workers = max(1, min(self._workers or cpus, cpus, len(texts)))  # an actor per CPU at most: no waiting
        threads = max(1, cpus // workers)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths batch with less padding
        data = ray.data.from_items([{"row": i, "text": texts[i]} for i in order])
        encoded = data.map_batches(
            EncoderActor,
            fn_constructor_kwargs={"model": self.name, "threads": threads, "factory": self._factory},
            batch_size=ROWS_PER_CALL,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=threads,
            # A dead actor is restarted and its batch retried: Ray Data's default.
        )
        vectors: np.ndarray | None = None
        received = np.zeros(len(texts), dtype=bool)
        try:
            for batch in encoded.iter_batches(batch_size=None, batch_format="numpy"):
                rows, part = batch["row"], np.asarray(batch["vector"], dtype=np.float32)
                if vectors is None:
                    vectors = np.zeros((len(texts), part.shape[1]), dtype=np.float32)
                vectors[rows] = part  # back in the input's order by row number
                received[rows] = True
                self.busy_seconds += float(np.sum(batch["seconds"]))
        except Exception as e:
            raise QAError(f"Encoding on Ray failed ({type(e).__name__}: {_first_line(e)}); "
                          "the previous index, if any, is unchanged.") from e
        if vectors is None or not received.all():
            raise QAError(f"Encoding on Ray gave back {int(received.sum())} of {len(texts)} vectors; "
                          "the previous index, if any, is unchanged.")
        self.jobs += 1
        self.encoded += len(texts)
        self._dimension = vectors.shape[1]
        return vectors


def _read_task(
    read: ReadFn, root: Path, path: Path, row: dict[str, str] | None
) -> tuple[FileRead, list[str], str | None]:
    """Runs on a Ray worker: one file read, and the texts its document will be
    encoded from (its sentences, as build._write_index finds them, and its opening)."""
    result = read(root, path, row)
    doc = result.document
    if doc is None:
        return result, [], None
    return result, [doc.text[s.start : s.end] for s in sentences_of(doc, 0)], doc.text[:DOCUMENT_VECTOR_CHARS]


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [""])[0]


class RayReader:
    """A `build.FileReader`: every file read as a Ray task, the results given back in
    file order; the texts to encode are handed to the embedder as they arrive."""

    def __init__(
        self, embedder: RayEmbedder, *, index_dir: Path | None, read: ReadFn = read_file,
        start: Callable[[], int] | None = None,
    ):
        self._embedder = embedder
        self._index_dir = index_dir
        self._read = read
        self._start = start

    def __call__(self, requests: list[ReadRequest]) -> Iterator[FileRead]:
        ray = import_ray()
        if self._start:
            self._start()
        known_sentences, known_openings = self._known_texts()
        task = ray.remote(_read_task).options(num_cpus=1, max_retries=READ_RETRIES)
        refs = [task.remote(self._read, root, path, row) for root, path, row in requests]
        for (root, path, _), ref in zip(requests, refs, strict=True):
            try:
                result, sentences, opening = ray.get(ref)
            except ray.exceptions.RayError as e:
                raise QAError(
                    f"{path.relative_to(root).as_posix()}: reading it on Ray failed, {READ_RETRIES + 1} attempts "
                    f"({type(e).__name__}: {_first_line(e)}); the previous index, if any, is unchanged."
                ) from e
            self._embedder.foresee([t for t in sentences if t not in known_sentences])
            if opening is not None and opening not in known_openings:
                self._embedder.foresee([opening])
            yield result

    def _known_texts(self) -> tuple[set[str], set[str]]:
        """The sentences and document openings whose vectors the live build holds
        under the same model and encoder: the build reuses them (build._previous_vectors)."""
        manifest = store.read_index_manifest(self._index_dir) if self._index_dir else None
        if not manifest or manifest.get("model") != self._embedder.name or (
            manifest.get("model_fingerprint") != model_fingerprint(self._embedder.name)
        ) or encoder_key(manifest.get("encoder")) != encoder_key(self._embedder.encoder_info):
            return set(), set()
        old = store.reusable_vectors(self._index_dir)
        if old is None:
            return set(), set()
        sentences = {old.texts[d][s:e] for d, s, e, _ in old.sentences.tolist()}
        return sentences, {t[:DOCUMENT_VECTOR_CHARS] for t in old.texts}


class RayBuild:
    """What `build_index` needs to run on Ray: an embedder and a file reader. Ray
    is started (or joined) at the first file to read, and shut down at the end
    only if this started it."""

    def __init__(
        self, address: str | None, *, model: str, index_dir: Path | None = None, workers: int | None = None,
        factory: EmbedderFactory | None = None, read: ReadFn = read_file, encoder: str | None = None,
    ):
        if encoder not in (None, "torch"):
            raise QAError(f"Builds on Ray encode with torch; build with --encoder {encoder} without --ray.")
        if workers is not None and workers < 1:
            raise QAError(f"--ray-workers must be at least 1 (got {workers}).")
        import_ray()  # the missing extra is said at once, not after the checks
        self._address = address
        self._owns_ray = False
        self._cpus: int | None = None
        self.embedder = RayEmbedder(model, workers=workers, factory=factory, start=self.start, index_dir=index_dir)
        self.read_files = RayReader(self.embedder, index_dir=index_dir, read=read, start=self.start)

    def start(self) -> int:
        """Ray up (started or joined once); the cluster's CPUs."""
        if self._cpus is None:
            self._owns_ray = init_ray(self._address)
            _quiet_ray_data()
            self._cpus = max(1, int(import_ray().cluster_resources().get("CPU", 1)))
        return self._cpus

    def close(self) -> None:
        if self._owns_ray:
            import_ray().shutdown()
            self._owns_ray = False
        self._cpus = None


@contextmanager
def ray_build(address: str | None, **kwargs: Any) -> Iterator[RayBuild]:
    """`RayBuild(address, **kwargs)`, closed on leaving."""
    build = RayBuild(address, **kwargs)
    try:
        yield build
    finally:
        build.close()


def build_index_on_ray(
    docs_dirs: list[Path], index_dir: Path, *, model: str, address: str | None = None, workers: int | None = None,
    factory: EmbedderFactory | None = None, read: ReadFn = read_file, **build_options: Any,
) -> BuildReport:
    """`build_index` with the files read and the sentences encoded on Ray."""
    with ray_build(address, model=model, index_dir=index_dir, workers=workers, factory=factory, read=read) as rb:
        return build_index(docs_dirs, index_dir, embedder=rb.embedder, read_files=rb.read_files, **build_options)
