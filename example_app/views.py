"""The host's own pages: login (HTML and JSON), logout and a landing page behind login."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user

from example_app.auth import authenticate
from example_app.extensions import two_factor
from example_app.forms import LoginForm
from example_app.urls import is_cross_site, safe_next
from flask_t2m2fa.forms import StrictBodyForm

bp = Blueprint("site", __name__)

#: The one answer for an unknown account, an unknown user and a wrong password.
INVALID_CREDENTIALS = "The account, username or password is incorrect."

#: JSON login bodies are three short strings and a flag.
MAX_JSON_BODY = 4096
_MAX_FIELD = {"account": 64, "username": 64, "password": 256}


@bp.get("/")
@login_required  # type: ignore[untyped-decorator]  # Flask-Login ships no type information
def home() -> str:
    return render_template("home.html", user=current_user)


@bp.route("/login", methods=["GET", "POST"])
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
        error = INVALID_CREDENTIALS
    if form.body_error:  # a body that cannot be read as the form's fields: the client's error
        return render_template("login.html", form=form, error=form.body_error), 400
    return render_template("login.html", form=form, error=error)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    # An empty Flask-WTF form checks the CSRF token: no other site can log a user out.
    form = StrictBodyForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
    elif form.body_error:
        abort(400, form.body_error)
    return redirect(url_for("site.login"))


@bp.post("/api/login")
def api_login() -> ResponseReturnValue:
    """The JSON login of desktop clients: ``{"account", "username", "password"}``.

    Answers what :meth:`TwoFactor.login` answers JSON clients (``"ok"``, or ``"2fa_required"``
    and then the extension's ``/t2m2fa/api/*`` endpoints), or 401 ``"invalid_credentials"``
    with the same body for every bad login. A client that was told to remember its PC sends
    the token it got as ``remember_token``.
    """
    refused = _refuse_request()
    if refused is not None:
        return refused
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # deeply nested JSON is not a ValueError: would be a 500
        data = None
    credentials = _credentials(data)
    if credentials is None:
        message = "Send a JSON object with account, username and password as strings."
        return _problem("bad_request", 400, message=message)
    user = authenticate(*credentials)
    if user is None:
        return _problem("invalid_credentials", 401, message=INVALID_CREDENTIALS)
    remember_me = isinstance(data, dict) and data.get("remember_me") is True
    return two_factor.login(user, remember_me=remember_me)


def _credentials(data: object) -> tuple[str, str, str] | None:
    """Account, username and password from a JSON body, if all are short non-empty strings."""
    if not isinstance(data, dict):
        return None
    values = [data.get(name) for name in _MAX_FIELD]
    if not all(_valid_field(name, value) for name, value in zip(_MAX_FIELD, values, strict=True)):
        return None
    account, username, password = (str(value) for value in values)
    return account, username, password


def _refuse_request() -> tuple[Response, int] | None:
    """The same guards as the extension's JSON endpoints: same site, small JSON bodies."""
    if is_cross_site(request):
        return _problem("forbidden_origin", 403)
    if request.content_length is not None and request.content_length > MAX_JSON_BODY:
        return _problem("too_large", 413)
    if request.mimetype != "application/json":
        return _problem("json_required", 415)
    return None


def _valid_field(name: str, value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_FIELD[name]


def _problem(status: str, http_status: int, **extra: str) -> tuple[Response, int]:
    return jsonify(status=status, **extra), http_status
