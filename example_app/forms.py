"""The host's login form (Flask-WTF, so it carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import InputRequired, Length


class LoginForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type information
    """Talk2M-style login: the account name, then the user name and password in that account."""

    account = StringField(
        "Account", validators=[InputRequired(), Length(max=64)], render_kw={"autofocus": True}
    )
    username = StringField("Username", validators=[InputRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=256)])
    remember = BooleanField("Keep me signed in")
