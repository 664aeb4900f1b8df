"""Screenshots of every document kind's pages for docs/documents.md (docs/img/documents/).

    .venv/bin/python scripts/document_screenshots.py      (make document-screenshots)

Each kind is rendered with the largest demo-like data through the same path as the printed test
(tests/documents/test_printed.py: ``_render``, i.e. ``render_docx`` with its contexts and draft
state), converted by the product's ``to_pdf`` (LibreOffice, the project's fontconfig) and drawn
with pdfplumber at 80 dpi as palette PNGs (each well under 250 KB).  Needs LibreOffice
(``make system-deps``) and the dev dependencies (pdfplumber).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "documents"), str(ROOT)]

import pdfplumber  # noqa: E402
from test_printed import _render  # noqa: E402

from webapp.documents import to_pdf  # noqa: E402

OUT = ROOT / "docs" / "img" / "documents"
DPI = 80

Pages = list[str]  # the text of each page
#: Which page: a number (1-based; negative from the end) or a function of the pages' text.
Pick = int | Callable[[Pages], int]


def _form(number: int) -> Callable[[Pages], int]:
    """The first page of 附表``number``."""

    def pick(pages: Pages) -> int:
        return next(i for i, text in enumerate(pages, 1) if f"附表{number}" in text[:200])

    return pick


#: kind → [(file name, page)]: the pages docs/documents.md shows.
SHOTS: dict[str, list[tuple[str, Pick]]] = {
    "quarterly": [("quarterly-p1", 1), ("quarterly-p2", 2), ("quarterly-t5", _form(5))],
    "annual": [("annual-p1", 1), ("annual-t7", _form(7))],
    "public": [("public-p1", 1)],
    "notice": [("notice-p1", 1), ("notice-last", -1)],
    "results": [("results-last", -1)],
    "sheet": [("sheet-p1", 1)],
}


def shoot(kind: str) -> list[Path]:
    pdf = to_pdf(_render(kind), timeout=300)
    if pdf is None:
        raise SystemExit("LibreOffice (soffice) is not installed: run `make system-deps`")
    written = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        texts = [page.extract_text() for page in doc.pages]
        for name, pick in SHOTS[kind]:
            number = pick(texts) if callable(pick) else pick
            page = doc.pages[number - 1 if number > 0 else number]
            image = page.to_image(resolution=DPI).original.convert("L")
            path = OUT / f"{name}.png"
            image.quantize(16).save(path, optimize=True)
            written.append(path)
    return written


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for paths in pool.map(shoot, SHOTS):
            for path in paths:
                print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
