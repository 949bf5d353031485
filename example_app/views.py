"""The host's own pages: login (HTML and JSON), logout and a landing page behind login."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm

from example_app.auth import authenticate
from example_app.extensions import two_factor
from example_app.forms import LoginForm
from example_app.urls import is_cross_origin, safe_next

bp = Blueprint("site", __name__)

#: The one answer for an unknown account, an unknown user and a wrong password.
INVALID_CREDENTIALS = "The account, username or password is incorrect."

_MAX_FIELD = {"account": 64, "username": 64, "password": 256}


@bp.get("/")
@login_required  # type: ignore[misc]  # Flask-Login ships no type information
def home() -> str:
    return render_template("home.html", user=current_user)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Check account, user name and password, then hand over to the two-factor step."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("site.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.account.data, form.username.data, form.password.data)
        if user is not None:
            return two_factor.login(user, remember_me=bool(form.remember.data), next_url=next_url)
        error = INVALID_CREDENTIALS
    return render_template("login.html", form=form, error=error)


@bp.post("/logout")
def logout() -> Response:
    if FlaskForm().validate_on_submit():
        logout_user()
        session.clear()
    return redirect(url_for("site.login"))


@bp.post("/api/login")
def api_login() -> Any:
    """The JSON login of desktop clients: ``{"account", "username", "password"}``.

    Answers what :meth:`TwoFactor.login` answers JSON clients (logged in, or a code to enter
    through the extension's JSON endpoints), or 401 with the same body for every bad login.
    """
    if is_cross_origin(request):
        return _json_error("cross_origin", "Cross-origin requests are refused.", 403)
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        return _json_error("bad_request", "Send a JSON object.", 400)
    fields = {name: data.get(name) for name in _MAX_FIELD}
    if not all(_valid_field(name, value) for name, value in fields.items()):
        return _json_error(
            "bad_request", "account, username and password must be non-empty strings.", 400
        )
    user = authenticate(fields["account"], fields["username"], fields["password"])
    if user is None:
        return _json_error("invalid_credentials", INVALID_CREDENTIALS, 401)
    return two_factor.login(user, remember_me=data.get("remember_me") is True)


def _valid_field(name: str, value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_FIELD[name]


def _json_error(code: str, message: str, status: int) -> tuple[Response, int]:
    return jsonify(error=code, message=message), status
