"""MLflow's tests/evaluate/test_validation.py: not ported.

| MLflow test                  | here    | why                                                  |
|------------------------------|---------|------------------------------------------------------|
| every test of the module     | skipped | ``MetricThreshold`` / ``validate_evaluation_results``|
|                              |         | (model validation against a baseline model URI) are |
|                              |         | not provided; evalkit's thresholds are ``evalkit     |
|                              |         | gate`` and ``evalkit.testing.assert_evaluation``     |
"""

import pytest

pytestmark = pytest.mark.skip(reason="MetricThreshold/validate_evaluation_results not provided")


def test_validation_module():
    pass
