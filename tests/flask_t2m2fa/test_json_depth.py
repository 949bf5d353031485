"""A JSON body nested deeper than a fixed limit is no request: 400, nothing counted (issue 19).

The stdlib decoder's own limit is the interpreter's recursion limit, which moved between
Python versions: a 1,500-deep body that 3.11 refuses is decoded by 3.13, and then judged as a
(malformed, so wrong) code that counts against the user's budgets. The limit must be the
extension's own, checked before decoding, so every Python answers the same.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from t2m2fa_support import Host, RecordingSender, json_login, json_verify

from flask_t2m2fa.models import Challenge, Failure

#: Far past any sensible limit ("say 32 levels"), and around the decoders' recursion limits;
#: 2,000 levels still fit in the 4 KiB body cap.
DEPTHS = [100, 1_000, 2_000]


def _nested(depth: int) -> str:
    return '{"code": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("path", ["/t2m2fa/api/verify", "/t2m2fa/api/resend"])
def test_a_deeply_nested_body_is_400_and_counts_nothing(
    client: FlaskClient, host: Host, alice: Any, sms: RecordingSender, path: str, depth: int
) -> None:
    assert json_login(client, "alice").json["status"] == "2fa_required"
    sent = len(sms.messages)
    answer = client.post(path, data=_nested(depth), content_type="application/json")
    assert answer.status_code == 400, (answer.status_code, answer.json)
    session = host.db.session
    assert session.scalar(sa.select(sa.func.count()).select_from(Failure)) == 0
    assert session.scalar(sa.select(sa.func.max(Challenge.attempts))) == 0
    assert len(sms.messages) == sent
    assert json_verify(client, sms.last.code).json["status"] == "ok"
