"""The prompt registry (mlflow.genai's prompt functions) in the tracking store."""

from __future__ import annotations

import json
import threading
from typing import Literal

import httpx
import pytest

import evalkit
from evalkit import MlflowClient, PromptError
from evalkit.testing import JudgeServer
from evalkit.testing.pytest_plugin import judge_server
from evalkit.tracking import Prompt, PromptVersion

__all__ = ["judge_server"]

pytestmark = pytest.mark.usefixtures("backend")


def test_register_versions_load_by_uri_alias_and_name() -> None:
    v1 = evalkit.register_prompt(
        "greeting_prompt",
        "Respond to the user's message as a {{style}} AI.",
        commit_message="first",
        tags={"author": "Alice"},
    )
    assert isinstance(v1, PromptVersion)
    assert (v1.name, v1.version, v1.commit_message, v1.tags) == (
        "greeting_prompt",
        1,
        "first",
        {"author": "Alice"},
    )
    assert v1.variables == {"style"} and v1.uri == "prompts:/greeting_prompt/1"
    v2 = evalkit.register_prompt(
        "greeting_prompt",
        "Respond to the user's message as a {{style}} AI. {{ greeting }}",
        commit_message="Add a greeting to the prompt.",
        tags={"author": "Bob"},
    )
    assert v2.version == 2 and v2.variables == {"style", "greeting"}

    assert evalkit.load_prompt("prompts:/greeting_prompt/1").template == v1.template  # type: ignore[union-attr]
    assert evalkit.load_prompt("greeting_prompt", version=2).commit_message == (  # type: ignore[union-attr]
        "Add a greeting to the prompt."
    )
    assert evalkit.load_prompt("greeting_prompt").version == 2  # type: ignore[union-attr]
    assert evalkit.load_prompt("prompts:/greeting_prompt@latest").version == 2  # type: ignore[union-attr]

    evalkit.set_prompt_alias("greeting_prompt", alias="production", version=1)
    production = evalkit.load_prompt("prompts:/greeting_prompt@production")
    assert production is not None and production.version == 1
    assert production.aliases == ["production"]
    evalkit.set_prompt_alias(name="greeting_prompt", alias="production", version=2)
    assert evalkit.load_prompt("prompts:/greeting_prompt@production").version == 2  # type: ignore[union-attr]
    evalkit.delete_prompt_alias(name="greeting_prompt", alias="production")
    with pytest.raises(PromptError, match="has no alias 'production'"):
        evalkit.load_prompt("prompts:/greeting_prompt@production")
    assert evalkit.load_prompt("prompts:/greeting_prompt@production", allow_missing=True) is None


def test_format_fills_variables_and_names_the_missing_ones() -> None:
    prompt = evalkit.register_prompt("qa", "Answer {{ question }} in {{lang}}. {{question}}?")
    assert prompt.format(question="2+2", lang="French") == "Answer 2+2 in French. 2+2?"
    assert prompt.format(question=4, lang="en", unused="x") == "Answer 4 in en. 4?"
    with pytest.raises(PromptError, match=r"missing variables \['lang'\].*lang=\.\.\."):
        prompt.format(question="2+2")
    with pytest.raises(PromptError, match=r"missing variables \['lang', 'question'\]"):
        prompt.format()
    partial = prompt.format(allow_partial=True, lang="en")
    assert isinstance(partial, PromptVersion)
    assert partial.template == "Answer {{ question }} in en. {{question}}?"
    assert partial.variables == {"question"}
    assert prompt.to_single_brace_format() == "Answer {question} in {lang}. {question}?"


def test_chat_prompts_keep_their_messages() -> None:
    messages = [
        {"role": "system", "content": "You are a helpful {{style}} assistant."},
        {"role": "user", "content": "{{question}}"},
    ]
    evalkit.register_prompt("assistant_prompt", messages)
    prompt = evalkit.load_prompt("prompts:/assistant_prompt/1")
    assert prompt is not None and prompt.template == messages and not prompt.is_text_prompt
    assert prompt.variables == {"style", "question"}
    assert prompt.format(style="terse", question="Hi?") == [
        {"role": "system", "content": "You are a helpful terse assistant."},
        {"role": "user", "content": "Hi?"},
    ]


def test_reference_002_examples_with_response_format_and_model_config() -> None:
    """mlflow.genai.register_prompt's documented example, mlflow -> evalkit."""
    import pydantic

    evalkit.register_prompt(
        name="greeting_prompt", template="Respond to the user's message as a {{style}} AI."
    )
    chat = evalkit.register_prompt(
        name="assistant_prompt",
        template=[
            {"role": "system", "content": "You are a helpful {{style}} assistant."},
            {"role": "user", "content": "{{question}}"},
        ],
        response_format={"type": "object", "properties": {"answer": {"type": "string"}}},
        tags={"author": "Bob"},
    )
    assert chat.response_format == {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
    }
    assert chat.tags == {"author": "Bob"}  # the reserved tag stays out of .tags
    prompt = evalkit.load_prompt("greeting_prompt")
    assert prompt is not None and prompt.response_format is None
    assert prompt.format(style="friendly") == "Respond to the user's message as a friendly AI."

    class Answer(pydantic.BaseModel):
        answer: str

    typed = evalkit.register_prompt(
        "typed", "{{q}}", response_format=Answer, model_config={"model_name": "gpt-4o-mini"}
    )
    loaded = evalkit.load_prompt(typed.uri)
    assert loaded is not None and loaded.model_config == {"model_name": "gpt-4o-mini"}
    assert loaded.response_format == Answer.model_json_schema()
    with pytest.raises(PromptError, match="response_format 'json' is invalid"):
        evalkit.register_prompt("typed", "{{q}}", response_format="json")


def test_mlflow_crud_tags_and_run_linking() -> None:
    """Ported from MLflow's tests/genai/prompts/test_prompts.py (test_crud_prompts,
    test_prompt_associate_with_run, test_set_and_delete_prompt_tag_genai)."""
    evalkit.register_prompt(
        name="prompt_1",
        template="Hi, {title} {name}! How are you today?",
        commit_message="A friendly greeting",
        tags={"model": "my-model"},
    )
    prompt = evalkit.load_prompt("prompt_1", version=1)
    assert prompt is not None and prompt.template == "Hi, {title} {name}! How are you today?"
    assert prompt.tags == {"model": "my-model"} and prompt.variables == set()
    assert MlflowClient().get_prompt("prompt_1").tags == {"model": "my-model"}  # type: ignore[union-attr]
    evalkit.register_prompt(name="prompt_1", template="Hi, {title} {name}! What's up?")
    assert evalkit.load_prompt("prompt_1").template == "Hi, {title} {name}! What's up?"  # type: ignore[union-attr]
    assert evalkit.load_prompt("does_not_exist", version=1, allow_missing=True) is None

    with evalkit.start_run() as run:
        evalkit.load_prompt("prompt_1", version=1)
        evalkit.load_prompt("prompts:/prompt_1/1", cache_ttl_seconds=0)  # listed once
        evalkit.load_prompt("prompt_1", version=2, link_to_model=False)
    tag = evalkit.get_run(run.info.run_id).data.tags["mlflow.linkedPrompts"]
    assert json.loads(tag) == [
        {"name": "prompt_1", "version": "1"},
        {"name": "prompt_1", "version": "2"},
    ]

    tracking = evalkit.tracking
    evalkit.register_prompt(name="tag_prompt", template="Hi")
    tracking.set_prompt_tag("tag_prompt", "env", "prod")
    tracking.set_prompt_version_tag("tag_prompt", 1, "env", "prod")
    assert tracking.get_prompt_tags("tag_prompt") == {"env": "prod"}
    assert evalkit.load_prompt("tag_prompt", version=1).tags == {"env": "prod"}  # type: ignore[union-attr]
    tracking.delete_prompt_tag("tag_prompt", "env")
    assert "env" not in tracking.get_prompt_tags("tag_prompt")
    tracking.delete_prompt_version_tag("tag_prompt", 1, "env")
    assert "env" not in evalkit.load_prompt("tag_prompt", version=1).tags  # type: ignore[union-attr]
    with pytest.raises(PromptError, match="has no version 9"):
        tracking.set_prompt_version_tag("tag_prompt", 9, "k", "v")
    with pytest.raises(PromptError, match="no prompt named 'nope'"):
        tracking.get_prompt_tags("nope")


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [  # MLflow's test_format_prompt_with_backslashes
        (
            "User input: {{ user_text }}",
            {"user_text": r"Path is C:\users\john"},
            r"User input: Path is C:\users\john",
        ),
        ("Data: {{ data }}", {"data": "Line1\\nLine2\\tTabbed"}, "Data: Line1\\nLine2\\tTabbed"),
        (
            "Path: {{ path }}, Command: {{ cmd }}",
            {"path": r"C:\temp", "cmd": r"echo \u0041"},
            r"Path: C:\temp, Command: echo \u0041",
        ),
    ],
)
def test_format_keeps_backslashes(template: str, values: dict[str, str], expected: str) -> None:
    prompt = PromptVersion(name="p", version=1, template=template)
    assert prompt.format(**values) == expected


def test_nested_variables_in_chat_templates() -> None:
    """MLflow's test_register_prompt_with_nested_variables."""
    prompt = evalkit.register_prompt(
        "nested",
        [
            {"role": "system", "content": "You are a {{user.preferences.style}} assistant."},
            {"role": "user", "content": "Hello {{user.name}}! {{user.preferences.greeting}}"},
        ],
    )
    assert prompt.variables == {"user.preferences.style", "user.name", "user.preferences.greeting"}


def test_search_prompts_by_name_and_tag() -> None:
    evalkit.register_prompt("qa-short", "{{q}}")
    evalkit.register_prompt("qa-long", "Please answer: {{q}}")
    evalkit.register_prompt("qa-long", "Please answer carefully: {{q}}")
    evalkit.register_prompt("summarize", "Summarize {{text}}")
    evalkit.tracking.set_prompt_tag("qa-long", "team", "search")
    found = evalkit.search_prompts(filter_string="name LIKE 'qa%'")
    assert all(isinstance(p, Prompt) for p in found)
    assert [(p.name, p.latest_version) for p in found] == [("qa-long", 2), ("qa-short", 1)]
    found = evalkit.search_prompts(filter_string="tags.team = 'search'")
    assert [(p.name, p.tags) for p in found] == [("qa-long", {"team": "search"})]
    assert len(evalkit.search_prompts(max_results=1)) == 1
    assert [p.name for p in evalkit.search_prompts()] == ["qa-long", "qa-short", "summarize"]
    evalkit.tracking.delete_prompt_tag("qa-long", "team")
    assert evalkit.search_prompts(filter_string="tags.team = 'search'") == []


def test_bad_names_uris_and_versions_are_clear_errors() -> None:
    evalkit.register_prompt("p", "{{x}}")
    with pytest.raises(PromptError, match="prompt name 'a b' is invalid"):
        evalkit.register_prompt("a b", "x")
    with pytest.raises(PromptError, match="template 42 is invalid"):
        evalkit.register_prompt("p", 42)  # type: ignore[arg-type]
    with pytest.raises(PromptError, match="template message 0"):
        evalkit.register_prompt("p", [{"content": "no role"}])
    with pytest.raises(PromptError, match="prompt tag key '' is invalid"):
        evalkit.register_prompt("p", "x", tags={"": "v"})
    with pytest.raises(PromptError, match="has no version 7"):
        evalkit.load_prompt("prompts:/p/7")
    with pytest.raises(PromptError, match="'absent' has no version"):
        evalkit.load_prompt("absent")
    assert evalkit.load_prompt("absent", allow_missing=True) is None
    with pytest.raises(PromptError, match="a URI already names the version"):
        evalkit.load_prompt("prompts:/p/1", version=1)
    with pytest.raises(PromptError, match="prompt URI 'prompts:/' is invalid"):
        evalkit.load_prompt("prompts:/")
    with pytest.raises(PromptError, match="has no version 3"):
        evalkit.set_prompt_alias("p", "prod", 3)
    with pytest.raises(PromptError, match="alias 'latest' is reserved"):
        evalkit.set_prompt_alias("p", "latest", 1)
    with pytest.raises(PromptError, match="version 'x' is invalid"):
        evalkit.load_prompt("p", version="x")
    with pytest.raises(PromptError, match="prompts can be filtered by name and tags"):
        evalkit.search_prompts(filter_string="params.a = 'b'")
    assert issubclass(PromptError, evalkit.TrackingError) and issubclass(PromptError, ValueError)


def test_concurrent_registrations_get_distinct_consecutive_versions() -> None:
    evalkit.register_prompt("busy", "v{{n}}")  # create it first: all threads add versions
    store = evalkit.tracking._context.current_store()
    errors: list[BaseException] = []

    def register(n: int) -> None:
        try:
            for _ in range(3):
                store.register_prompt_version("busy", f"thread {n}", None, None, None)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert evalkit.load_prompt("busy").version == 13  # type: ignore[union-attr]
    versions = [evalkit.load_prompt("busy", version=v) for v in range(1, 14)]
    assert all(v is not None for v in versions)


def test_client_prompt_methods() -> None:
    client = MlflowClient()
    version = client.register_prompt("c", "Hello {{name}}", commit_message="m")
    assert client.load_prompt("prompts:/c/1") == version
    client.set_prompt_alias("c", "prod", 1)
    assert client.load_prompt("prompts:/c@prod").version == 1  # type: ignore[union-attr]
    assert [p.aliases for p in client.search_prompts()] == [{"prod": 1}]
    assert client.get_prompt_version("c", 2) is None
    client.delete_prompt("c")
    assert client.load_prompt("c", allow_missing=True) is None
    with pytest.raises(PromptError, match="no prompt named 'c'"):
        client.delete_prompt("c")


def test_make_judge_and_predict_fn_use_a_loaded_prompt(judge_server: JudgeServer) -> None:
    """A judge's instructions and an app's messages both come from the registry."""
    evalkit.register_prompt(
        "judge-instructions",
        "Question: {{ inputs.question }}\nAnswer: {{ outputs }}\nIs the answer correct?",
    )
    evalkit.register_prompt(
        "app",
        [
            {"role": "system", "content": "Answer in {{language}}."},
            {"role": "user", "content": "{{question}}"},
        ],
    )
    evalkit.set_prompt_alias("app", "production", 1)
    app_prompt = evalkit.load_prompt("prompts:/app@production")
    instructions = evalkit.load_prompt("judge-instructions")
    assert app_prompt is not None and instructions is not None

    judge_server.add_rule(match="Answer in French", reply="Quatre")
    judge_server.add_rule(
        match="Is the answer correct", reply={"result": "yes", "rationale": "It is four."}
    )

    def predict_fn(question: str) -> str:
        messages = app_prompt.format(language="French", question=question)
        reply = httpx.post(
            f"{judge_server.url}/chat/completions",
            json={"model": "gpt-4.1-mini", "messages": messages},
            headers={"Authorization": "Bearer sk-test"},
            timeout=10,
        )
        return str(reply.json()["choices"][0]["message"]["content"])

    judge = evalkit.judges.make_judge(
        name="correct",
        instructions=str(instructions.template),
        feedback_value_type=Literal["yes", "no"],
        model="openai:/gpt-4.1-mini",
    )
    result = evalkit.evaluate(
        data=[{"inputs": {"question": "2+2?"}}], predict_fn=predict_fn, scorers=[judge]
    )
    assert result.metrics["correct/mean"] == 1.0 and result.metrics["correct/error_count"] == 0
    app_request, judge_request = judge_server.requests
    assert app_request.messages == [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "2+2?"},
    ]
    assert judge_request.messages[1]["content"] == (
        "Question: <data>2+2?</data>\nAnswer: <data>Quatre</data>\nIs the answer correct?"
    )
