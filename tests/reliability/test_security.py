"""Security: evaluated text is never a template, user templates are sandboxed, secrets are
never written anywhere, and nothing is loaded by pickle or exec."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest

import evalkit
from evalkit.errors import JudgeError
from evalkit.judges import make_judge
from evalkit.testing import JudgeServer
from evalkit.tracking import _context

PLANTED = "sk-test-PLANTED-0123456789abcdefSECRET"
PACKAGE = Path(evalkit.__file__).parent


def _record(outputs: str, question: str = "What is 6*7?") -> dict[str, Any]:
    return {"inputs": {"question": question}, "outputs": outputs}


def test_template_syntax_in_outputs_and_inputs_reaches_the_judge_as_text(
    judge_server: JudgeServer,
) -> None:
    judge = make_judge(
        name="right",
        instructions="Question: {{ inputs.question }}\nAnswer: {{ outputs }}\nRight?",
        model="openai:/gpt-4.1-mini",
        feedback_value_type=str,
    )
    payload = "{{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %} {{ inputs.question }}"
    evalkit.evaluate(
        [_record(payload, question="{{ outputs.__class__ }} {# c #}")],
        scorers=[judge],
        progress=False,
    )
    (request,) = judge_server.requests
    prompt = request.prompt
    assert payload in prompt and "{{ outputs.__class__ }} {# c #}" in prompt
    assert "49" not in prompt and "012" not in prompt and "<class" not in prompt


@pytest.mark.parametrize(
    "attack",
    [
        "{{ inputs.__class__.__mro__[1].__subclasses__() }}",
        "{{ ''.__class__.__base__.__subclasses__() }}",
        "{{ outputs.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'].system('id') }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ self.__init__.__globals__.__builtins__ }}",
        "{{ inputs.update({'a': 1}) }}",
        "{{ inputs.question.format.__globals__ }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_sandbox_escape_attempts_fail_with_a_judge_error(
    judge_server: JudgeServer, attack: str
) -> None:
    with pytest.raises(JudgeError) as caught:
        judge = make_judge(
            name="evil",
            instructions=f"{attack} {{{{ outputs }}}}",
            model="openai:/gpt-4.1-mini",
        )
        judge(inputs={"question": "q"}, outputs="a")
    message = str(caught.value)
    assert "evil" in message or "unknown template variable" in message
    assert judge_server.request_count == 0


def _everything_written(root: Path) -> str:
    texts = []
    for path in root.rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def test_a_planted_api_key_is_written_nowhere(
    judge_server: JudgeServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    caplog.set_level(logging.DEBUG)
    judges = [
        make_judge(
            name="right",
            instructions="Right? {{ outputs }}",
            model="openai:/gpt-4.1-mini",
            inference_params={"api_key": PLANTED, "temperature": 0},
            extra_headers={"Authorization": f"Bearer {PLANTED}"},
        ),
        make_judge(name="kind", instructions="Kind? {{ outputs }}", model="openai:/gpt-4.1-mini"),
    ]
    judge_server.inject("server_error", first=1)  # an error path too
    judge_server.inject("unauthorized", match="Kind")  # and a failure kept in the table
    with evalkit.start_run(run_name="planted"):
        evalkit.log_params({"note": "planted key test"})
        result = evalkit.evaluate(
            [_record("4"), _record("42")],
            scorers=judges,
            progress=False,
            max_cost=100.0,
        )
    assert result.run_id is not None
    assert judge_server.requests[0].headers.get("authorization") == f"Bearer {PLANTED}"
    run = evalkit.get_run(result.run_id)
    assert PLANTED not in repr(run.data.params) + repr(run.data.tags)
    assert PLANTED not in repr(result.metrics) + result.result_df.to_json()
    url = _context.get_tracking_uri()
    folder = Path(url.removeprefix("sqlite:///")).parent
    written = _everything_written(folder)
    assert written and "right" in written
    assert PLANTED not in written
    assert PLANTED[8:24] not in written  # not even a fragment
    from evalkit.cli.store import load_run
    from evalkit.report import render_report

    html = render_report(load_run(result.run_id))
    assert "right" in html and PLANTED not in html
    out, err = capfd.readouterr()
    assert PLANTED not in out + err + caplog.text


_FORBIDDEN = re.compile(
    r"\bimport pickle\b|\bpickle\.loads?\b|\bcloudpickle\b|\bdill\b|\bmarshal\.loads?\b"
    r"|(?<![\w.])(exec|eval)\(|\bcompile\([^)]*['\"]exec['\"]|yaml\.load\((?![^)]*SafeLoader)"
    r"|yaml\.unsafe_load|__import__\((?!['\"]os['\"]\))"
)


def test_the_package_never_unpickles_or_execs_stored_code() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if _FORBIDDEN.search(code):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert found == []


@pytest.mark.parametrize(
    "line",
    ["pickle.loads(blob)", "exec(source)", "x = eval(text)", "yaml.load(f)", "import pickle"],
)
def test_the_grep_catches_what_it_looks_for(line: str) -> None:
    assert _FORBIDDEN.search(line)


def test_redact_walks_configs_and_cuts_env_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from evalkit.redaction import REDACTED, redact

    monkeypatch.setenv("ANTHROPIC_API_KEY", PLANTED)
    config = {
        "parameters": {"api_key": "x", "temperature": 0},
        "extra_headers": {"Authorization": "Bearer y", "X-Trace": "ok"},
        "instructions": f"use {PLANTED} please",
        "list": [{"token": "z"}, "plain"],
        "limits": {"max_tokens": 512, "tokenizer": "cl100k_base", "auth_token": "t"},
    }
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/srv/cache/tiktoken")
    assert redact({"source": "/srv/cache/tiktoken/x.jsonl"}) == {
        "source": "/srv/cache/tiktoken/x.jsonl"
    }
    assert redact(config) == {
        "parameters": {"api_key": REDACTED, "temperature": 0},
        "extra_headers": {"Authorization": REDACTED, "X-Trace": "ok"},
        "instructions": f"use {REDACTED} please",
        "list": [{"token": REDACTED}, "plain"],
        "limits": {"max_tokens": 512, "tokenizer": "cl100k_base", "auth_token": REDACTED},
    }


def test_credentials_in_urls_are_written_nowhere(
    judge_server: JudgeServer,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # a judge's api_base with user:password@ (the password is the planted key): the call's
    # errors, the table, the journal and the files of the run keep no trace of it
    host = judge_server.url.removeprefix("http://")
    judge = make_judge(
        name="url_cred",
        instructions="Right? {{ outputs }}",
        model="openai:/gpt-4.1-mini",
        api_base=f"http://user:{PLANTED}@{host}",
    )
    judge_server.inject("unauthorized")  # every call fails: the error names the URL
    result = evalkit.evaluate([_record("4")], scorers=[judge], progress=False)
    table = result.tables["eval_results_table"]
    assert table["url_cred/error_code"].tolist() == ["AUTHENTICATION_ERROR"]
    assert PLANTED not in table.to_json()
    folder = Path(_context.get_tracking_uri().removeprefix("sqlite:///")).parent
    assert PLANTED not in _everything_written(folder)
    out, err = capfd.readouterr()
    assert PLANTED not in out + err


def test_a_postgresql_password_is_not_printed_by_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.cli import main
    from evalkit.cli.output import where_to_look

    uri = f"postgresql://evalkit:{PLANTED}@127.0.0.1:1/runs"  # nothing listens on port 1
    assert PLANTED not in where_to_look("0" * 32, uri)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVALKIT_TRACKING_URI", uri)
    for argv in (["runs", "list"], ["runs", "show", "0" * 32]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2, out + err
        assert PLANTED not in out + err
        assert "127.0.0.1" in err  # it still says which store it could not use
