"""Flask-WTF forms of the code page; each carries its CSRF token.

They derive from :class:`StrictBodyForm`, which hosts may use for their own forms (the example
app's login and logout do): Flask-WTF builds a form's data from whatever ``get_json()`` returns,
so a JSON body that is not an object (``[1, 2]``, ``"abc"``, ``5``), nested too deep, or with
values a text field cannot hold would raise inside the form and answer 500.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS
from flask_wtf.form import _Auto as _AUTO  # Flask-WTF's "read the request" default
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import BooleanField, FileField, HiddenField, IntegerField, StringField

from .i18n import gettext as _
from .rules.notices import N_
from .web.guards import json_body

#: The form error of a JSON body that cannot be read as form fields (a message id: the form
#: error is it in the reader's language).
BAD_JSON_BODY = N_("Send a JSON object whose values are strings or lists of strings.")


def json_fields() -> ImmutableMultiDict[str, str] | None:
    """The request's JSON body as form fields, or None when it cannot be read as such.

    An HTML form holds strings only: a JSON value that is a list becomes repeated fields, and
    anything else (number, object, null, ``true``) makes the whole body unreadable, as does a
    body that is not an object, not valid JSON, or nested too deep (:func:`.web.guards.json_body`).
    """
    data = json_body()  # nesting checked before decoding, the same on every Python
    if not isinstance(data, dict):
        return None
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in values):
            return None
        pairs += [(name, item) for item in values]
    return ImmutableMultiDict(pairs)


class StrictBodyForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type information
    """A Flask-WTF form that turns an unreadable JSON body into a form error, not a 500.

    Form-encoded bodies are read as Flask-WTF reads them, and multipart ones too except that
    uploaded files are ignored by a form without a file field: an upload named like a text
    field would reach that field's validators as a file object (``len()`` of it raises).
    """

    #: Set when the request's JSON body could not be read; :meth:`validate` then fails.
    body_error: str | None = None

    class Meta(FlaskForm.Meta):  # type: ignore[misc]
        def wrap_formdata(self, form: StrictBodyForm, formdata: Any) -> Any:
            if formdata is not _AUTO or request.method not in SUBMIT_METHODS:
                return super().wrap_formdata(form, formdata)
            if request.files and not any(isinstance(field, FileField) for field in form):
                return request.form or None
            if request.files or request.form or not request.is_json:
                return super().wrap_formdata(form, formdata)
            fields = json_fields()
            if fields is None:
                form.body_error = _(BAD_JSON_BODY)
                return ImmutableMultiDict()
            return fields

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators=extra_validators))
        if self.body_error is None:
            return valid
        self.form_errors.append(self.body_error)
        return False


class CodeForm(StrictBodyForm):
    # No validators: a malformed code must reach the verifier and count as a wrong one.
    code = StringField("Code", render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    remember_pc = BooleanField("Remember this PC")


class ResendForm(StrictBodyForm):
    destination = HiddenField(default="primary")


class EnrolForm(StrictBodyForm):
    # Checked by phones.normalise (valid mobile, allowed country), not by a WTForms validator.
    phone = StringField("Mobile number", render_kw={"autocomplete": "tel", "inputmode": "tel"})


class ChangePhoneForm(StrictBodyForm):
    # Checked by phones.normalise, like the enrolment's number; the role by the service.
    role = HiddenField(default="primary")
    phone = StringField("New mobile number", render_kw={"autocomplete": "tel", "inputmode": "tel"})


class RevokePcForm(StrictBodyForm):
    pc_id = IntegerField("PC")
