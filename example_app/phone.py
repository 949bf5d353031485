"""Development-only "phone": the SMS the loopback modem delivered, so a demo user can read a code.

Registered only when ``DEMO_FAKE_MODEM_STATE`` names the loopback modem's state directory; an
app that sends through a real modem has no such page.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, render_template, url_for

from gateway.fake import Inbox
from gateway.outbox import mask_number

bp = Blueprint("demo_phone", __name__, url_prefix="/demo")

CONFIG_KEY = "DEMO_FAKE_MODEM_STATE"


def init_phone_page(app: Flask) -> None:
    """Add the phone page and the template link to it, only when the loopback modem is used."""
    if not app.config.get(CONFIG_KEY):
        return
    app.register_blueprint(bp)

    @app.context_processor
    def _phone_link() -> dict[str, str]:
        return {"demo_phone_url": url_for("demo_phone.inbox")}


@bp.get("/phone")
def inbox() -> str:
    """Every SMS the loopback modem delivered, newest first, with the masked destination."""
    state_dir = Path(current_app.config[CONFIG_KEY])
    messages = sorted(Inbox(state_dir).messages(), key=lambda m: m.received_at, reverse=True)
    return render_template("phone.html", messages=messages, mask=mask_number)
