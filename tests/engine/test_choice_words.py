"""A choice field's options and refusals speak its labels (enumNames), never its codes."""

from __future__ import annotations

from flask import render_template_string

from webapp.engine.jsonschema import validate

SCHEMA = {
    "type": "object",
    "properties": {
        "kind": {
            "type": "string",
            "title": "退回类别",
            "enum": ["data_error", "other"],
            "enumNames": ["数据差错", "其他"],
        },
        "plain": {"type": "string", "title": "方式", "enum": ["电话", "传真"]},
    },
}


def test_the_generic_form_shows_the_labels_of_a_choice(app):
    with app.test_request_context():
        html = render_template_string(
            '{% from "engine/_form.html" import schema_fields %}'
            "{{ schema_fields(schema, {'kind': 'other'}, {}) }}",
            schema=SCHEMA,
        )
    assert '<option value="data_error">数据差错</option>' in html
    assert '<option value="other" selected>其他</option>' in html
    assert '<option value="电话">电话</option>' in html  # no labels: the values are the words


def test_a_refused_choice_lists_the_labels():
    assert validate(SCHEMA, {"kind": "bogus"}) == {"kind": "退回类别的取值须为：数据差错、其他"}
    assert validate(SCHEMA, {"plain": "信"}) == {"plain": "方式的取值须为：电话、传真"}
