"""Input values, overrides, conversions, many-ports and target pruning."""

from __future__ import annotations

import numpy as np
import pytest

from pipeflow_nb import default_registry
from pipeflow_nb.engine import Engine
from pipeflow_nb.errors import PipelineValidationError
from pipeflow_nb.media import Image
from pipeflow_nb.models.execution import ExecutionStatus
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.pipeline import Pipeline


async def test_target_node_runs_only_it_and_its_ancestors(
    engine: Engine, registry: NodeRegistry
) -> None:
    p = Pipeline("target", registry=registry)
    src = p.add("t:source", id="src", value=2)
    left = p.add("t:double", id="left", x=src)
    p.add("t:double", id="right", x=src)
    p.add("t:double", id="below", x=left)
    execution = await engine.execute(p.to_workflow(), target_node_id="left")
    assert [r.node_id for r in execution.node_runs] == ["src", "left"]
    assert execution.outputs["left"] == {"number": 4}
    with pytest.raises(PipelineValidationError, match="'nowhere'"):
        await engine.execute(p.to_workflow(), target_node_id="nowhere")


async def test_many_port_gets_values_in_edge_order(engine: Engine, registry: NodeRegistry) -> None:
    p = Pipeline("many", registry=registry)
    nodes = [p.add("t:source", id=f"s{i}", value=v) for i, v in enumerate([5, 1, 7])]
    p.add("t:total", id="sum", xs=nodes)
    execution = await engine.execute(p.to_workflow())
    assert execution.outputs["sum"] == {"number": 13}


async def test_inputs_set_primary_params_and_media_become_artifacts(
    engine: Engine, registry: NodeRegistry
) -> None:
    registry.register(default_registry().get("input:image"))
    p = Pipeline("inputs", registry=registry)
    img = p.add("input:image", id="photo", source="")
    p.add("t:source", id="n", value=0)
    photo = Image.from_array(np.zeros((3, 5, 3), dtype="uint8"))
    execution = await engine.execute(p.to_workflow(), inputs={"photo": photo, "n": 4})
    assert execution.status == ExecutionStatus.COMPLETED, execution.error
    assert execution.outputs["photo"]["image"] == photo
    assert execution.outputs["n"] == {"number": 4}
    assert engine.artifacts.exists(photo.sha256 + ".png")
    assert img.id == "photo"


async def test_conversion_across_an_edge(engine: Engine, registry: NodeRegistry) -> None:
    registry.register(default_registry().get("text:template"))
    p = Pipeline("convert", registry=registry)
    n = p.add("t:source", id="n", value=3)
    p.add("text:template", id="t", text=n, template="n={text}")
    execution = await engine.execute(p.to_workflow())
    assert execution.outputs["t"] == {"text": "n=3"}


async def test_bad_override_names_the_node_and_param(
    engine: Engine, registry: NodeRegistry
) -> None:
    p = Pipeline("bad", registry=registry)
    p.add("t:source", id="src")
    with pytest.raises(PipelineValidationError) as info:
        await engine.execute(p.to_workflow(), overrides={"src": {"value": "many"}})
    assert info.value.violations[0].node_id == "src"
    assert info.value.violations[0].param == "value"
