"""Dependencies shared by the routes: the assistant and the settings, from app.state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from qa.answering.assistant import Assistant
from qa.answering.cache import AnswerCache
from qa.settings import Settings


# async def, not def: FastAPI runs a plain def dependency in the thread pool, a hop that cost
# more per request than answering did (bench/, README "Benchmarks").
async def get_assistant(request: Request) -> Assistant:
    """The assistant built by the app factory."""
    assistant: Assistant = request.app.state.assistant
    return assistant


async def get_answers(request: Request) -> AnswerCache:
    """The assistant behind the app's cache of recent answers."""
    answers: AnswerCache = request.app.state.answers
    return answers


async def get_settings(request: Request) -> Settings:
    """The settings the app was made with."""
    settings: Settings = request.app.state.settings
    return settings


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
AnswersDep = Annotated[AnswerCache, Depends(get_answers)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
