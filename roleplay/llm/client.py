"""Model calls over litellm, with our own retry policy.

litellm's own retries are switched off: a retry is only safe before the
first streamed word reaches the rep, so the policy lives here, with tenacity.
litellm is imported lazily (it takes seconds); `warm()` imports it early in
the background.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import random
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from ..settings import Settings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

_litellm: Any = None


def litellm() -> Any:
    """The litellm module, imported on first use and set up for our retry policy."""
    global _litellm
    if _litellm is None:
        import litellm as lm

        # httpx rather than aiohttp: one transport everywhere, and the one the
        # tests' fake provider (respx) can see.
        lm.disable_aiohttp_transport = True
        lm.suppress_debug_info = True
        lm.telemetry = False
        lm.drop_params = True
        _litellm = lm
    return _litellm


def warm() -> None:
    """Import litellm now (call from a background worker, not the start-up path).

    litellm imports most of the openai client lazily on the first call, which
    stalls the first turn by ~0.4 s; touching it here moves that cost off the
    rep's first turn too.
    """
    lm = litellm()
    try:
        import openai

        openai.AsyncOpenAI(api_key="warm-up", base_url="http://127.0.0.1:9/v1").chat.completions  # noqa: B018
        importlib.import_module("litellm.llms.openai.openai")
    except Exception:  # warming is an optimisation; the real call reports real problems
        pass
    try:
        # litellm's first call imports and loads more (its stream wrapper, cost and token
        # counting with a tokenizer): ~0.85 s of a first turn. A mocked call (no network, no
        # usage counted) pays it here, on its own event loop in this worker thread.
        async def rehearse() -> None:
            said = [{"role": "user", "content": "warm-up"}]
            stream = await lm.acompletion(model="openai/warm-up", messages=said, mock_response="Okay.",
                                          stream=True, stream_options={"include_usage": True})
            async for _ in stream:
                pass
            await lm.acompletion(model="openai/warm-up", messages=said, mock_response="{}")

        asyncio.run(rehearse())
    except Exception:
        pass


class ProviderError(Exception):
    """A model call failed for good. `message` is in plain words, for the rep."""

    def __init__(self, message: str, *, kind: str, retryable: bool = False,
                 retry_after: float | None = None):
        super().__init__(message)
        self.message, self.kind, self.retryable, self.retry_after = message, kind, retryable, retry_after


class Interrupted(Exception):
    """The reply broke off after some of it was shown; it is kept as it is, never replayed."""

    def __init__(self, partial: str, cause: ProviderError):
        super().__init__(cause.message)
        self.partial, self.cause = partial, cause


@dataclass
class Usage:
    """Tokens and cost of the calls made for one session.

    None is "unknown": a provider that sends no token count, or a model with no known
    price, makes the total unknown from then on. Nothing is estimated and stored as real.
    """

    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0
    cost: float | None = 0.0
    calls: int = 0

    def add(self, model: str, prompt: int | None, completion: int | None) -> None:
        self.calls += 1
        known = bool(prompt) and bool(completion)  # a real call always has both, never 0
        self.prompt_tokens = self.prompt_tokens + prompt if known and self.prompt_tokens is not None else None
        self.completion_tokens = (self.completion_tokens + completion
                                  if known and self.completion_tokens is not None else None)
        if not known or self.cost is None:
            self.cost = None
            return
        try:
            p, c = litellm().cost_per_token(model=model, prompt_tokens=prompt,
                                            completion_tokens=completion)
            self.cost += p + c
        except Exception:  # no price known for this model: the cost is unknown, not 0
            self.cost = None


def _retry_after(exc: BaseException) -> float | None:
    # litellm keeps the provider's headers apart from the response it attaches.
    value = None
    for headers in (getattr(exc, "litellm_response_headers", None),
                    getattr(getattr(exc, "response", None), "headers", None)):
        if headers is not None and hasattr(headers, "get"):
            # a LiteLLM proxy passes its provider's wait on as llm_provider-retry-after
            value = headers.get("retry-after") or headers.get("llm_provider-retry-after") or value
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def classify(exc: BaseException, where: str = "") -> ProviderError:
    """Any failure of a call, as a ProviderError saying what happened in plain words.

    `where` names the model (its api_base, or its name) for "cannot reach" messages."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return ProviderError("The model took too long to answer.", kind="timeout", retryable=True)
    lm = litellm()
    text = str(exc)
    if _NO_KEY.search(text):
        # litellm reports a missing key as a server error; retrying cannot help.
        env = _KEY_VAR.search(text)
        where = f" Set {env.group(0)} in your environment." if env else ""
        return ProviderError(f"No API key for this model.{where} 'roleplay doctor' checks the setup.",
                             kind="auth")
    status = getattr(exc, "status_code", None)
    if _BUDGET.search(text):
        # A team gateway (LiteLLM proxy) refusing past a budget: retrying cannot help today.
        return ProviderError("The team's model budget is used up: the gateway refused the request. "
                             "Ask whoever runs your team's model gateway; you can practise offline "
                             "meanwhile (--offline).", kind="budget")
    if isinstance(exc, lm.RateLimitError) or status == 429:
        return ProviderError("The model provider is busy (rate limit).", kind="rate-limit",
                             retryable=True, retry_after=_retry_after(exc))
    if isinstance(exc, lm.Timeout):
        return ProviderError("The model took too long to answer.", kind="timeout", retryable=True)
    if isinstance(exc, lm.AuthenticationError) or status in (401, 403):
        return ProviderError("The model provider refused the API key. Run 'roleplay doctor'.",
                             kind="auth")
    if isinstance(exc, lm.NotFoundError) or status == 404:
        return ProviderError("The model provider does not know this model name. "
                             "Run 'roleplay doctor'.", kind="not-found")
    if isinstance(exc, lm.BadRequestError) or status in (400, 422):
        return ProviderError("The model provider rejected the request.", kind="bad-request")
    unreachable = _unreachable(exc, where)
    if unreachable is not None:
        return unreachable
    if isinstance(exc, lm.APIConnectionError):
        return ProviderError("Could not reach the model provider.", kind="connection", retryable=True)
    if isinstance(status, int) and status >= 500 or isinstance(
            exc, (lm.InternalServerError, lm.ServiceUnavailableError, lm.BadGatewayError)):
        return ProviderError("The model provider had a server error.", kind="server",
                             retryable=True, retry_after=_retry_after(exc))
    if isinstance(exc, lm.APIError):
        return ProviderError("The model provider returned an error.", kind="server", retryable=True)
    if isinstance(exc, (ConnectionError, OSError)):
        return ProviderError("The connection to the model provider dropped.", kind="connection",
                             retryable=True)
    return ProviderError(f"The model call failed: {type(exc).__name__}.", kind="unknown")


_BUDGET = re.compile(r"budget[_ ]exceeded|exceeded (?:the |your )?budget|budget has been exceeded|crossed budget|"
                     r"max[_ ]budget", re.IGNORECASE)
_REFUSED = re.compile(r"connection refused|errno 111|connect call failed|actively refused|errno 61\b",
                      re.IGNORECASE)
_DNS = re.compile(r"name or service not known|nodename nor servname|temporary failure in name resolution|"
                  r"getaddrinfo failed|no address associated|name resolution|errno -[235]\b|"
                  r"failed to resolve|could not resolve host", re.IGNORECASE)


def _chain(exc: BaseException) -> str:
    """The messages of an exception and of everything it was raised from (litellm wraps httpx)."""
    seen, out, e = set(), [], exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        out.append(f"{type(e).__name__}: {e}")
        e = e.__cause__ or e.__context__
    return " | ".join(out)


def _unreachable(exc: BaseException, where: str) -> ProviderError | None:
    """A refused connection or a name that does not resolve: "cannot reach", with what to do."""
    text = _chain(exc)
    at = f" at {where}" if where else ""
    if _REFUSED.search(text):
        return ProviderError(f"Cannot reach the model{at}: the connection was refused (nothing is "
                             "listening there). Is the model server running? 'roleplay doctor' checks the setup.",
                             kind="unreachable", retryable=True)
    if _DNS.search(text):
        return ProviderError(f"Cannot reach the model{at}: that host name does not resolve (a typo in "
                             "api_base, or no network). 'roleplay doctor' checks the setup.",
                             kind="unreachable")
    return None


_NO_KEY = re.compile(r"missing credentials|api[_ ]key (is )?(missing|not (set|provided|found))|"
                     r"no api key|pass an `api_key`", re.IGNORECASE)
_KEY_VAR = re.compile(r"\b[A-Z][A-Z0-9_]*_API_KEY\b")

Notice = Callable[[str], None]


@dataclass
class LLM:
    """Calls one configured provider, with timeouts, retries and usage accounting.

    `deadline` (a `time.monotonic()` instant, set by the session for each turn) bounds
    everything: no attempt waits past it, no retry starts that would sleep past it."""

    settings: Settings
    usage: Usage = field(default_factory=Usage)
    notice: Notice | None = None
    backoff_base: float = 0.5
    backoff_cap: float = 20.0
    deadline: float | None = None
    user: str | None = None
    """Who the calls are for (the rep typing): sent as the request's `user`, so a team gateway
    (a LiteLLM proxy) can count spend and limits per rep."""

    def _kwargs(self, model: str) -> dict[str, Any]:
        import httpx

        s = self.settings
        kwargs: dict[str, Any] = {
            "model": model,
            "num_retries": 0,
            "max_retries": 0,
            "timeout": httpx.Timeout(s.total_timeout, connect=s.connect_timeout),
        }
        if s.api_base:
            kwargs["api_base"] = s.api_base
        if self.user:
            # In the body itself: litellm drops a `user` parameter for models outside OpenAI's own
            # catalogue, which is what a gateway's model names are.
            kwargs["extra_body"] = {"user": self.user}
        return kwargs

    def where(self, model: str | None = None) -> str:
        """The model as a rep would recognise it: its server, or its name."""
        return self.settings.api_base or model or self.settings.model or "the provider"

    def left(self, wanted: float) -> float:
        """`wanted` seconds, or what is left before the deadline when that is less (never < 0)."""
        if self.deadline is None:
            return wanted
        return max(0.0, min(wanted, self.deadline - time.monotonic()))

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def _deadline_error(self, model: str, last: BaseException | None) -> ProviderError:
        why = f" (last: {classify(last, self.where(model)).message})" if last is not None else ""
        return ProviderError(f"The model did not answer within this turn's "
                             f"{self.settings.turn_deadline:g} s{why}.", kind="deadline")

    def _wait(self, state: RetryCallState) -> float:
        err = classify(state.outcome.exception()) if state.outcome else None
        if err is not None and err.retry_after is not None:
            return min(err.retry_after, 60.0)
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter: many reps, one rate limit

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.settings.retries + 1:
            return True
        # A retry that could only start after the deadline is not made.
        return self.deadline is not None and time.monotonic() + state.upcoming_sleep >= self.deadline

    def _before_sleep(self, state: RetryCallState) -> None:
        if self.notice and state.outcome is not None:
            err = classify(state.outcome.exception(), self.where())
            wait = state.next_action.sleep if state.next_action else 0
            self.notice(f"{err.message} Trying again in {wait:.1f} s "
                        f"(attempt {state.attempt_number + 1} of {self.settings.retries + 1}).")

    def _retrying(self) -> AsyncRetrying:
        return AsyncRetrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception(lambda e: classify(e).retryable),
            before_sleep=self._before_sleep,
            reraise=True,
        )

    def _failed(self, exc: BaseException, model: str) -> ProviderError:
        if self._past_deadline() or (self.deadline is not None and isinstance(
                exc, asyncio.TimeoutError | TimeoutError) and self.deadline - time.monotonic() < 0.05):
            return self._deadline_error(model, None if isinstance(exc, asyncio.TimeoutError | TimeoutError)
                                        else exc)
        return classify(exc, self.where(model))

    async def stream(self, messages: list[dict[str, str]], *, model: str | None = None,
                     temperature: float = 0.8) -> AsyncIterator[str]:
        """The reply, piece by piece. Retries only until the first piece arrives;
        a break after that raises Interrupted with what was shown."""
        model = model or self.settings.model
        assert model, "no model configured"
        lm = litellm()
        s = self.settings
        started = time.monotonic()
        prompt_tokens: int | None = None
        completion_tokens: int | None = None

        async def open_stream() -> tuple[Any, str]:
            nonlocal started, prompt_tokens, completion_tokens
            if self._past_deadline():
                raise asyncio.TimeoutError
            started = time.monotonic()  # each attempt has its own time; failed ones don't eat into it
            first_by = started + self.left(s.first_token_timeout)
            response = await asyncio.wait_for(
                lm.acompletion(messages=messages, stream=True, temperature=temperature,
                               stream_options={"include_usage": True}, **self._kwargs(model)),
                max(0.0, first_by - time.monotonic()))
            iterator = response.__aiter__()
            while True:  # skip empty chunks (role-only, keep-alives) until a word arrives
                left = first_by - time.monotonic()
                if left <= 0:  # keep-alives alone never count as an answer
                    raise asyncio.TimeoutError
                chunk = await asyncio.wait_for(iterator.__anext__(), left)
                text = _delta(chunk)
                if text:
                    return iterator, text
                prompt_tokens, completion_tokens = _usage(chunk, prompt_tokens, completion_tokens)

        try:
            async for attempt in self._retrying():
                with attempt:
                    try:
                        iterator, first = await open_stream()
                    except StopAsyncIteration:
                        raise ProviderError("The model sent an empty reply.", kind="empty",
                                            retryable=True) from None
        except Exception as exc:
            raise self._failed(exc, model) from exc
        shown = first
        try:
            yield first
            while True:
                left = self.left(s.total_timeout - (time.monotonic() - started))
                if left <= 0:
                    raise asyncio.TimeoutError
                try:
                    chunk = await asyncio.wait_for(iterator.__anext__(), min(left, s.first_token_timeout))
                except StopAsyncIteration:
                    break
                prompt_tokens, completion_tokens = _usage(chunk, prompt_tokens, completion_tokens)
                text = _delta(chunk)
                if text:
                    shown += text
                    yield text
        except Exception as exc:
            raise Interrupted(shown, self._failed(exc, model)) from exc
        finally:
            # No count from the provider: unknown, never estimated (see Usage).
            self.usage.add(model, prompt_tokens, completion_tokens)
            close = getattr(iterator, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception:
                    pass

    async def complete(self, messages: list[dict[str, str]], *, model: str | None = None,
                       temperature: float = 0.0, json_mode: bool = True) -> str:
        """A whole reply at once (for the judge). Retried on provider faults."""
        model = model or self.settings.grader_model
        assert model, "no model configured"
        lm = litellm()
        extra: dict[str, Any] = {"response_format": {"type": "json_object"}} if json_mode else {}

        async def once() -> Any:
            if self._past_deadline():
                raise asyncio.TimeoutError
            return await asyncio.wait_for(
                lm.acompletion(messages=messages, temperature=temperature, **extra, **self._kwargs(model)),
                self.left(self.settings.total_timeout))

        try:
            async for attempt in self._retrying():
                with attempt:
                    response = await once()
        except Exception as exc:
            raise self._failed(exc, model) from exc
        usage = getattr(response, "usage", None)
        self.usage.add(model, getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None))
        try:
            return response.choices[0].message.content or ""
        except (AttributeError, IndexError):
            return ""


def _delta(chunk: Any) -> str:
    try:
        return chunk.choices[0].delta.content or ""  # the last chunk's content can be None
    except (AttributeError, IndexError):
        return ""


def _usage(chunk: Any, prompt: int | None, completion: int | None) -> tuple[int | None, int | None]:
    usage = getattr(chunk, "usage", None)
    if usage:
        return (getattr(usage, "prompt_tokens", 0) or prompt,
                getattr(usage, "completion_tokens", 0) or completion)
    return prompt, completion
