"""Sandboxed, bounded docxtpl rendering and PDF conversion through LibreOffice.

A template is rendered in a forked child that is killed at its time limit.  Its output is
bounded too (``HQR_DOCUMENT_MAX_MB``, 20 MB by default): the rendered XML is counted as Jinja
produces it and the render stops as soon as it passes the limit, ``range()`` gives at most
10,000 numbers, ``*``, ``**`` and ``+`` refuse results past the limit before computing them,
and the child's address space is capped so that any other way of building a huge value ends
in a MemoryError, never in a 300 MB document.  The same bounds apply to the check of an
uploaded template and to every real document.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from webapp.core.errors import DomainError
from webapp.documents.figures import keep_figures_together

#: Default limits; callers may pass their own.
RENDER_TIMEOUT_SECONDS = 20.0
PDF_TIMEOUT_SECONDS = 90.0
#: Rendered size of one document (characters of XML, or bytes of the .docx) without a config.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
#: Numbers ``range()`` may give in a template (report tables have a few hundred rows).
MAX_RANGE = 10_000
#: Extra address space the render child may take beyond what it inherited.
CHILD_MEMORY_BYTES = 1024 * 1024 * 1024


class OutputTooLarge(Exception):
    """The render passed its output limit (raised inside the child)."""


class DocumentError(DomainError):
    status_code = 422
    code = "document"


def plain_context(value: Any, _path: str = "context") -> Any:
    """Copy ``value`` into plain data (dict, list, str, int, bool, None).

    Decimals become strings exactly as stored (two decimals stay two decimals), dates ISO
    strings.  Anything else (ORM objects, functions, modules) is refused: a template sees only
    what the caller chose to put in its context.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain_context(v, f"{_path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_context(v, f"{_path}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{_path}: {type(value).__name__} is not allowed in a document context")


def _sandbox_env(max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """The sandbox every template renders in, with its output budget (shared by all the parts
    of one document: body, headers, footers)."""
    from jinja2 import StrictUndefined, Template
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment

    budget = {"left": max_bytes}

    def spend(size: int) -> None:
        budget["left"] -= size
        if budget["left"] < 0:
            raise OutputTooLarge

    class BoundedTemplate(Template):
        def render(self, *args: Any, **kwargs: Any) -> str:
            ctx = self.new_context(dict(*args, **kwargs))
            parts = []
            try:
                for chunk in self.root_render_func(ctx):
                    spend(len(chunk))
                    parts.append(chunk)
            except OutputTooLarge:
                raise
            except Exception:  # noqa: BLE001 - Jinja's own error reporting, as Template.render
                self.environment.handle_exception()
            return "".join(parts)

    class BoundedEnvironment(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+"})
        template_class = BoundedTemplate

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            # Refused before Python computes them: one C-level operation cannot be interrupted.
            if operator == "**" and _power_too_big(left, right):
                raise SecurityError("乘方的结果过大")
            if operator == "*" and _product_size(left, right) > budget["left"]:
                raise OutputTooLarge
            if operator == "+" and _joined_size(left, right) > budget["left"]:
                raise OutputTooLarge
            return super().call_binop(context, operator, left, right)

    def bounded_range(*args: int) -> range:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise SecurityError(f"range() 最多 {MAX_RANGE} 个数")
        return numbers

    # StrictUndefined: a missing field or a refused attribute raises instead of printing "",
    # so an official document never silently loses a figure.
    env = BoundedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.globals["range"] = bounded_range
    env.filters["title_lines"] = title_lines
    return env


#: Where a title may break (GB/T 9704 §7.3.3: 回行时词意完整): after these words ...
TITLE_BREAK_AFTER = ("季度", "年度", "半年", "年", "关于", "工作", "报告")
#: ... or before these.
TITLE_BREAK_BEFORE = ("建设工程", "工程质量", "报送工作", "考核结果", "结果的通报", "的通报")


#: Words a title never breaks inside.
TITLE_WORDS = (
    *TITLE_BREAK_AFTER[:3],
    *TITLE_BREAK_BEFORE,
    "上半年",
    "下半年",
    "安居工程",
    "保障性",
    "分析报告",
    "状况报告",
    "住房和城乡建设",
)


def text_width(text: str) -> float:
    """Width in 字: a Chinese character is one, a half-width (ASCII) character a half."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in str(text))


def title_lines(title: Any, chars: int = 20) -> list[str]:
    """``title`` as the lines of a centred title of ``chars`` characters a line.

    A title that fits stays one line; a longer one breaks only between words (after a period
    such as 2026年第三季度, before 建设工程 / 工程质量 / 的通报 ...), at the break that makes
    the lines most even with no line too long; with no such break it stays whole.
    """
    text = str(title)
    if text_width(text) <= chars:
        return [text]
    best: tuple[float, int] | None = None
    for i in range(1, len(text)):
        head, tail = text[:i], text[i:]
        if not (head.endswith(TITLE_BREAK_AFTER) or tail.startswith(TITLE_BREAK_BEFORE)):
            continue
        if any(text.find(w, max(0, i - len(w) + 1), i + len(w) - 1) != -1 for w in TITLE_WORDS):
            continue
        if text_width(head) > chars:
            continue
        rest = title_lines(tail, chars)
        if any(text_width(line) > chars for line in rest):
            continue
        score = abs(text_width(head) - text_width(rest[0])) + 10 * (len(rest) - 1)
        if best is None or score < best[0]:
            best = (score, i)
    if best is None:
        return [text]
    return [text[: best[1]], *title_lines(text[best[1] :], chars)]


_SEQUENCES = (str, list, tuple)
#: Bits an integer built by ``*`` or ``**`` in a template may have.
MAX_INT_BITS = 65_536


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _power_too_big(base: Any, exponent: Any) -> bool:
    if not isinstance(exponent, int | float) or isinstance(exponent, bool):
        return False
    if abs(exponent) > 64:
        return True
    return _is_int(base) and _is_int(exponent) and base.bit_length() * exponent > MAX_INT_BITS


def _product_size(left: Any, right: Any) -> int:
    """Length of a repeated sequence (``'x' * n``); an integer product counts by its bits."""
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, _SEQUENCES) and _is_int(times):
            return len(seq) * times
    if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        return MAX_INT_BITS * 1024 * 1024  # past any budget
    return 0


def _joined_size(left: Any, right: Any) -> int:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        return len(left) + len(right)
    return 0


def _cap_memory() -> None:
    """Cap the child's address space at what it inherited plus CHILD_MEMORY_BYTES."""
    import resource

    try:
        with open("/proc/self/statm") as fh:
            inherited = int(fh.read().split()[0]) * resource.getpagesize()
        limit = inherited + CHILD_MEMORY_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError):  # no /proc (not Linux): the time limit still holds
        pass


def _render_in_child(template: bytes, context: dict[str, Any], conn: Any, max_bytes: int) -> None:
    """Child process body: render and send ("ok", bytes) or ("error", kind, message)."""
    too_large = ("error", "too_large", str(max(1, max_bytes // (1024 * 1024))))
    try:
        _cap_memory()
        from docxtpl import DocxTemplate
        from jinja2 import TemplateError, UndefinedError
        from jinja2.exceptions import SecurityError, TemplateSyntaxError

        doc = DocxTemplate(io.BytesIO(template))
        try:
            doc.render(context, jinja_env=_sandbox_env(max_bytes), autoescape=True)
        except (OutputTooLarge, MemoryError):
            conn.send(too_large)
            return
        except SecurityError as exc:
            conn.send(("error", "security", str(exc)))
            return
        except TemplateSyntaxError as exc:
            conn.send(("error", "syntax", f"第 {exc.lineno} 行：{exc.message}"))
            return
        except UndefinedError as exc:
            conn.send(("error", "undefined", str(exc)))
            return
        except TemplateError as exc:
            conn.send(("error", "template", str(exc)))
            return
        out = io.BytesIO()
        doc.save(out)
        if out.tell() > max_bytes:
            conn.send(too_large)
            return
        conn.send(("ok", out.getvalue()))
    except MemoryError:
        conn.send(too_large)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, never raised in the child
        conn.send(("error", "invalid", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


MESSAGES = {
    "security": "模板包含不允许的表达式（已被安全沙箱拦截）：{detail}",
    "syntax": "模板语法错误：{detail}",
    "undefined": "模板引用了不存在的字段：{detail}",
    "template": "模板无法渲染：{detail}",
    "invalid": "不是有效的 Word 模板文件（.docx）：{detail}",
    "timeout": "文书生成超时（超过 {detail} 秒），模板中可能有过大的循环。",
    "too_large": "文书内容过大（超过 {detail} MB），模板中可能有过大的循环或重复。",
}


def max_document_bytes() -> int:
    """The configured bound of one rendered document (``HQR_DOCUMENT_MAX_MB``)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return int(current_app.config.get("DOCUMENT_MAX_MB", 20)) * 1024 * 1024
    return DEFAULT_MAX_BYTES


def render_docx(
    template: bytes | Path,
    context: Mapping[str, Any],
    *,
    draft: bool = False,
    timeout: float = RENDER_TIMEOUT_SECONDS,
    max_bytes: int | None = None,
) -> bytes:
    """Render a docxtpl template with ``context`` (made plain) and return the .docx bytes.

    ``draft`` is given to the template as ``draft``: a document rendered before it is frozen
    shows the 草稿 mark in its header.  A template closing with a 版记 is laid out once by
    LibreOffice when it is installed, to put the 版记 on the body's last page when that page is
    even (``record_alone``; a caller may set it in ``context``).  Bounded in time (``timeout``)
    and size (``max_bytes``, default the configured ``HQR_DOCUMENT_MAX_MB``): past either,
    DocumentError with a Chinese message.  :func:`render_laid_out` also gives the PDF of
    that layout."""
    return render_laid_out(
        template, context, draft=draft, timeout=timeout, max_bytes=max_bytes
    ).docx


@dataclass(frozen=True)
class Rendered:
    """A rendered Word file and, when LibreOffice laid out exactly these bytes (the 版记's
    page), the PDF it made of them (None otherwise): worth keeping, it costs a LibreOffice run."""

    docx: bytes
    pdf: bytes | None = None


def render_laid_out(
    template: bytes | Path,
    context: Mapping[str, Any],
    *,
    draft: bool = False,
    timeout: float = RENDER_TIMEOUT_SECONDS,
    max_bytes: int | None = None,
) -> Rendered:
    """:func:`render_docx`, with the layout's PDF when it is the PDF of the file returned."""
    data = template.read_bytes() if isinstance(template, Path) else template
    plain = plain_context({**context, "draft": bool(draft)})
    limit = max_bytes if max_bytes is not None else max_document_bytes()
    if RECORD_FLAG in context or not _closes_with_record(data) or libreoffice() is None:
        return Rendered(_render(data, plain, timeout, limit))
    # The 版记 at the foot of the body's last page when that page is even (one LibreOffice
    # layout tells), else on a page of its own starting on an even page.
    shared = _render(data, {**plain, RECORD_FLAG: False}, timeout, limit)
    try:
        pdf = to_pdf(shared)
    except DocumentError:
        pdf = None
    if pdf is not None and pdf_pages(pdf) % 2 == 0:
        return Rendered(shared, pdf)
    # Another file than the one laid out: its PDF, if asked for, is rendered then (pdf_of).
    return Rendered(_render(data, {**plain, RECORD_FLAG: True}, timeout, limit))


#: The context flag of a template closing with a 版记 (scripts/make_templates.py::official_record):
#: true puts the 版记 on a page of its own, false at the foot of the body's last page.
RECORD_FLAG = "record_alone"


def _closes_with_record(template: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(template)) as docx:
            return RECORD_FLAG.encode() in docx.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError):
        return False


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF as LibreOffice writes it (one ``/Type /Page`` object each)."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


def _render(data: bytes, plain: dict[str, Any], timeout: float, limit: int) -> bytes:
    mp = multiprocessing.get_context("fork")
    parent_conn, child_conn = mp.Pipe(duplex=False)
    proc = mp.Process(target=_render_in_child, args=(data, plain, child_conn, limit), daemon=True)
    proc.start()
    child_conn.close()
    try:
        if not parent_conn.poll(timeout):
            raise DocumentError(
                MESSAGES["timeout"].format(detail=int(timeout)), details={"kind": "timeout"}
            )
        try:
            result = parent_conn.recv()
        except EOFError as exc:
            raise DocumentError(MESSAGES["invalid"].format(detail="渲染进程异常退出")) from exc
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent_conn.close()
    if result[0] == "ok":
        return bytes(result[1])
    _, kind, detail = result
    raise DocumentError(MESSAGES[kind].format(detail=detail), details={"kind": kind})


def validate_template(template: bytes, sample_context: Mapping[str, Any]) -> list[str]:
    """Problems found by rendering ``template`` against a sample; empty when it is usable."""
    try:
        render_docx(template, sample_context)
    except DocumentError as err:
        return [err.message]
    return []


#: The fontconfig configuration LibreOffice converts with: the official face names of the Word
#: files onto installed Simplified Chinese faces (docs/documents.md, "Fonts").
FONTS_CONF = Path(__file__).with_name("fonts.conf")


def libreoffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


#: Blank pages are exported: a section that starts on an even page (the 版记's) must print there.
PDF_FILTER = 'pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"}}'


def to_pdf(docx: bytes, *, timeout: float = PDF_TIMEOUT_SECONDS) -> bytes | None:
    """Convert with LibreOffice when it is installed; ``None`` when it is not."""
    binary = libreoffice()
    if binary is None:
        return None
    with tempfile.TemporaryDirectory(prefix="hqr-pdf-") as tmp:
        src = Path(tmp) / "document.docx"
        src.write_bytes(keep_figures_together(docx))
        profile = Path(tmp) / "profile"
        try:
            subprocess.run(  # noqa: S603 - fixed binary and arguments, no shell
                [
                    binary,
                    f"-env:UserInstallation=file://{profile}",
                    "--headless",
                    "--convert-to",
                    PDF_FILTER,
                    "--outdir",
                    tmp,
                    str(src),
                ],
                check=True,
                capture_output=True,
                timeout=timeout,
                env={**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF)},
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise DocumentError("PDF 转换失败，请下载 Word 文件。") from exc
        pdf = Path(tmp) / "document.pdf"
        if not pdf.exists():
            raise DocumentError("PDF 转换失败，请下载 Word 文件。")
        return pdf.read_bytes()
