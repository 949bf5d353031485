"""``python -m example_app.client``: log in to the example host from a terminal, like eCatcher.

Talks only the JSON API: the host's ``/api/login``, ``/api/whoami``, ``/api/logout`` and the
extension's ``/t2m2fa/api/*`` (``openapi.yaml``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from example_app.client.api import (
    EXIT_INTERRUPTED,
    EXIT_NOT_LOGGED_IN,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    REMEMBER_HEADER,
    Api,
    ClientError,
    normalise_server,
)
from example_app.client.flow import Conversation, say
from example_app.client.store import Identity, Session, SessionStore, TokenStore, config_dir

EPILOG = """\
exit codes:
  0    done
  1    refused by the server (wrong password or code, locked, paused, ...)
  2    wrong usage
  3    cannot reach the server, or it did not answer JSON
  4    not logged in (resend, whoami, logout)
  130  interrupted (Ctrl-C, or end of input at a prompt)

The remembered-PC tokens and the current login are kept in %(dir)s (mode 0600).
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m example_app.client",
        description="Log in to a flask-t2m2fa host from the terminal (password + SMS code).",
        epilog=EPILOG % {"dir": config_dir()},
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--ca-file", help="also trust this CA certificate (PEM) for TLS")
    commands = parser.add_subparsers(dest="command", required=True)
    login = commands.add_parser("login", help="log in; asks for the password, then the code")
    forget = commands.add_parser("forget", help="delete the remembered-PC token of a login")
    for sub in (login, forget):
        required = sub is login
        sub.add_argument("--server", required=required, help="e.g. https://talk2m.example")
        sub.add_argument("--account", required=required)
        sub.add_argument("--username", required=required)
    resend = commands.add_parser("resend", help="send a new code and finish the login")
    resend.add_argument("--backup", action="store_true", help="send it to the backup phone")
    commands.add_parser("logout", help="end the current login")
    commands.add_parser("whoami", help="show who is logged in")
    return parser.parse_args(argv)


class Client:
    """The commands; state lives in the user's config directory."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        directory = config_dir()
        self.tokens = TokenStore(directory)
        self.sessions = SessionStore(directory)

    def api(self, server: str, session: Session | None = None) -> Api:
        cookies = session.cookies if session is not None else []
        return Api(server, cookies=cookies, ca_file=self.args.ca_file)

    def current(self) -> Session:
        session = self.sessions.load()
        if session is None:
            raise ClientError("Not logged in: run `login` first.", EXIT_NOT_LOGGED_IN)
        return session

    def login(self) -> int:
        a = self.args
        who = Identity(normalise_server(a.server), a.account, a.username)
        password = getpass.getpass("Password: ")
        token = self.tokens.get(who)
        headers = {REMEMBER_HEADER: token} if token else {}
        api = self.api(who.server)
        body = {"account": who.account, "username": who.username, "password": password}
        answer = api.post("/api/login", body, headers)
        if token and answer.status in ("2fa_required", "enrolment_required"):
            self.tokens.drop(who)
            say("The server no longer accepts this PC's remembered login: a code is needed.")
        return Conversation(api, who, self.tokens, self.sessions).follow(answer)

    def resend(self) -> int:
        session = self.current()
        api = self.api(session.who.server, session)
        talk = Conversation(api, session.who, self.tokens, self.sessions)
        answer = talk.resend("backup" if self.args.backup else "primary")
        if answer.status == "no_such_phone":
            return EXIT_REFUSED
        return talk.follow(api.get("/t2m2fa/api/challenge"))

    def whoami(self) -> int:
        session = self.current()
        answer = self.api(session.who.server, session).get("/api/whoami")
        if answer.status != "ok":
            raise ClientError(answer.message, EXIT_NOT_LOGGED_IN)
        b = answer.body
        who = f"{b.get('username')} ({b.get('full_name')}), account {b.get('account')}"
        say(f"{who}, on {session.who.server}; logged in with: {b.get('via')}.")
        return EXIT_OK

    def logout(self) -> int:
        session = self.current()
        self.sessions.clear()  # forgotten here whatever the server says
        answer = self.api(session.who.server, session).post("/api/logout", {})
        say(answer.message)
        return EXIT_OK

    def forget(self) -> int:
        a = self.args
        session = self.sessions.load()
        if a.server and a.account and a.username:
            who = Identity(normalise_server(a.server), a.account, a.username)
        elif session is not None:
            who = session.who
        else:
            raise ClientError("Say which login: --server, --account and --username.", EXIT_USAGE)
        found = self.tokens.drop(who)
        say(f"Forgot the remembered PC of {who}." if found else f"Nothing to forget for {who}.")
        return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    client = Client(args)
    command: Callable[[], int] = getattr(client, args.command)
    try:
        return command()
    except ClientError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    except (KeyboardInterrupt, EOFError):
        print("\nInterrupted; run `resend` to go on with an unfinished login.", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
