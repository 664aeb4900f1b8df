"""Sandboxed, time-limited docxtpl rendering and PDF conversion through LibreOffice."""

from __future__ import annotations

import io
import multiprocessing
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from webapp.core.errors import DomainError

#: Default limits; callers may pass their own.
RENDER_TIMEOUT_SECONDS = 20.0
PDF_TIMEOUT_SECONDS = 90.0


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


def _sandbox_env() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    # StrictUndefined: a missing field or a refused attribute raises instead of printing "",
    # so an official document never silently loses a figure.
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


def _render_in_child(template: bytes, context: dict[str, Any], conn: Any) -> None:
    """Child process body: render and send ("ok", bytes) or ("error", kind, message)."""
    try:
        from docxtpl import DocxTemplate
        from jinja2 import TemplateError, UndefinedError
        from jinja2.exceptions import SecurityError, TemplateSyntaxError

        doc = DocxTemplate(io.BytesIO(template))
        try:
            doc.render(context, jinja_env=_sandbox_env(), autoescape=True)
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
        conn.send(("ok", out.getvalue()))
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
}


def render_docx(
    template: bytes | Path, context: Mapping[str, Any], *, timeout: float = RENDER_TIMEOUT_SECONDS
) -> bytes:
    """Render a docxtpl template with ``context`` (made plain) and return the .docx bytes."""
    data = template.read_bytes() if isinstance(template, Path) else template
    plain = plain_context(context)
    mp = multiprocessing.get_context("fork")
    parent_conn, child_conn = mp.Pipe(duplex=False)
    proc = mp.Process(target=_render_in_child, args=(data, plain, child_conn), daemon=True)
    proc.start()
    child_conn.close()
    try:
        if not parent_conn.poll(timeout):
            raise DocumentError(MESSAGES["timeout"].format(detail=int(timeout)))
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


def libreoffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: bytes, *, timeout: float = PDF_TIMEOUT_SECONDS) -> bytes | None:
    """Convert with LibreOffice when it is installed; ``None`` when it is not."""
    binary = libreoffice()
    if binary is None:
        return None
    with tempfile.TemporaryDirectory(prefix="hqr-pdf-") as tmp:
        src = Path(tmp) / "document.docx"
        src.write_bytes(docx)
        profile = Path(tmp) / "profile"
        try:
            subprocess.run(  # noqa: S603 - fixed binary and arguments, no shell
                [
                    binary,
                    f"-env:UserInstallation=file://{profile}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    tmp,
                    str(src),
                ],
                check=True,
                capture_output=True,
                timeout=timeout,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise DocumentError("PDF 转换失败，请下载 Word 文件。") from exc
        pdf = Path(tmp) / "document.pdf"
        if not pdf.exists():
            raise DocumentError("PDF 转换失败，请下载 Word 文件。")
        return pdf.read_bytes()
