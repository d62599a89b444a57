"""Judge specs as files: the example specs in judges/ load and run; bad specs say why."""

from __future__ import annotations

from pathlib import Path

import pytest

import evalkit
from evalkit.errors import JudgeError
from evalkit.judges import load_judge
from evalkit.testing import JudgeServer

JUDGES = Path(__file__).resolve().parents[2] / "judges"


def test_professionalism_maps_choices_to_scores(judge_server: JudgeServer) -> None:
    judge = load_judge(JUDGES / "professionalism.yaml")
    assert (judge.name, judge.template_variables) == ("professionalism", {"inputs", "outputs"})
    judge_server.add_rule(
        match="whatever, dude", reply={"result": "rude", "rationale": "dismissive"}
    )
    judge_server.add_rule(match=None, reply={"result": "professional", "rationale": "courteous"})
    data = [
        {
            "inputs": {"question": "My order is late."},
            "outputs": "Sorry about that; it ships today.",
        },
        {"inputs": {"question": "My order is late."}, "outputs": "whatever, dude"},
    ]
    result = evalkit.evaluate(data=data, scorers=[judge])
    assert result.metrics["professionalism/mean"] == 0.5
    assert result.metrics["professionalism/min"] == 0.0
    feedback = judge(inputs=data[1]["inputs"], outputs=data[1]["outputs"])
    assert (feedback.value, feedback.metadata["choice"]) == (0.0, "rude")
    schema = judge_server.requests[0].body["response_format"]["json_schema"]["schema"]  # type: ignore[index]
    assert schema["properties"]["result"]["enum"] == ["professional", "casual", "rude"]


def test_instructions_file_and_int_type(judge_server: JudgeServer) -> None:
    judge = load_judge(JUDGES / "answer_completeness.yaml")
    judge_server.add_rule(match=None, reply={"result": 4, "rationale": "one part missing"})
    feedback = judge(inputs={"question": "Who and when?"}, outputs="Ada Lovelace.")
    assert feedback.value == 4
    task = judge_server.requests[0].messages[1]["content"]
    assert task.startswith(
        "Question:\n<data>Who and when?</data>\n\nAnswer:\n<data>Ada Lovelace.</data>"
    )


def test_bool_spec(judge_server: JudgeServer) -> None:
    judge = load_judge(JUDGES / "cites_sources.yaml")
    judge_server.add_rule(match=None, reply={"result": False, "rationale": "no citations"})
    assert judge(inputs={"question": "q"}, outputs="a").value is False


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("name: x\ninstructions: '{{ outputs }}'\ncolour: red\n", "unknown key(s) colour"),
        ("instructions: '{{ outputs }}'\n", "'name' is missing"),
        ("name: x\n", "'instructions' (a Jinja2 template) is missing"),
        ("name: x\ninstructions: '{{ answer }}'\n", "unknown template variable 'answer'"),
        (
            "name: x\ninstructions: '{{ outputs }}'\nfeedback_value_type: [a, b]\nscores: {a: 1}\n",
            "'scores' must map exactly the choices",
        ),
        (
            "name: x\ninstructions: '{{ outputs }}'\nfeedback_value_type: decimal\n",
            "feedback_value_type must be a list of choices or one of bool, int, float, str",
        ),
        ("- a list\n", "must be a YAML mapping"),
        ("name: x\ninstructions_file: missing.jinja\n", "does not exist"),
    ],
)
def test_bad_specs_name_the_file_and_the_problem(tmp_path: Path, spec: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(spec)
    with pytest.raises(JudgeError) as info:
        load_judge(path)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(JudgeError, match="does not exist"):
        load_judge("judges/nope.yaml")
