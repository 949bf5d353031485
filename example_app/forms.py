"""The host's login form (Flask-WTF, so it carries a CSRF token).

It derives from the extension's :class:`StrictBodyForm`: a JSON body that is not an object of
strings, or an upload in a text field, is then a form error rather than a 500.
"""

from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from flask_t2m2fa.forms import StrictBodyForm


class LoginForm(StrictBodyForm):
    """Talk2M-style login: the account name, then the user name and password in that account."""

    account = StringField(
        "Account", validators=[InputRequired(), Length(max=64)], render_kw={"autofocus": True}
    )
    username = StringField("Username", validators=[InputRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=256)])
    remember = BooleanField("Keep me signed in")
