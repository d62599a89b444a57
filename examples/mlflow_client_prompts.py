"""MlflowClient, the prompt registry and evaluation datasets, written as MLflow users write them.

The judge runs against evalkit.testing's loopback JudgeServer, so the example needs no key and
no network; everything is kept in ./evalkit-runs (SQLite):

    .venv/bin/python examples/mlflow_client_prompts.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import evalkit
from evalkit import MlflowClient
from evalkit.judges import make_judge
from evalkit.testing import JudgeServer
from evalkit.tracking import Metric, Param, RunTag

# -- the prompt registry: versions, aliases, format ----------------------------------------
evalkit.register_prompt("support-answer", "Answer briefly: {{question}}", commit_message="v1")
evalkit.register_prompt(
    "support-answer",
    "Answer in one sentence, politely: {{question}}",
    commit_message="Ask for politeness.",
    tags={"author": "Bob"},
)
evalkit.set_prompt_alias("support-answer", alias="production", version=2)
prompt = evalkit.load_prompt("prompts:/support-answer@production")
assert prompt is not None
print(f"{prompt.uri}: {prompt.format(question='How do I reset my password?')}")
evalkit.register_prompt(
    "politeness-judge",
    "Question: {{ inputs.question }}\nAnswer: {{ outputs }}\nIs the answer polite?",
)

# -- an evaluation dataset in the store ---------------------------------------------------
dataset = (
    evalkit.get_dataset(name="support_qa")
    if evalkit.search_datasets(filter_string="name = 'support_qa'")
    else evalkit.create_dataset("support_qa", tags={"env": "demo"})
)
dataset.merge_records(
    [
        {"inputs": {"question": "How do I reset my password?"}},
        {"inputs": {"question": "Where is my invoice?"}},
    ]
)
print(f"dataset {dataset.name}: schema {dataset.schema}, profile {dataset.profile}")


def predict_fn(question: str) -> str:
    """The app under test: it builds its request from the registered prompt."""
    request = prompt.format(question=question)
    return f"Certainly! ({len(request)} characters asked)"


# -- evaluate with a judge whose instructions come from the registry -----------------------
judge_instructions = evalkit.load_prompt("politeness-judge")
assert judge_instructions is not None
with JudgeServer(default_reply={"result": "yes", "rationale": "It is polite."}) as server:
    polite = make_judge(
        name="polite",
        instructions=str(judge_instructions.template),
        feedback_value_type=Literal["yes", "no"],
        model="openai:/gpt-4.1-mini",
        api_base=server.url,
    )
    with server.env():
        result = evalkit.evaluate(data=dataset, predict_fn=predict_fn, scorers=[polite])
print(f"polite/mean = {result.metrics['polite/mean']}")

# -- the client: runs, batches, artifacts, inputs -----------------------------------------
client = MlflowClient()
run = client.get_run(result.run_id)  # type: ignore[arg-type]
[data_input] = run.inputs.dataset_inputs
print(f"input: {data_input.dataset.name} ({data_input.dataset.source_type}), {data_input.tags}")

experiment = client.get_experiment_by_name("client-demo")
experiment_id = experiment.experiment_id if experiment else client.create_experiment("client-demo")
run_id = client.create_run(experiment_id, run_name="manual").info.run_id
client.log_batch(
    run_id,
    metrics=[Metric("loss", 0.4, 0, 0), Metric("loss", 0.2, 0, 1)],
    params=[Param("prompt", prompt.uri)],
    tags=[RunTag("team", "support")],
)
with tempfile.TemporaryDirectory() as folder:
    notes = Path(folder, "notes.txt")
    notes.write_text("prompt v2 is politer")
    client.log_artifact(run_id, notes)
client.log_inputs(run_id, [dataset])
client.set_terminated(run_id)
best = client.search_runs(experiment_id, order_by=["metrics.loss ASC"], max_results=1)[0]
print(f"best run {best.info.run_name}: loss {best.data.metrics['loss']}, {best.data.params}")
print("artifacts:", [f.path for f in client.list_artifacts(run_id)])
print("loss history:", [m.value for m in client.get_metric_history(run_id, "loss")])
