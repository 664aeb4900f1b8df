"""Official documents: Word files rendered with docxtpl from a whitelisted, plain-data context.

Rendering happens in a sandboxed Jinja environment (``SandboxedEnvironment(autoescape=True)``)
inside a short-lived child process that is killed when it exceeds its time limit; a template can
neither reach Python internals nor hang the server.  See :mod:`webapp.documents.render`.
"""

from webapp.documents.render import (
    DocumentError,
    Rendered,
    plain_context,
    render_docx,
    render_laid_out,
    to_pdf,
    validate_template,
)

__all__ = [
    "DocumentError",
    "Rendered",
    "plain_context",
    "render_docx",
    "render_laid_out",
    "to_pdf",
    "validate_template",
]
