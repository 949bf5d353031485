"""The host's own pages: login (HTML and JSON), logout and a landing page behind login."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from example_app.auth import authenticate
from example_app.extensions import db, two_factor
from example_app.forms import LoginForm
from example_app.limits import failed_login, login_limits
from example_app.urls import safe_next
from flask_t2m2fa import json_body, json_endpoint
from flask_t2m2fa.forms import StrictBodyForm

bp = Blueprint("site", __name__)

#: The one answer for an unknown account, an unknown user and a wrong password.
INVALID_CREDENTIALS = "The account, username or password is incorrect."

_MAX_FIELD = {"account": 64, "username": 64, "password": 256}


@bp.get("/")
@login_required  # type: ignore[untyped-decorator]  # Flask-Login ships no type information
def home() -> str:
    return render_template("home.html", user=current_user, via=two_factor.login_method())


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login() -> ResponseReturnValue:
    """Check account, user name and password, then hand over to the two-factor step."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("site.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.account.data, form.username.data, form.password.data or "")
        if user is not None:
            return two_factor.login(user, remember_me=bool(form.remember.data), next_url=next_url)
        failed_login()
        error = INVALID_CREDENTIALS
    if form.body_error:  # a body that cannot be read as the form's fields: the client's error
        return render_template("login.html", form=form, error=form.body_error), 400
    return render_template("login.html", form=form, error=error)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    # An empty Flask-WTF form checks the CSRF token: no other site can log a user out.
    form = StrictBodyForm()
    if form.validate_on_submit():
        # Not logout_user() + session.clear(): that wipes the order to delete the remember cookie.
        two_factor.logout()
    elif form.body_error:
        abort(400, form.body_error)
    return redirect(url_for("site.login"))


@bp.post("/logout/everywhere")
@login_required  # type: ignore[untyped-decorator]
def logout_everywhere() -> ResponseReturnValue:
    """End every session and "Keep me signed in" cookie of this user, on every device."""
    form = StrictBodyForm()
    if form.validate_on_submit():
        two_factor.sign_out_everywhere(current_user)
        db.session.commit()  # the extension joins our transaction: we commit when done
    elif form.body_error:
        abort(400, form.body_error)
    return redirect(url_for("site.login"))


@bp.post("/api/login")
@json_endpoint  # same site only, JSON only, small bodies: the extension's own guards
@login_limits
def api_login() -> ResponseReturnValue:
    """The JSON login of desktop clients: ``{"account", "username", "password"}``.

    Answers what :meth:`TwoFactor.login` answers JSON clients (``"ok"``, or ``"2fa_required"``
    and then the extension's ``/t2m2fa/api/*`` endpoints), or 401 ``"invalid_credentials"``
    with the same body for every bad login. A client that was told to remember its PC sends
    the token it got as ``remember_token``.
    """
    data = json_body()
    credentials = _credentials(data)
    if credentials is None:
        message = "Send a JSON object with account, username and password as strings."
        return _problem("bad_request", 400, message=message)
    user = authenticate(*credentials)
    if user is None:
        failed_login()
        return _problem("invalid_credentials", 401, message=INVALID_CREDENTIALS)
    remember_me = isinstance(data, dict) and data.get("remember_me") is True
    return two_factor.login(user, remember_me=remember_me)


@bp.get("/api/whoami")
@json_endpoint
def api_whoami() -> ResponseReturnValue:
    """Who this session is logged in as, and how (``code``, ``remembered_pc``, ``password``)."""
    if not current_user.is_authenticated:
        return _problem("login_required", 401, message="You are not logged in.")
    return jsonify(
        status="ok",
        account=current_user.account.name,
        username=current_user.username,
        full_name=current_user.full_name,
        via=two_factor.login_method(),
    )


@bp.post("/api/logout")
@json_endpoint  # JSON only and same site: another site cannot log a user out
def api_logout() -> ResponseReturnValue:
    """End this session (a desktop client's "Log out"); remembered PCs stay remembered."""
    two_factor.logout()
    return jsonify(status="logged_out", message="You are logged out.")


def _credentials(data: object) -> tuple[str, str, str] | None:
    """Account, username and password from a JSON body, if all are short non-empty strings."""
    if not isinstance(data, dict):
        return None
    values = [data.get(name) for name in _MAX_FIELD]
    if not all(_valid_field(name, value) for name, value in zip(_MAX_FIELD, values, strict=True)):
        return None
    account, username, password = (str(value) for value in values)
    return account, username, password


def _valid_field(name: str, value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_FIELD[name]


def _problem(status: str, http_status: int, **extra: str) -> tuple[Response, int]:
    return jsonify(status=status, **extra), http_status
