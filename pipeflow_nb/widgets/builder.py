"""``Builder``: edit a pipeline on its graph: palette, connections, param forms, run buttons.

The pipeline is the model: every action here is a ``Pipeline`` edit (``add``,
``connect``, ``disconnect``, ``remove``, ``set_params``, ``move``), and every edit made in
code reaches the widget through ``Pipeline.on_change``. Running and publishing are the
controller's (:func:`pipeflow_nb.building.builder`): the widget calls ``on_run(target)``
and ``on_publish()`` and shows what they return or raise.

>>> b = Builder(p)
>>> nid = b.add_node("text:template")
>>> b.connect("brief", "text", nid, "text")
"""

from __future__ import annotations

import random
import weakref
from collections.abc import Callable, Mapping
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from pipeflow_nb.errors import PipeflowError
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.workflow import Violation
from pipeflow_nb.widgets.forms import ParamForm
from pipeflow_nb.widgets.graph import PipelineGraph
from pipeflow_nb.widgets.palette import (
    PortChoice,
    compatible_inputs,
    layered_positions,
    palette_groups,
)
from pipeflow_nb.widgets.previews import close_tree

if TYPE_CHECKING:
    from pipeflow_nb.pipeline import Pipeline

__all__ = ["Builder"]

OnRun = Callable[[str | None], Any]
OnPublish = Callable[[], Any]


def _error_text(exc: Exception) -> str:
    return str(exc).strip() or type(exc).__name__


class _WeakCall:
    """A listener that does not keep the builder alive."""

    def __init__(self, builder: Builder, method: str):
        self._ref = weakref.ref(builder)
        self._method = method

    def __call__(self, *args: Any) -> None:
        builder = self._ref()
        if builder is not None:
            getattr(builder, self._method)(*args)


class Builder(w.VBox):  # type: ignore[misc]
    """Palette, live graph and node panel for building a :class:`~pipeflow_nb.Pipeline`."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        on_run: OnRun | None = None,
        on_publish: OnPublish | None = None,
        rng: random.Random | None = None,
        graph: PipelineGraph | None = None,
    ):
        """``graph``: the live graph to build on (the controller's, fed by every run)."""
        self.pipeline = pipeline
        self.on_run = on_run
        self.on_publish = on_publish
        self.rng = rng or random.Random()
        self.selected: str | None = None
        self.violations: list[Violation] = []
        self.form: ParamForm | None = None
        self.results: list[Any] = []
        """What ``on_run`` / ``on_publish`` returned, latest last."""

        self.graph = graph if graph is not None else PipelineGraph(pipeline)
        # Positions come from the pipeline (kept in its JSON), so the canvas uses them as is.
        self.graph.cytoscape.set_layout(name="preset", fit=True, padding=30)
        self.graph.cytoscape.max_zoom = 1.2  # a lone node stays node-sized
        self.graph.cytoscape.on("node", "click", self._on_canvas_click)
        self.graph.cytoscape.on("node", "tapend", self._on_canvas_drop)

        self.search = w.Text(placeholder="search node types", layout={"width": "210px"})
        self.search.add_class("pf-palette-search")
        self.search.observe(lambda _c: self._render_palette(), names="value")
        self.palette = w.VBox([], layout={"width": "230px", "overflow": "auto"})
        self.palette.add_class("pf-palette")
        self.palette_buttons: dict[str, w.Button] = {}

        self.node_title = w.HTML()
        self.node_picker = w.Dropdown(description="node", options=[])
        self.node_picker.add_class("pf-node-picker")
        self.node_picker.observe(self._on_pick, names="value")
        self.node_violations = w.HTML()
        self.node_violations.add_class("pf-node-violations")
        self.form_box = w.VBox([])
        self.out_port = w.Dropdown(description="output", options=[])
        self.out_port.add_class("pf-out-port")
        self.target = w.Dropdown(description="to", options=[])
        self.target.add_class("pf-connect-target")
        self.connect_button = w.Button(description="Connect", icon="link")
        self.connect_button.add_class("pf-connect")
        self.edges = w.Dropdown(description="edge", options=[])
        self.edges.add_class("pf-node-edges")
        self.disconnect_button = w.Button(description="Remove edge", icon="unlink")
        self.remove_button = w.Button(description="Remove node", icon="trash")
        self.out_port.observe(lambda _c: self._render_targets(), names="value")
        self.connect_button.on_click(lambda _b: self._connect_from_panel())
        self.disconnect_button.on_click(lambda _b: self._disconnect_from_panel())
        self.remove_button.on_click(lambda _b: self.selected and self.remove(self.selected))
        self.panel = w.VBox(
            [
                w.HBox([self.node_picker, self.node_title]),
                self.node_violations,
                self.form_box,
                w.HBox([self.out_port, self.target, self.connect_button]),
                w.HBox([self.edges, self.disconnect_button]),
                self.remove_button,
            ],
            layout={"width": "100%"},
        )
        self.panel.add_class("pf-node-panel")

        self.run_button = w.Button(description="Run", icon="play", button_style="success")
        self.run_to_button = w.Button(description="Run to selected", icon="step-forward")
        self.publish_button = w.Button(description="Publish", icon="cloud-upload")
        self.layout_button = w.Button(description="Layout", icon="sitemap")
        self.publish_button.layout.display = None if on_publish else "none"
        self.run_button.on_click(lambda _b: self.run())
        self.run_to_button.on_click(lambda _b: self.run(self.selected))
        self.publish_button.on_click(lambda _b: self.publish())
        self.layout_button.on_click(lambda _b: self.layout())
        self.message = w.HTML()
        self.message.add_class("pf-builder-message")
        toolbar = w.HBox(
            [self.run_button, self.run_to_button, self.publish_button, self.layout_button]
        )

        super().__init__(
            [
                toolbar,
                self.message,
                w.HBox([w.VBox([self.search, self.palette]), self.graph]),
                self.panel,
            ]
        )
        self.add_class("pf-builder")
        self._unsubscribe = pipeline.on_change(_WeakCall(self, "_on_pipeline_change"))
        pipeline.registry.on_register(_WeakCall(self, "_on_register"))
        self._render_palette()
        self._refresh()

    def __repr__(self) -> str:
        p = self.pipeline
        return (
            f"Builder({p.name!r}: {len(p)} nodes, {len(p.edges)} edges; "
            f"selected={self.selected!r}; {len(self.violations)} violations)"
        )

    def close(self) -> None:
        """Stop following the pipeline and close the widgets."""
        self._unsubscribe()
        self.graph.close()
        super().close()

    # --- palette -------------------------------------------------------------------------
    def palette_groups(self) -> dict[str, list[NodeTypeSpec]]:
        """What the palette lists now (search applied), by category."""
        return palette_groups(self.pipeline.registry.specs(), self.search.value)

    def _render_palette(self) -> None:
        sections: list[w.Widget] = []
        self.palette_buttons = {}
        for category, specs in self.palette_groups().items():
            buttons = []
            for spec in specs:
                button = w.Button(
                    description=spec.label, tooltip=f"{spec.node_type}: {spec.description}"
                )
                button.add_class("pf-palette-item")
                button.on_click(lambda _b, t=spec.node_type: self.add_node(t))
                self.palette_buttons[spec.node_type] = button
                buttons.append(button)
            head = w.HTML(f'<div class="pf-palette-category"><b>{escape(category)}</b></div>')
            sections.append(w.VBox([head, *buttons]))
        if not sections:
            sections.append(w.HTML("<i>no node type matches</i>"))
        old = self.palette.children
        self.palette.children = tuple(sections)
        for section in old:
            close_tree(section)

    def _on_register(self, _definition: Any) -> None:
        self._render_palette()

    # --- actions (each one a Pipeline edit) -----------------------------------------------
    def add_node(self, node_type: str) -> str:
        """Add a node of that type (as a palette click does), select it, return its id."""
        handle = self._attempt(lambda: self.pipeline.add(node_type))
        if handle is None:
            return ""
        self.select(handle.id)
        return str(handle.id)

    def connect(self, source: str, output: str, target: str, input_port: str) -> str:
        """Connect ``source.output`` to ``target.input_port``; returns the edge id."""
        p = self.pipeline
        edge = self._attempt(lambda: p.connect(p[source].out(output), p[target].in_(input_port)))
        return edge or ""

    def disconnect(self, edge_id: str) -> None:
        """Remove an edge."""
        self._attempt(lambda: self.pipeline.disconnect(edge_id))

    def remove(self, node_id: str) -> None:
        """Remove a node and its edges."""
        if self.selected == node_id:
            self.selected = None
        self._attempt(lambda: self.pipeline.remove(node_id))

    def set_param(self, node_id: str, name: str, value: Any) -> str | None:
        """Set one param; returns the error message when the value is refused."""
        try:
            self.pipeline.set_params(node_id, **{name: value})
        except (PipeflowError, ValueError, KeyError) as exc:
            return _error_text(exc)
        return None

    def move(self, node_id: str, x: float, y: float) -> None:
        """Keep a node's canvas position in the pipeline (after a drag)."""
        if node_id in self.pipeline:
            self.pipeline.move(node_id, x, y, notify=False)

    def layout(self) -> dict[str, tuple[float, float]]:
        """Lay the graph out left to right and keep the positions in the pipeline."""
        p = self.pipeline
        positions = layered_positions(p.node_ids, [(e.source, e.target) for e in p.edges])
        for node_id, (x, y) in positions.items():
            p.move(node_id, x, y, notify=False)
        self._sync_positions()
        return positions

    def select(self, node_id: str | None) -> None:
        """Show a node in the panel (its form, ports, edges and violations)."""
        self.selected = node_id if node_id in self.pipeline else None
        if self.selected is not None:
            self.graph.select(self.selected)
        self._render_panel(rebuild_form=True)

    def compatible_targets(self, source: str, output: str) -> list[PortChoice]:
        """The input ports ``source.output`` may connect to (what the "to" list offers)."""
        specs = {
            t: s
            for t in self.pipeline.registry.node_types()
            if (s := self.pipeline.registry.spec(t))
        }
        return compatible_inputs(self.pipeline.to_workflow(), specs, source, output)

    def run(self, target: str | None = None) -> Any:
        """Run the whole pipeline, or up to ``target``, through the controller."""
        if self.on_run is None:
            self._say("no runner configured", error=True)
            return None
        if self.violations:
            self._say(
                f"cannot run: {len(self.violations)} violation(s), see the marked nodes", error=True
            )
            return None
        result = self._attempt(lambda: self.on_run(target) if self.on_run else None)
        if result is not None:
            self.results.append(result)
            status = getattr(getattr(result, "status", None), "value", "done")
            text = f"run {'to ' + repr(target) + ' ' if target else ''}finished: {status}"
            failed = getattr(result, "failed_node_id", None)
            if failed:
                text += f" at node {failed!r}: {getattr(result, 'error', '')}"
            self._say(text, error=bool(failed))
        return result

    def publish(self) -> Any:
        """Publish through the controller (the button shows only when one is configured)."""
        if self.on_publish is None:
            self._say("no client configured for publishing", error=True)
            return None
        result = self._attempt(self.on_publish)
        if result is not None:
            self.results.append(result)
            self._say(f"published: {getattr(result, 'id', result)}")
        return result

    def _attempt(self, action: Callable[[], Any]) -> Any:
        try:
            result = action()
        except (PipeflowError, ValueError, KeyError, TypeError) as exc:
            self._say(_error_text(exc), error=True)
            return None
        return result

    def _say(self, text: str, *, error: bool = False) -> None:
        colour = "#b71c1c" if error else "#1b5e20"
        self.message.value = (
            f'<div style="color:{colour};white-space:pre-wrap">{escape(text)}</div>'
        )

    # --- following the pipeline -----------------------------------------------------------
    def _on_pipeline_change(self, change: Any) -> None:
        if change.kind == "node_removed" and change.node_id == self.selected:
            self.selected = None
        self._refresh(rebuild_form=change.kind != "node_updated" or change.node_id != self.selected)

    def _refresh(self, *, rebuild_form: bool = True) -> None:
        self.graph.flush()
        self._sync_positions()
        self.violations = self.pipeline.violations() if len(self.pipeline) else []
        marks: dict[str, tuple[str, str]] = {}
        for v in self.violations:
            if v.node_id is not None and v.node_id in self.pipeline:
                marks.setdefault(v.node_id, ("invalid", v.message))
        self.graph.set_marks(marks)
        self._render_panel(rebuild_form=rebuild_form)

    def _sync_positions(self) -> None:
        workflow = self.pipeline.to_workflow()
        widgets = self.graph.node_widgets
        moved = False
        for node in workflow.nodes:
            widget = widgets.get(node.id)
            if widget is None:
                continue
            widget.grabbable = True
            spot = {"x": node.position.x, "y": node.position.y}
            if dict(widget.position) != spot:
                widget.position = spot
                moved = True
        if moved:  # fit the view again now that the nodes sit where the pipeline says
            self.graph.cytoscape.relayout()

    def _on_pick(self, change: Mapping[str, Any]) -> None:
        node_id = change.get("new")
        if isinstance(node_id, str) and node_id != self.selected:
            self.select(node_id)

    def _render_panel(self, *, rebuild_form: bool) -> None:
        node_id = self.selected
        self.run_to_button.disabled = node_id is None
        self.node_picker.unobserve(self._on_pick, names="value")
        self.node_picker.options = self.pipeline.node_ids
        self.node_picker.value = node_id
        self.node_picker.observe(self._on_pick, names="value")
        if node_id is None:
            self.node_title.value = "<i>select a node, or add one from the palette</i>"
            self.node_violations.value = ""
            self._set_form(None)
            self.out_port.options, self.edges.options = [], []
            self._render_targets()
            return
        handle = self.pipeline[node_id]
        spec = handle.spec
        self.node_title.value = (
            f'<div class="pf-node-title"><b>{escape(node_id)}</b> · '
            f"<code>{escape(spec.node_type)}</code></div>"
        )
        mine = [v for v in self.violations if v.node_id == node_id]
        self.node_violations.value = "".join(
            f'<div style="color:#b71c1c">⚠ {escape(v.rule)}: {escape(v.message)}</div>'
            for v in mine
        )
        if rebuild_form or self.form is None:

            def changed(values: dict[str, Any], nid: str = node_id) -> str | None:
                return self._form_changed(nid, values)

            form = ParamForm(spec, handle.params, rng=self.rng, on_change=changed)
            self._set_form(form)
        else:
            self.form.set_values(handle.params)
        outputs = [p.name for p in spec.outputs]
        keep = self.out_port.value if self.out_port.value in outputs else None
        self.out_port.options = outputs
        self.out_port.value = keep if keep is not None else (outputs[0] if outputs else None)
        self.edges.options = [
            (e.id, e.id) for e in self.pipeline.edges if node_id in (e.source, e.target)
        ]
        self._render_targets()

    def _set_form(self, form: ParamForm | None) -> None:
        old = self.form
        self.form = form
        self.form_box.children = (form,) if form is not None else ()
        if old is not None:
            close_tree(old)

    def _form_changed(self, node_id: str, values: Mapping[str, Any]) -> str | None:
        for name, value in values.items():
            problem = self.set_param(node_id, name, value)
            if problem:
                return problem
        return None

    def _render_targets(self) -> None:
        if self.selected is None or self.out_port.value is None:
            self.target.options = []
            self.connect_button.disabled = True
            return
        choices = self.compatible_targets(self.selected, self.out_port.value)
        self.target.options = [(c.label, (c.node_id, c.port)) for c in choices]
        self.target.value = (choices[0].node_id, choices[0].port) if choices else None
        self.connect_button.disabled = not choices

    def _connect_from_panel(self) -> None:
        if self.selected is None or self.out_port.value is None or self.target.value is None:
            return
        node_id, port = self.target.value
        self.connect(self.selected, self.out_port.value, node_id, port)

    def _disconnect_from_panel(self) -> None:
        if self.edges.value is not None:
            self.disconnect(self.edges.value)

    # --- canvas events ---------------------------------------------------------------------
    def _on_canvas_click(self, payload: Mapping[str, Any]) -> None:
        node_id = (payload.get("data") or {}).get("id")
        if isinstance(node_id, str):
            self.select(node_id)

    def _on_canvas_drop(self, payload: Mapping[str, Any]) -> None:
        node_id = (payload.get("data") or {}).get("id")
        position = payload.get("position") or {}
        x, y = position.get("x"), position.get("y")
        if isinstance(node_id, str) and isinstance(x, int | float) and isinstance(y, int | float):
            self.move(node_id, float(x), float(y))
