"""Checks on an uploaded Word file before anything opens it: size, zip structure, bombs."""

from __future__ import annotations

import io
import re
import zipfile

from webapp.core.errors import UploadRefused

#: Limits of one uploaded template.
MAX_DOCX_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 500
#: A member that expands more than this is treated as a bomb.
MAX_RATIO = 200

_DOCTYPE_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def check_docx(data: bytes) -> None:
    """Refuse (UploadRefused, audited) unless ``data`` is a plausible, harmless .docx.

    Only the zip's central directory is read here: the declared sizes and member count are
    checked before any member is decompressed; the XML parts are then read (bounded by those
    checks) to refuse DTDs and entity declarations.
    """
    if not data:
        raise UploadRefused("请选择要上传的模板文件（.docx）。")
    if len(data) > MAX_DOCX_BYTES:
        raise UploadRefused(
            f"模板文件过大（{len(data)} 字节，上限 {MAX_DOCX_BYTES // (1024 * 1024)} MB）。"
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadRefused("不是有效的 Word 文件（.docx）。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise UploadRefused(f"Word 文件包含的部件过多（{len(members)} 个），疑似压缩炸弹。")
            total = sum(m.file_size for m in members)
            if total > MAX_UNCOMPRESSED_BYTES:
                raise UploadRefused(
                    f"Word 文件解压后过大（{total} 字节，上限 "
                    f"{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB），疑似压缩炸弹。"
                )
            for m in members:
                if m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
                    raise UploadRefused(f"Word 文件中的 {m.filename} 压缩比异常，疑似压缩炸弹。")
            names = {m.filename for m in members}
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise UploadRefused("不是有效的 Word 文件（.docx）：缺少正文部件。")
            for m in members:
                if m.filename.endswith((".xml", ".rels")):
                    read, tail = 0, b""
                    with archive.open(m) as part:
                        while chunk := part.read(65536):
                            read += len(chunk)
                            # keep a tail so a declaration split between chunks is seen too
                            window, tail = tail + chunk, chunk[-32:]
                            if read > m.file_size or _DOCTYPE_RE.search(window):
                                raise UploadRefused(
                                    f"Word 文件中的 {m.filename} 含有 DOCTYPE 或实体声明"
                                    "（出于安全原因拒绝）。"
                                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise UploadRefused(f"不是有效的 Word 文件（.docx）：{exc}") from exc
