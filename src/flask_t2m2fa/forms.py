"""Flask-WTF forms of the code page; each carries its CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField


class CodeForm(FlaskForm):  # type: ignore[misc]
    # No validators: a malformed code must reach the verifier and count as a wrong one.
    code = StringField("Code", render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    remember_pc = BooleanField("Remember this PC")


class ResendForm(FlaskForm):  # type: ignore[misc]
    destination = HiddenField(default="primary")


class EnrolForm(FlaskForm):  # type: ignore[misc]
    # Checked by phones.normalise (valid mobile, allowed country), not by a WTForms validator.
    phone = StringField("Mobile number", render_kw={"autocomplete": "tel", "inputmode": "tel"})


class ChangePhoneForm(FlaskForm):  # type: ignore[misc]
    # Checked by phones.normalise, like the enrolment's number; the role by the service.
    role = HiddenField(default="primary")
    phone = StringField("New mobile number", render_kw={"autocomplete": "tel", "inputmode": "tel"})


class RevokePcForm(FlaskForm):  # type: ignore[misc]
    pc_id = IntegerField("PC")
