"""What the pages of a periodic document (reports, public reports) share."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.core.errors import InvalidInput
from webapp.core.models import User
from webapp.core.periods import period_label


def open_period_form(open_period: Callable[[User, str], dict[str, int]], index: str) -> Response:
    """The administrator's 开启 form: open the posted period for every unit, say how many were
    opened and how many had been, and go back to the ``index`` page of that period.  The view
    is ``refused_on(index)``: a period refused comes back under its box, as typed."""
    period = (request.form.get("period") or "").strip()
    try:
        counts = open_period(current_user, period)
    except InvalidInput as err:  # the form's one field: the reason stands under it
        raise InvalidInput(err.message, details=err.details or {"period": err.message}) from None
    opened, existing = counts["opened"], counts["existing"]
    if not opened:
        flash(f"{period_label(period)} 的 {existing} 个单位均已开启，本次未作改动。", "info")
        return redirect(url_for(index, period=period))
    flash(
        f"已开启 {period_label(period)}：新开启 {opened} 个单位，原已开启 {existing} 个。",
        "success",
    )
    return redirect(url_for(index, period=period))
