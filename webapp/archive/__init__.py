"""The document archive: every frozen document (a report sent up, a notice issued, a public
report published, an assessment's results notice), its PDF rendered once, and the stamped scans
units attach, each with its version and SHA-256 (docs/documents.md, "The document archive").

The archive imports no feature: a feature stores its files with ``operations.store`` and
registers who may read them with ``access.register_reader``."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template

from webapp.archive import models  # noqa: F401 (the table, for Alembic)

ACTIONS = {
    "archive.download": "下载存档文件",
    "archive.render_pdf": "生成存档文件的 PDF",
    "archive.tamper_detected": "存档文件校验失败",
}


def init_app(app: Flask, api: Any) -> None:
    from webapp.archive import views
    from webapp.archive.operations import DocumentTampered
    from webapp.audit.vocabulary import register_actions, register_object_types
    from webapp.web import record_refusal, wants_json

    app.register_blueprint(views.bp)
    register_actions(ACTIONS)
    register_object_types({"archived_document": "存档文件"})

    @app.errorhandler(DocumentTampered)
    def _tampered(err: DocumentTampered) -> Any:
        # Audited although the answer is an error (the record outlives the rollback).
        record_refusal("archive.tamper_detected", after=err.details)
        if wants_json():
            return jsonify(code=err.code, message=err.message), err.status_code
        return render_template(
            "errors/error.html", status=err.status_code, message=err.message, details=None
        ), err.status_code
