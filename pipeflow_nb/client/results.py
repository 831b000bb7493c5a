"""Result models of the endpoints that have no shared model elsewhere (lint, estimate, ...)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pipeflow_nb.models.base import WireModel
from pipeflow_nb.models.workflow import Violation

__all__ = ["CreditLine", "Estimate", "LintReport", "Usage", "WebhookInfo"]


class LintReport(WireModel):
    """Body of ``POST /workflows/lint``: every violation and warning of a graph."""

    ok: bool = True
    """No violations."""
    violations: list[Violation] = Field(default_factory=list)
    """Broken rules; a workflow with any cannot run."""
    warnings: list[Any] = Field(default_factory=list)
    """Advice that does not block a run (violation-shaped objects or plain text)."""


class CreditLine(WireModel):
    """One node's share of a credit estimate."""

    node_id: str
    """The node."""
    node_label: str | None = None
    """Its label."""
    credits: int = 0
    """Its cost per run."""


class Estimate(WireModel):
    """Body of ``POST /workflows/{id}/estimate``: what a run would cost."""

    required_credits: int = 0
    """Credits the run (or batch) needs."""
    available_credits: int = 0
    """Credits the key has."""
    sufficient: bool = True
    """Whether the run can start."""
    breakdown: list[CreditLine] = Field(default_factory=list)
    """Cost per node."""


class Usage(WireModel):
    """Body of ``GET /developer/usage``."""

    credits: int | None = None
    """Credits left."""
    plan: str | None = None
    """The key's plan: ``free``, ``starter``, ``pro`` or ``enterprise``."""
    executions_today: int | None = None
    """Runs started today."""
    limits: dict[str, Any] = Field(default_factory=dict)
    """Rate limits of the plan."""


class WebhookInfo(WireModel):
    """Body of ``GET /workflow/{webhookId}/trigger``."""

    workflow_id: str | None = None
    """The workflow the webhook runs."""
    name: str | None = None
    """Its name."""
    is_active: bool | None = None
    """Whether it accepts runs."""
    message: str | None = None
    """How to trigger it."""
