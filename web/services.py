"""The casework desk of a running app, and its background tasks: mail sender, retention purge,
the daily deadline digest."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from qa.answering.answers import Answer
from qa.answering.assistant import Assistant
from qa.answering.cache import AnswerCache
from qa.answering.examples import Examples
from qa.answering.feedback import FeedbackCounts
from qa.answering.questions import QuestionLog
from qa.answering.teacher import Teacher, stale_warnings
from qa.casework.desk import Casework, mailbox_warning, open_casework
from qa.casework.escalations import Escalations
from qa.casework.reminders import Reminders, ReminderSchedule, reminders_for
from qa.casework.retention import PurgeSchedule
from qa.casework.rights import RightsRequests
from qa.delivery.outbox import Outbox, Sender
from qa.settings import Settings
from qa.storage.store import Store

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What the rights, escalation and support routes work through."""

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
        """The database."""
        return self.casework.store

    @property
    def outbox(self) -> Outbox:
        """Outgoing mail."""
        return self.casework.outbox

    @property
    def rights(self) -> RightsRequests:
        """The rights-request desk."""
        return self.casework.rights

    @property
    def escalations(self) -> Escalations:
        """The escalation desk."""
        return self.casework.escalations


def casework_lifespan(
    settings: Settings, store: Store | None = None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: open the store (upgrading its schema), teach the assistant the
    examples in the database, run the mail sender, the retention purge, the examples check and
    the deadline digest."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warning := mailbox_warning(settings, app.state.assistant):
            log.warning(warning)  # the routes that would mail the team answer 503 meanwhile
        casework = await asyncio.to_thread(open_casework, settings, app.state.assistant, store)
        purges = None
        if settings.purge_interval_hours > 0:
            # Each worker runs its own schedule: purges are serialised in the database and
            # idempotent, so N workers purging cost N quick no-ops, and no leader is needed.
            interval = timedelta(hours=settings.purge_interval_hours)
            purges = PurgeSchedule(
                casework.store,
                settings.retention_days,
                interval,
                question_days=settings.question_log_days,
                mail=casework.outbox.transport,
            )
        questions = QuestionLog(casework.store, settings.question_log_days)
        base: Assistant = app.state.assistant

        def use(assistant: Assistant) -> None:
            # A new assistant comes with an empty answer cache: the old answers knew other
            # examples. Requests under way finish with the assistant they started with.
            app.state.assistant = assistant
            app.state.answers = AnswerCache(assistant, settings.answer_cache_size)
            casework.escalations.assistant = assistant

        examples = Examples(casework.store, base.library)
        teacher = Teacher(examples, base, use, settings.examples_reload_seconds)
        await asyncio.to_thread(teacher.refresh)
        for line in stale_warnings(teacher.assistant, teacher.stored, base.examples):
            log.warning(line)
        services = Services(
            casework,
            Sender(casework.outbox, casework.webhooks.outbox),
            FeedbackCounts(casework.store),
            examples,
            teacher,
            purges,
            questions,
        )
        services.reminders = reminders_for(casework, settings)
        if settings.reminder_days > 0:
            # Like the purge, each worker checks on its own: the digest's day is a key in the
            # database, so however many check, one digest a day is queued.
            services.digests = ReminderSchedule(services.reminders, wake=services.sender.wake)
        app.state.services = services
        services.sender.start()
        questions.start()
        teacher.start()
        if purges is not None:
            purges.start()
        if services.digests is not None:
            services.digests.start()
        try:
            yield
        finally:
            if services.digests is not None:
                await services.digests.stop()
            await teacher.stop()
            if purges is not None:
                await purges.stop()
            await questions.stop()
            await services.sender.stop()
            casework.close()

    return lifespan


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
