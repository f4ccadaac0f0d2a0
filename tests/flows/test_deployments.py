"""prefect.yaml: every deployment's entrypoint loads as a flow and its parameters are that flow's."""

from __future__ import annotations

import inspect

import yaml
from prefect.flows import load_flow_from_entrypoint

from tasks import PROJECT_ROOT


def test_every_deployment_entrypoint_is_a_flow_taking_its_parameters(monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    deployments = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())["deployments"]
    assert {d["name"] for d in deployments} == {"nightly", "ingest", "resolve", "segment"}
    for deployment in deployments:
        flow = load_flow_from_entrypoint(deployment["entrypoint"])
        accepted = set(inspect.signature(flow.fn).parameters)
        assert set(deployment.get("parameters") or {}) <= accepted, deployment["name"]
        assert deployment["concurrency_limit"]["limit"] == 1
