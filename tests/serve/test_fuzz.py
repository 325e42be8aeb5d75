"""Property-based API fuzzing from the OpenAPI schema (schemathesis), bounded in time."""

import pytest

schemathesis = pytest.importorskip("schemathesis")


@pytest.mark.slow
def test_no_request_gets_a_5xx(server):
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    failures, calls = [], []
    for op in schema.get_all_operations():
        operation = op.ok()

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(base_url=server.url, timeout=60)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append((case.method, case.path, case.query, response.status_code, response.text[:200]))

        check()
    assert not failures, failures[:5]
    assert len(calls) >= 20 and any(c in (413, 415, 422) for c in calls), calls
