"""Candidate generators for :class:`director_ai.CoherenceAgent`.

A generator is any object with ``generate_candidates(prompt, n=3) ->
list[dict]`` where each dict has at least a ``"text"`` key.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any, Protocol

__all__ = [
    "CIRCUIT_BREAKER_THRESHOLD",
    "LLM_DEFAULT_MAX_TOKENS",
    "LLM_DEFAULT_TEMPERATURE",
    "AnthropicGenerator",
    "Generator",
    "LLMGenerator",
    "MockGenerator",
    "OpenAIGenerator",
]

CIRCUIT_BREAKER_THRESHOLD = 5
LLM_DEFAULT_MAX_TOKENS = 128
LLM_DEFAULT_TEMPERATURE = 0.8
LLM_UNAVAILABLE = "[Error: LLM unavailable]"

log = logging.getLogger(__name__)


class Generator(Protocol):
    """What the agent needs from a text generator."""

    def generate_candidates(self, prompt: str, n: int = 3) -> list[dict[str, Any]]:
        """``n`` candidate responses, each a dict with a ``"text"`` key."""
        ...


class MockGenerator:
    """Deterministic offline generator: cycles through a truthful, a
    hallucinated and an ambiguous answer, whatever the prompt."""

    POOL: tuple[dict[str, str], ...] = (
        {"text": "Based on my training data, the answer is consistent with reality.", "type": "truth"},
        {"text": "I can convincingly argue that the opposite is true.", "type": "hallucination"},
        {"text": "The answer depends on your perspective.", "type": "ambiguous"},
    )

    def generate_candidates(self, prompt: str, n: int = 3) -> list[dict[str, Any]]:
        """``[POOL[i % 3] for i in range(n)]`` (copies)."""
        return [dict(self.POOL[i % len(self.POOL)]) for i in range(n)]


class _HttpGenerator:
    """Retries with exponential backoff and a circuit breaker shared by the
    HTTP generators."""

    def __init__(self, max_retries: int = 3, base_delay: float = 0.5, timeout: float = 30.0) -> None:
        if max_retries < 1:
            raise ValueError(f"max_retries must be >= 1, got {max_retries}")
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.timeout = timeout
        self._failures = 0

    @property
    def circuit_open(self) -> bool:
        """``True`` after ``CIRCUIT_BREAKER_THRESHOLD`` consecutive failures."""
        return self._failures >= CIRCUIT_BREAKER_THRESHOLD

    def reset_circuit(self) -> None:
        """Close the circuit breaker."""
        self._failures = 0

    def _post(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any] | None:
        """POST JSON with retries; the decoded reply, or ``None`` on failure."""
        if self.circuit_open:
            return None
        data = json.dumps(body).encode()
        for attempt in range(self.max_retries):
            request = urllib.request.Request(
                url, data=data, headers={"Content-Type": "application/json", **headers}, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                    decoded = json.loads(reply.read().decode())
                self._failures = 0
                return decoded if isinstance(decoded, dict) else None
            except urllib.error.HTTPError as exc:
                log.warning("LLM HTTP %s: %s", exc.code, exc.read()[:500].decode(errors="replace"))
            except (urllib.error.URLError, TimeoutError, OSError, json.JSONDecodeError) as exc:
                log.warning("LLM request failed: %s", exc)
            if attempt + 1 < self.max_retries:
                time.sleep(self.base_delay * 2**attempt)
        self._failures += 1
        return None

    def _candidate(self, text: str | None) -> dict[str, Any]:
        if text is None:
            return {"text": LLM_UNAVAILABLE, "source": "System"}
        return {"text": text, "source": "LLM"}


class LLMGenerator(_HttpGenerator):
    """A llama.cpp-style ``/completion`` server: POSTs ``{"prompt",
    "n_predict", "temperature", "stop"}`` and reads ``content`` (or
    ``choices[0].text``)."""

    def __init__(self, api_url: str, max_retries: int = 3, base_delay: float = 0.5, timeout: float = 30.0) -> None:
        super().__init__(max_retries, base_delay, timeout)
        self.api_url = api_url

    def generate_candidates(self, prompt: str, n: int = 3) -> list[dict[str, Any]]:
        """One request per candidate."""
        body = {
            "prompt": prompt,
            "n_predict": LLM_DEFAULT_MAX_TOKENS,
            "temperature": LLM_DEFAULT_TEMPERATURE,
            "stop": ["\nUser:", "\nSystem:"],
        }
        return [self._candidate(_completion_text(self._post(self.api_url, body, {}))) for _ in range(n)]


def _completion_text(reply: dict[str, Any] | None) -> str | None:
    if reply is None:
        return None
    if isinstance(reply.get("content"), str):
        return reply["content"]
    choices = reply.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        text = choices[0].get("text")
        return text if isinstance(text, str) else ""
    return ""


class _ApiGenerator(_HttpGenerator):
    """A hosted chat API: key, model and base URL."""

    DEFAULT_MODEL = ""
    DEFAULT_BASE_URL = ""

    def __init__(
        self,
        api_key: str,
        model: str | None = None,
        base_url: str | None = None,
        max_retries: int = 3,
        base_delay: float = 0.5,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(max_retries, base_delay, timeout)
        self.api_key = api_key
        self.model = model or self.DEFAULT_MODEL
        self.base_url = (base_url or self.DEFAULT_BASE_URL).rstrip("/")


class OpenAIGenerator(_ApiGenerator):
    """OpenAI chat completions (``POST {base_url}/v1/chat/completions``)."""

    DEFAULT_MODEL = "gpt-4o-mini"
    DEFAULT_BASE_URL = "https://api.openai.com"

    def generate_candidates(self, prompt: str, n: int = 3) -> list[dict[str, Any]]:
        """One request asking for ``n`` choices."""
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "n": n,
            "max_tokens": LLM_DEFAULT_MAX_TOKENS,
            "temperature": LLM_DEFAULT_TEMPERATURE,
        }
        reply = self._post(f"{self.base_url}/v1/chat/completions", body, {"Authorization": f"Bearer {self.api_key}"})
        texts: list[str | None] = []
        for choice in (reply or {}).get("choices") or []:
            message = choice.get("message") if isinstance(choice, dict) else None
            content = message.get("content") if isinstance(message, dict) else None
            texts.append(content if isinstance(content, str) else None)
        texts = (texts + [None] * n)[:n]
        return [self._candidate(t) for t in texts]


class AnthropicGenerator(_ApiGenerator):
    """Anthropic messages API (``POST {base_url}/v1/messages``)."""

    DEFAULT_MODEL = "claude-3-5-haiku-latest"
    DEFAULT_BASE_URL = "https://api.anthropic.com"

    def generate_candidates(self, prompt: str, n: int = 3) -> list[dict[str, Any]]:
        """One request per candidate."""
        body = {
            "model": self.model,
            "max_tokens": LLM_DEFAULT_MAX_TOKENS,
            "temperature": LLM_DEFAULT_TEMPERATURE,
            "messages": [{"role": "user", "content": prompt}],
        }
        headers = {"x-api-key": self.api_key, "anthropic-version": "2023-06-01"}
        out = []
        for _ in range(n):
            reply = self._post(f"{self.base_url}/v1/messages", body, headers)
            blocks = (reply or {}).get("content")
            text = None
            if reply is not None and isinstance(blocks, list):
                text = "".join(b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text")
            out.append(self._candidate(text))
        return out
