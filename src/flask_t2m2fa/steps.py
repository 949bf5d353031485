"""What the code page and the JSON endpoints do: submit a code, resend one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Response

from . import (
    accounts,
    challenges,
    enrolment,
    flow,
    handoff,
    pending,
    policy,
    remember,
    verification,
)
from .challenges import LOGIN
from .models import Challenge
from .pending import Pending
from .state import State
from .verification import Outcome, Verdict


def submit(state: State, pend: Pending, candidate: object, remember_pc: bool) -> Response | Verdict:
    """Judge the code; on success go on to the next code or finish the login.

    Returns a response when the login moved on, else the verdict for the caller to show.
    """
    verdict = verification.verify(state, pend.user_id, pend.challenge_id, candidate)
    if verdict.outcome is not Outcome.OK or verdict.challenge is None:
        state.session.commit()
        return verdict
    user = state.find_user(pend.user_id)
    if user is None:  # deleted meanwhile
        state.session.rollback()
        pending.end()
        return Verdict(Outcome.EXPIRED)
    ref = state.ref(user)
    challenge = verdict.challenge
    if remember_pc is True and challenge.purpose == LOGIN:
        challenge.remember_pc = True
    follow_up = flow.after_success(state, ref, challenge)
    if follow_up is None:
        asked = enrolment.after_code(state, ref, pend, challenge)
        if asked is not None:
            return asked
    if follow_up is not None:
        state.session.commit()
        pending.switch(follow_up.challenge.id)
        return handoff.pending_answer(follow_up)
    new_pc = None
    # Judged again now: a forged box, or a policy changed meanwhile, issues nothing.
    if challenge.remember_pc and policy.remember_offered(
        accounts.policy_for(state, ref.account_id)
    ):
        new_pc = remember.issue(state, ref, label=handoff.remember_label())
    state.session.commit()
    return handoff.finish(
        state, user, remember_me=challenge.remember_me, next_url=challenge.next_url, new_pc=new_pc
    )


def live_challenge(state: State, pend: Pending) -> Challenge | None:
    challenge = state.session.get(Challenge, pend.challenge_id)
    if challenge is None or challenge.user_id != pend.user_id:
        return None
    return challenge


@dataclass(frozen=True)
class ResendAnswer:
    """The same shape whether or not an SMS went out (cool-down, caps)."""

    destination: str
    sent_to: str
    resend_available_at: datetime | None

    def to_json(self) -> dict[str, object]:
        at = self.resend_available_at
        return {
            "status": "resend_requested",
            "destination": self.destination,
            "sent_to": self.sent_to,
            "resend_available_at": at.isoformat().replace("+00:00", "Z") if at else None,
        }


def resend(state: State, pend: Pending, destination: object) -> ResendAnswer | None:
    """Resend if the limits allow; the answer is the same either way. None: no pending login."""
    user = state.find_user(pend.user_id)
    live = live_challenge(state, pend)
    if user is None or live is None:
        return None
    ref = state.ref(user)
    role = accounts.BACKUP if destination == accounts.BACKUP else accounts.PRIMARY
    challenge, phone = flow.resend(state, ref, live, role)
    state.session.commit()
    pending.switch(challenge.id)
    if phone is None:  # no such phone: answer as for the live one
        step = flow.code_step(state, ref, challenge)
        return ResendAnswer(challenge.destination, step.phone.masked, step.resend_at)
    probe = challenges.next_send_at(state, challenge, phone)
    return ResendAnswer(accounts.public_role(phone.role), phone.masked, probe)
