"""The outputs strip under the graph: one card per node with its latest outputs.

A card appears (or is refreshed) the moment its node completes, so a run fills the strip
from left to right as it goes. Replaced previews are closed, so a long batch does not
leave thousands of dead widget models behind in the kernel.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

import ipywidgets as w

from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.widgets.elements import STATUS_COLORS
from pipeflow_nb.widgets.previews import close_tree, output_previews
from pipeflow_nb.widgets.state import RunState

__all__ = ["OutputsStrip"]


class OutputsStrip(w.HBox):  # type: ignore[misc]
    """Cards of node outputs, in graph order."""

    def __init__(self) -> None:
        self._cards: dict[str, w.VBox] = {}
        self._versions: dict[str, int] = {}
        super().__init__(
            [], layout=w.Layout(flex_flow="row wrap", align_items="flex-start", width="100%")
        )
        self.add_class("pf-outputs")

    def __repr__(self) -> str:
        return f"OutputsStrip({self.node_ids})"

    @property
    def node_ids(self) -> list[str]:
        """Nodes that have a card, in display order."""
        return [c._pf_node_id for c in self.children]

    def card(self, node_id: str) -> w.VBox | None:
        """The card of a node, if it has outputs."""
        return self._cards.get(node_id)

    def update(self, workflow: Workflow, state: RunState, node_ids: Iterable[str]) -> None:
        """Rebuild the cards of ``node_ids`` whose outputs changed; drop vanished nodes."""
        changed = False
        present = set(workflow.node_ids)
        for nid in [n for n in self._cards if n not in present]:
            close_tree(self._cards.pop(nid))
            self._versions.pop(nid, None)
            changed = True
        for nid in node_ids:
            view = state.node(nid)
            if nid not in present or self._versions.get(nid) == view.outputs_version:
                continue
            self._versions[nid] = view.outputs_version
            previews = output_previews(view.outputs, view.output)
            old = self._cards.pop(nid, None)
            if old is not None:
                close_tree(old)
            changed = True
            if not previews:
                continue
            fill, ink = STATUS_COLORS.get(view.status, STATUS_COLORS["idle"])
            label = workflow.node(nid).label
            head = w.HTML(
                f'<div style="font-size:12px"><span style="background:{fill};color:{ink};'
                f'padding:0 5px;border-radius:3px">{escape(view.status)}</span> '
                f"<b>{escape(label)}</b> <code>{escape(nid)}</code></div>"
            )
            card = w.VBox(
                [head, *previews],
                layout=w.Layout(
                    border="1px solid #cfd8dc", padding="4px", margin="4px", max_width="300px"
                ),
            )
            card.add_class("pf-output-card")
            card._pf_node_id = nid
            self._cards[nid] = card
        if changed:
            order = {nid: i for i, nid in enumerate(workflow.node_ids)}
            self.children = tuple(
                self._cards[n] for n in sorted(self._cards, key=lambda n: order.get(n, 0))
            )
