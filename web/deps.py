"""Dependencies shared by the routes: the assistant, the settings and the form tokens from
app.state, the Idempotency-Key header and a status URL's token, and the Bearer-key checks of
the support API and /metrics."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from qa.answering.assistant import Assistant
from qa.answering.cache import AnswerCache
from qa.settings import Settings
from web.middleware.csrf import FormTokens


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


def form_tokens(request: Request) -> FormTokens:
    """The app's form token signer (made by the app factory from PRIVACY_QA_FORM_SECRET)."""
    tokens: FormTokens = request.app.state.form_tokens
    return tokens


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (a UUID, say): a retry with the same key and body gets "
        "the first answer, and no second request is made.",
    ),
]


# The secret of a status URL (a request's or an escalation's), as the visitor's link has it.
StatusToken = Annotated[
    str, Query(min_length=1, max_length=200, description="The token from the status URL.")
]


_bearer = HTTPBearer(auto_error=False, description="A key from PRIVACY_QA_API_KEYS.")
# The Authorization: Bearer header, if the request sent one (and in the OpenAPI document).
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def bearer_key(credentials: HTTPAuthorizationCredentials | None, keys: Sequence[str]) -> int | None:
    """Which of `keys` the request's Bearer header holds (its index), or None for none."""
    given = credentials.credentials.encode() if credentials else b""
    # Every key is compared, in constant time, so timing tells nothing about which is near.
    matches = [hmac.compare_digest(given, key.encode()) for key in keys]
    return matches.index(True) if any(matches) else None


def require_key(settings: SettingsDep, credentials: BearerDep) -> str:
    """Let the request through only with one of the configured keys; the key's name."""
    if not settings.api_keys:
        raise HTTPException(
            403,
            "the support API is off; set PRIVACY_QA_API_KEYS to one or more keys "
            "(comma-separated NAME:KEY, keys of 16 characters or more) and send "
            "Authorization: Bearer KEY",
        )
    found = bearer_key(credentials, [k.key for k in settings.api_keys])
    if found is None:
        raise HTTPException(
            401,
            "Authorization: send a key from PRIVACY_QA_API_KEYS as Authorization: Bearer KEY",
            headers={"WWW-Authenticate": 'Bearer realm="privacy-qa support"'},
        )
    return settings.api_keys[found].name


# The name of the key a request came with: what the history records as the actor. FastAPI
# runs the router's dependency once per request, so naming it again costs nothing.
KeyName = Annotated[str, Depends(require_key)]
