"""The stand-in handed to ``login_user``: the host's user, with the login token for id."""

from __future__ import annotations

from flask_t2m2fa.web.stand_in import StandIn, real

TOKEN = "t2m2fa.u1.c.7"


class HostUser:
    def __init__(self) -> None:
        self.id = 7
        self.last_login = None

    def get_id(self) -> str:
        return str(self.id)


def test_the_id_is_the_token_and_everything_else_the_hosts_user() -> None:
    user = HostUser()
    stand_in = StandIn(user, TOKEN)
    assert stand_in.get_id() == TOKEN
    assert stand_in.id == 7
    stand_in.last_login = "now"  # a user_logged_in receiver of the host writes his user
    assert user.last_login == "now"
    assert real(stand_in) is user and real(user) is user


def test_a_stand_in_of_a_stand_in_wraps_the_hosts_user() -> None:
    user = HostUser()
    assert real(StandIn(StandIn(user, "t2m2fa.old.c.7"), TOKEN)) is user


def test_the_token_is_not_in_its_repr() -> None:
    assert TOKEN not in repr(StandIn(HostUser(), TOKEN))  # logs never carry a login token
