"""The app's lifespan: open the casework desk and start what runs beside it, as `Services`
(web/services.py); stop and close them at shutdown."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from qa.answering.assistant import Assistant
from qa.answering.cache import AnswerCache
from qa.answering.examples import Examples
from qa.answering.feedback import FeedbackCounts
from qa.answering.questions import QuestionLog
from qa.answering.teacher import Teacher, stale_warnings
from qa.casework.desk import mailbox_warning, open_casework
from qa.casework.reminders import ReminderSchedule, reminders_for
from qa.casework.retention import PurgeSchedule
from qa.delivery.sender import Sender
from qa.settings import Settings
from qa.storage.store import Store
from web.services import Services

log = logging.getLogger(__name__)


def app_lifespan(
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
            # A queued digest wakes the mail sender itself (Outbox.add, after its commit).
            services.digests = ReminderSchedule(services.reminders)
        app.state.services = services
        services.sender.start()
        questions.start()
        teacher.start()
        if purges is not None:
            purges.start()
        if services.digests is not None:
            services.digests.start()
        # Everything built so far (the index, the routes, the libraries) lives as long as the
        # worker: moved out of the collector's sight, a full collection no longer walks it
        # (p99 of new questions at 32 connections: 33-53 ms before, 24-27 ms after). Thawed at
        # shutdown, so that a process that runs many apps (the tests) can still collect them.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            if services.digests is not None:
                await services.digests.stop()
            await teacher.stop()
            if purges is not None:
                await purges.stop()
            await questions.stop()
            await services.sender.stop()
            casework.close()

    return lifespan
