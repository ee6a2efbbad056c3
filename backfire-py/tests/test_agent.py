"""CoherenceAgent and the generators."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import director_ai
from director_ai import CoherenceAgent, LLMGenerator, MockGenerator, ReviewResult
from director_ai.agent import SYSTEM_HALT


@pytest.fixture(params=["rust", "python"])
def backend(request):
    return request.param


def test_rust_is_detected():
    import backfire_kernel

    assert CoherenceAgent()._rust_available is True
    assert isinstance(CoherenceAgent().scorer, backfire_kernel.CoherenceScorer)
    assert CoherenceAgent(backend="python")._rust_available is False


def test_defaults(backend):
    agent = CoherenceAgent(backend=backend)
    assert isinstance(agent.generator, MockGenerator)
    assert hasattr(agent.scorer, "review") and 0 < agent.scorer.threshold <= 1
    assert agent.kernel.is_active


def test_process_approves_the_truthful_candidate(backend):
    result = CoherenceAgent(backend=backend).process("test prompt")
    assert isinstance(result, ReviewResult)
    assert not result.halted and result.candidates_evaluated == 3
    assert result.output == "[AGI Output]: Based on my training data, the answer is consistent with reality."
    assert 0.0 <= result.coherence.score <= 1.0
    assert result.coherence.score == pytest.approx(0.74)


def test_backends_agree(backend):
    for prompt in ("What color is the sky?", "How many SCPN layers?", "sky color", "test"):
        rust = CoherenceAgent(backend="rust").process(prompt)
        py = CoherenceAgent(backend="python").process(prompt)
        assert (rust.output, rust.halted, rust.fallback_used) == (py.output, py.halted, py.fallback_used)
        assert rust.coherence.score == pytest.approx(py.coherence.score, abs=1e-12)


@pytest.mark.parametrize("prompt", ["", "   ", 42, None])
def test_prompt_must_be_non_empty_text(backend, prompt):
    with pytest.raises(ValueError, match="non-empty"):
        CoherenceAgent(backend=backend).process(prompt)


def test_no_approved_candidate_halts(backend):
    agent = CoherenceAgent(backend=backend)
    agent.scorer.soft_limit = 1.0
    agent.scorer.threshold = 1.0
    result = agent.process("test prompt")
    assert result.halted and result.output == SYSTEM_HALT
    assert result.coherence.score == pytest.approx(0.74)


def test_retrieval_and_disclaimer_fallbacks(backend):
    agent = CoherenceAgent(backend=backend, fallback="retrieval")
    agent.scorer.soft_limit = 1.0
    agent.scorer.threshold = 1.0
    result = agent.process("sky color")
    assert result.output == "Based on verified sources: sky color is blue" and result.fallback_used
    assert agent.process("xyzzy").output == SYSTEM_HALT
    agent = CoherenceAgent(backend=backend, fallback="disclaimer")
    agent.scorer.soft_limit = 1.0
    agent.scorer.threshold = 1.0
    result = agent.process("test prompt")
    assert result.output.startswith("Note: This response could not be fully verified. Based on my training data")
    assert not result.coherence.approved and result.fallback_used


def test_warning_adds_the_disclaimer_prefix(backend):
    agent = CoherenceAgent(backend=backend)
    agent.scorer.soft_limit = 1.0
    assert agent.process("test prompt").output.startswith("[Confidence: moderate] [AGI Output]:")


def test_threshold_never_below_the_kernel_limit(backend):
    agent = CoherenceAgent(backend=backend)
    # An approved score is >= threshold >= hard_limit, so the kernel never
    # halts an approved answer by its score; the config rule guarantees it.
    with pytest.raises(ValueError, match="hard_limit must be <= coherence_threshold"):
        agent.scorer.threshold = 0.4


def test_kernel_latch_is_reported(backend):
    agent = CoherenceAgent(backend=backend)
    agent.kernel.emergency_stop()
    result = agent.process("test prompt")
    assert result.halted and result.output == "[KERNEL INTERRUPT: kernel_inactive]"
    assert result.coherence.approved
    agent.kernel.reactivate()
    assert not agent.process("test prompt").halted


def test_process_query_returns_text(backend):
    assert isinstance(CoherenceAgent(backend=backend).process_query("test"), str)


def test_provider_validation(monkeypatch):
    with pytest.raises(ValueError, match="mutually exclusive"):
        CoherenceAgent(llm_api_url="http://x", provider="openai")
    with pytest.raises(ValueError, match="Unknown provider"):
        CoherenceAgent(provider="deepseek")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ValueError, match="not set"):
        CoherenceAgent(provider="openai")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    assert type(CoherenceAgent(provider="anthropic").generator).__name__ == "AnthropicGenerator"
    assert isinstance(CoherenceAgent(llm_api_url="http://127.0.0.1:1").generator, LLMGenerator)
    with pytest.raises(ValueError, match="fallback"):
        CoherenceAgent(fallback="pray")
    with pytest.raises(ValueError, match="nli_callback"):
        CoherenceAgent(use_nli=True)


def test_mock_generator_cycles():
    texts = [c["text"] for c in MockGenerator().generate_candidates("anything", n=4)]
    assert texts[0] == texts[3] and len(set(texts)) == 3


# ------------------------------------------------------------ HTTP generators


class _Server:
    """A local JSON server answering with canned replies, recording requests."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((self.path, self.headers, body))
                status, reply = outer.replies.pop(0) if outer.replies else (500, {})
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def test_llm_generator_reads_content_and_choices():
    server = _Server([(200, {"content": "hi"}), (200, {"choices": [{"text": "yo"}]}), (200, {"choices": []})])
    try:
        gen = LLMGenerator(server.url + "/completion", base_delay=0.0)
        texts = [c["text"] for c in gen.generate_candidates("p", n=3)]
        assert texts == ["hi", "yo", ""]
        assert server.requests[0][2]["prompt"] == "p" and server.requests[0][2]["n_predict"] == 128
    finally:
        server.close()


def test_llm_generator_retries_then_opens_the_circuit():
    server = _Server([])
    try:
        gen = LLMGenerator(server.url, max_retries=2, base_delay=0.0)
        for _ in range(5):
            assert gen.generate_candidates("p", n=1) == [{"text": "[Error: LLM unavailable]", "source": "System"}]
        assert len(server.requests) == 10 and gen.circuit_open
        gen.generate_candidates("p", n=1)
        assert len(server.requests) == 10  # circuit open: no request
        gen.reset_circuit()
        assert not gen.circuit_open
    finally:
        server.close()


def test_provider_generators_speak_their_apis():
    from director_ai import AnthropicGenerator, OpenAIGenerator

    server = _Server(
        [
            (200, {"choices": [{"message": {"content": "a"}}, {"message": {"content": "b"}}]}),
            (200, {"content": [{"type": "text", "text": "c"}]}),
        ]
    )
    try:
        openai = OpenAIGenerator("key", base_url=server.url, base_delay=0.0)
        assert [c["text"] for c in openai.generate_candidates("p", n=2)] == ["a", "b"]
        path, headers, body = server.requests[0]
        assert path == "/v1/chat/completions" and headers["Authorization"] == "Bearer key" and body["n"] == 2
        anthropic = AnthropicGenerator("key", base_url=server.url, base_delay=0.0)
        assert anthropic.generate_candidates("p", n=1)[0]["text"] == "c"
        path, headers, _ = server.requests[1]
        assert path == "/v1/messages" and headers["x-api-key"] == "key"
    finally:
        server.close()


def test_falls_back_to_python_when_the_extension_is_missing():
    """Import-time detection: with backfire_kernel unimportable the agent
    runs on the pure-Python kernels and gives the same answer."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['backfire_kernel'] = None\n"
        "from director_ai import CoherenceAgent\n"
        "agent = CoherenceAgent()\n"
        "r = agent.process('test prompt')\n"
        "print(agent._rust_available, type(agent.kernel).__module__, round(r.coherence.score, 6), r.halted)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "director_ai.kernel", "0.74", "False"]
    forced = code.replace("agent = CoherenceAgent()", "agent = CoherenceAgent(backend='rust')")
    result = subprocess.run([sys.executable, "-c", forced], capture_output=True, text=True)
    assert result.returncode != 0 and "backend='rust' but backfire_kernel is not installed" in result.stderr
