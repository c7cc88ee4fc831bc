"""`Services`: the running parts of an app, opened in its lifespan (web/lifespan.py): the
casework desk (`Casework`: store, outbox, rights requests, escalations) and what runs beside it
(mail sender, feedback counts, example questions, question log, purge and digest schedules).

In web/, "casework" and "desk" name the domain's `Casework` only; "services" names this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from qa.answering.answers import Answer
from qa.answering.examples import Examples
from qa.answering.feedback import FeedbackCounts
from qa.answering.questions import QuestionLog
from qa.answering.teacher import Teacher
from qa.casework.desk import Casework
from qa.casework.escalations import Escalations
from qa.casework.reminders import Reminders, ReminderSchedule
from qa.casework.retention import PurgeSchedule
from qa.casework.rights import RightsRequests
from qa.delivery.outbox import Outbox
from qa.delivery.sender import Sender
from qa.storage.store import Store


@dataclass
class Services:
    """The app's running parts: the casework desk and the tasks beside it, which the routes
    work through."""

    casework: Casework
    sender: Sender
    feedback: FeedbackCounts
    examples: Examples
    teacher: Teacher  # keeps app.state.assistant taught with the examples in the database
    purges: PurgeSchedule | None = None  # None: PRIVACY_QA_PURGE_INTERVAL_HOURS is 0
    questions: QuestionLog | None = None  # None: the app is not started; off: days == 0
    reminders: Reminders | None = None  # what is due (for /metrics), and the daily digest
    digests: ReminderSchedule | None = None  # None: PRIVACY_QA_REMINDER_DAYS is 0

    @property
    def store(self) -> Store:
        """The database (the casework desk's)."""
        return self.casework.store

    @property
    def outbox(self) -> Outbox:
        """Outgoing mail (the casework desk's)."""
        return self.casework.outbox

    @property
    def rights(self) -> RightsRequests:
        """Rights requests (the casework desk's)."""
        return self.casework.rights

    @property
    def escalations(self) -> Escalations:
        """Escalations (the casework desk's)."""
        return self.casework.escalations


def get_services(request: Request) -> Services:
    """The services opened in the app's lifespan."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def log_question(
    request: Request, question: str, answer: Answer, document: str | None = None
) -> None:
    """Queue the question, redacted, in the operator's question log (nothing when it is off)."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is not None and services.questions is not None:
        services.questions.add(question, answer, document)
