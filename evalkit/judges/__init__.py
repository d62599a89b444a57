"""LLM-as-a-judge: the model client, the per-model limiter, make_judge and built-in judges."""
