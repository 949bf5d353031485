"""The host's own "Users" page, for its administrators: create a user, make or unmake one an
administrator.

The extension does not own users; this page shows the two moments a host must get right:
a new user is reported with ``two_factor.user_created(user)`` (so "Enable 2FA by default for
new users" applies to him), and making someone an administrator is only the host's
``is_admin`` changing (the extension then asks him for a backup number at his next login).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from example_app.auth import hash_password
from example_app.extensions import db, two_factor
from example_app.models import User
from flask_t2m2fa.forms import StrictBodyForm
from flask_t2m2fa.rules.ids import MAX_ROW_ID

bp = Blueprint("users", __name__)


class NewUserForm(StrictBodyForm):
    username = StringField(
        "Username",
        validators=[
            InputRequired(),
            Length(max=64),
            Regexp(r"^[a-z0-9._-]+$", message="Lower-case letters, digits, dot, dash, underscore."),
        ],
    )
    full_name = StringField("Full name", validators=[Length(max=128)])
    password = PasswordField("Password", validators=[InputRequired(), Length(min=8, max=256)])
    is_admin = BooleanField("Administrator")


def _administrator() -> None:
    if not current_user.is_admin:
        abort(403)


def _users() -> list[User]:
    query = sa.select(User).filter_by(account_id=current_user.account_id).order_by(User.username)
    return list(db.session.scalars(query))


def _page(form: NewUserForm, status: int = 200) -> ResponseReturnValue:
    users = [(user, two_factor.status_of(user)) for user in _users()]
    html = render_template("users.html", form=form, users=users, role_form=StrictBodyForm())
    return html, status


@bp.route("/users", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]  # Flask-Login ships no type information
def users() -> ResponseReturnValue:
    _administrator()
    form = NewUserForm()
    if not form.validate_on_submit():
        return _page(form, 400 if form.is_submitted() else 200)
    user = User(
        account_id=current_user.account_id,
        username=(form.username.data or "").casefold(),
        full_name=form.full_name.data or "",
        password_hash=hash_password(form.password.data or ""),
        is_admin=bool(form.is_admin.data),
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.username.errors.append("This account already has a user of that name.")
        return _page(form, 409)
    two_factor.user_created(user)  # "Enable 2FA by default for new users" applies to him
    db.session.commit()  # the extension joins our transaction: we commit when done
    if two_factor.status_of(user)["enabled"]:
        said = "two-factor login is on; at the first login the user enters and verifies a number"
    else:
        said = "two-factor login is off (the policy's 2FA for new users is off)"
    flash(f"User {user.username} created: {said}.", "success")
    return redirect(url_for("users.users"))


@bp.post(f"/users/<int(min=1, max={MAX_ROW_ID}):user_id>/role")
@login_required  # type: ignore[untyped-decorator]
def role(user_id: int) -> ResponseReturnValue:
    """Make a user an administrator, or an ordinary user again (not oneself)."""
    _administrator()
    form = StrictBodyForm()
    if not form.validate_on_submit():
        abort(400)
    user = db.session.get(User, user_id)
    if user is None or user.account_id != current_user.account_id or user.id == current_user.id:
        abort(404)
    user.is_admin = not user.is_admin
    db.session.commit()
    if user.is_admin:
        said = "an administrator also needs a verified backup number, asked at the next login"
        flash(f"{user.username} is now an administrator: {said} if missing.", "success")
    else:
        flash(f"{user.username} is an ordinary user again.", "success")
    return redirect(url_for("users.users"))
