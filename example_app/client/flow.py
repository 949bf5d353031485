"""The login conversation: follow the server's answers until logged in or refused.

The server says what is due (``2fa_required``, ``enrolment_required``, ``ok`` or a problem)
and, in ``message``, what to tell the user; this module asks for what is due and shows those
messages as they are. It never decides a rule itself (cool-downs, attempts, policy).
"""

from __future__ import annotations

from typing import Any

from example_app.client.api import EXIT_REFUSED, Answer, Api, ClientError
from example_app.client.store import Identity, Session, SessionStore, TokenStore

CODE_PROMPT = (
    "Code from the SMS (r: send a new code, b: send it to the backup phone,"
    " c: use a recovery code): "
)
#: Problems after which typing another code can still help.
RETRYABLE = ("invalid_code", "code_expired")
#: Refusals of a recovery code after which the SMS code can still be typed (nothing counted).
RECOVERY_REFUSED = ("bad_request", "recovery_disabled", "recovery_not_offered")


def say(text: str) -> None:
    print(text, flush=True)


def ask_yes_no(question: str) -> bool:
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


class Conversation:
    """One login on one server, from the first answer of ``/api/login`` to the last."""

    def __init__(self, api: Api, who: Identity, tokens: TokenStore, sessions: SessionStore):
        self.api, self.who, self.tokens, self.sessions = api, who, tokens, sessions
        self.remember_pc: bool | None = None  # asked once per login

    def save_session(self) -> None:
        self.sessions.save(Session(self.who, self.api.cookies()))

    def follow(self, answer: Answer) -> int:
        """Answer what the server asks until the login ends; the exit code."""
        while True:
            self.save_session()  # a login cut short can go on with `resend`
            if answer.status == "ok":
                return self.logged_in(answer.body)
            if answer.status == "2fa_required":
                answer = self.code_step(answer.body)
            elif answer.status == "enrolment_required":
                answer = self.enrol_step(answer.body)
            else:
                raise ClientError(answer.message, EXIT_REFUSED)

    def logged_in(self, body: dict[str, Any]) -> int:
        token = body.get("remember_token")
        if isinstance(token, str):
            self.tokens.put(self.who, token)
            say("This PC is remembered: the next logins need no code while the server agrees.")
        elif self.remember_pc:
            say("The server did not remember this PC.")
        left = body.get("recovery_codes_left")
        if isinstance(left, int):
            say(f"You logged in with a recovery code: {left} left. Generate new ones on the")
            say(f"Security page: {self.api.server}{body.get('next', '/t2m2fa/security')}")
        say(f"Logged in as {self.who}.")
        return 0

    def code_step(self, step: dict[str, Any]) -> Answer:
        say(str(step.get("message", "Enter the code sent by SMS.")))
        self.ask_remember(step)
        while True:
            entry = input(CODE_PROMPT).strip()
            if entry in ("r", "b"):
                self.resend("backup" if entry == "b" else "primary")
                continue
            if not entry:
                continue
            if entry == "c":
                answer = self.use_recovery_code()
                if answer is None:
                    continue
            else:
                answer = self.api.post(
                    "/t2m2fa/api/verify", {"code": entry, "remember_pc": bool(self.remember_pc)}
                )
            if answer.status in RETRYABLE:
                say(answer.message)
                continue
            return answer

    def use_recovery_code(self) -> Answer | None:
        """Send one of the user's recovery codes instead of the SMS code; None: the server
        refused it before judging it (told to the user), so the SMS code may be typed."""
        code = input("Recovery code (xxxxx-xxxxx): ").strip()
        if not code:
            return None
        answer = self.api.post(
            "/t2m2fa/api/recovery", {"code": code, "remember_pc": bool(self.remember_pc)}
        )
        if answer.status in RECOVERY_REFUSED:
            say(answer.message)
            return None
        return answer

    def ask_remember(self, step: dict[str, Any]) -> None:
        if self.remember_pc is not None or step.get("purpose") != "login":
            return
        if step.get("remember_pc_offered"):
            self.remember_pc = ask_yes_no("Remember this PC (no code at the next logins)?")
        else:
            self.remember_pc = False
            say("This account's policy does not allow remembering this PC.")

    def resend(self, destination: str) -> Answer:
        """Ask for a new code; show whether it went out (429: the previous code stays valid)."""
        answer = self.api.post("/t2m2fa/api/resend", {"destination": destination})
        if answer.status in ("code_sent", "code_not_sent", "no_such_phone"):
            say(answer.message)
            return answer
        raise ClientError(answer.message, EXIT_REFUSED)

    def enrol_step(self, step: dict[str, Any]) -> Answer:
        """Walk the user through entering a number; its code is then asked like a login code."""
        say(str(step.get("message", "Enter your mobile number.")))
        if step.get("backup_required"):
            say("As an administrator you need a verified backup number too, different from it.")
        while True:
            phone = input("Mobile number, international (e.g. +32 470 12 34 56): ").strip()
            if not phone:
                continue
            answer = self.api.post("/t2m2fa/api/enrol", {"phone": phone})
            if answer.status == "invalid_phone":
                say(answer.message)
                continue
            return answer
