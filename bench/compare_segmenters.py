"""How the sentence segmenter was chosen (docs/choices.md).

Needs the candidates, which the product does not install:
    .venv/bin/pip install pysbd==0.3.4 syntok==1.4.4 pypdfium2
    .venv/bin/python bench/compare_segmenters.py [../shared/corpus/ofsted]

Prints, for each segmenter, the splits it makes in the seed articles'
paragraphs (to read against the text) and its time on ten Ofsted reports.
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import blingfire
import pysbd
from syntok import segmenter as syntok_segmenter

ROOT = Path(__file__).resolve().parent.parent


def by_pysbd(p: str) -> list[tuple[int, int]]:
    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return [(s.start, s.end) for s in seg.segment(p)]


def by_blingfire(p: str) -> list[tuple[int, int]]:
    return list(blingfire.text_to_sentences_and_offsets(p)[1])


def by_syntok(p: str) -> list[tuple[int, int]]:
    out = []
    for para in syntok_segmenter.analyze(p):
        for sent in para:
            toks = list(sent)
            out.append((toks[0].offset, toks[-1].offset + len(toks[-1].value)))
    return out


SEGMENTERS = {"pysbd": by_pysbd, "blingfire": by_blingfire, "syntok": by_syntok}


def main() -> None:
    paragraphs = [
        p.strip() for f in sorted((ROOT / "seeds").glob("*.txt"))
        for p in re.split(r"\n", f.read_text(encoding="utf-8")) if p.strip()
    ]
    for name, fn in SEGMENTERS.items():
        print(f"== {name}: paragraphs split in two or more")
        for p in paragraphs:
            spans = fn(p)
            if len(spans) > 1:
                print("   " + " || ".join(p[a:b].strip() for a, b in spans))
    reports = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus" / "ofsted"
    if reports.is_dir():
        import pypdfium2 as pdfium

        text = ""
        for f in sorted(reports.glob("*/*.pdf"))[:40:4]:
            try:
                pdf = pdfium.PdfDocument(f)
            except pdfium.PdfiumError:
                continue
            text += "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        lines = [line for line in text.splitlines() if line.strip()]
        for name in ("blingfire", "syntok"):
            started = time.perf_counter()
            n = sum(len(SEGMENTERS[name](line)) for line in lines)
            print(f"{name}: {len(text):,} characters of reports, {n} sentences, {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
