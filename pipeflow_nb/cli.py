"""The ``pipeflow`` command: ``serve``, ``keys create|list|revoke`` and ``nodes``.

>>> main(["keys", "create", "--home", "/tmp/pf", "--plan", "pro", "--credits", "500"])
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeflow_nb.artifacts import default_home

__all__ = ["main"]

_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _parse_expiry(text: str) -> datetime:
    """``30d`` / ``12h`` from now, or an ISO date or timestamp (UTC unless it says)."""
    found = _DURATION.match(text.strip())
    if found:
        amount, unit = int(found.group(1)), found.group(2)
        return datetime.now(UTC) + timedelta(**{_UNITS[unit]: amount})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--expires {text!r}: use a duration like 30d or 12h, or an ISO date (2027-01-31)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _home(value: str | None) -> Path:
    return Path(value).expanduser() if value else default_home()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from pipeflow_nb.server.app import create_app

    home = _home(args.home)
    app = create_app(home, max_workers=args.workers)
    ctx = app.state.pipeflow
    if ctx.dev_key is not None:
        print(f"dev API key: saved in {ctx.settings.dev_key_path} (mode 0600)")
    print(f"pipeflow reference server on http://{args.host}:{args.port}/api/v1 (home {home})")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    from pipeflow_nb.server.store import ALL_SCOPES, Store

    store = Store(_home(args.home) / "pipeflow.db")
    try:
        plain, key = store.keys.create(
            name=args.name,
            plan=args.plan,
            credits=args.credits,
            scopes=args.scopes or list(ALL_SCOPES),
            expires_at=args.expires,
            requests_per_min=args.requests_per_min,
            executions_per_min=args.executions_per_min,
            executions_per_day=args.executions_per_day,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(plain)
    print(
        f"created {key.id} ({key.plan}, {key.credits} credits, "
        f"scopes {' '.join(sorted(key.scopes))}); this is the only time the key is shown",
        file=sys.stderr,
    )
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    from pipeflow_nb.server.store import Store

    store = Store(_home(args.home) / "pipeflow.db")
    try:
        keys = store.keys.all()
    finally:
        store.close()
    if args.json:
        print(json.dumps([k.to_dict() for k in keys], indent=2))
        return 0
    rows = [("id", "prefix", "name", "plan", "credits", "active", "expires")]
    for k in keys:
        expires = k.expires_at.strftime("%Y-%m-%d %H:%M") if k.expires_at else "-"
        rows.append(
            (
                k.id,
                k.prefix + "…",
                k.name,
                k.plan,
                str(k.credits),
                "yes" if k.is_active else "no",
                expires,
            )
        )
    print(_table(rows))
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    from pipeflow_nb.server.store import Store

    store = Store(_home(args.home) / "pipeflow.db")
    try:
        key = store.keys.revoke(args.key)
    finally:
        store.close()
    if key is None:
        print(f"error: no key with id or prefix {args.key!r}", file=sys.stderr)
        return 1
    print(f"revoked {key.id} ({key.prefix}…)")
    return 0


def _nodes(args: argparse.Namespace) -> int:
    from pipeflow_nb.nodes.catalog import render_catalog
    from pipeflow_nb.nodes.registry import default_registry

    query = " ".join(args.query)
    if not default_registry().search(query, category=args.category):
        print(render_catalog(query=query, category=args.category), file=sys.stderr)
        return 1
    print(render_catalog(query=query, category=args.category))
    return 0


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pipeflow", description="pipeflow-nb command line")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the reference server (the pipeline service API)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8787)
    serve.add_argument("--home", help="data directory (default $PIPEFLOW_HOME or ~/.pipeflow)")
    serve.add_argument("--workers", type=int, default=2, help="executions running at once")
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(run=_serve)

    keys = sub.add_parser("keys", help="manage API keys of a server home")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key and print it (shown once)")
    create.add_argument("--home")
    create.add_argument("--name", default="")
    create.add_argument(
        "--plan", default="enterprise", choices=["free", "starter", "pro", "enterprise"]
    )
    create.add_argument("--credits", type=int, default=1000)
    create.add_argument("--scopes", nargs="+", metavar="SCOPE")
    create.add_argument("--expires", type=_parse_expiry, help="30d, 12h, or an ISO date")
    create.add_argument("--requests-per-min", type=int)
    create.add_argument("--executions-per-min", type=int)
    create.add_argument("--executions-per-day", type=int)
    create.set_defaults(run=_keys_create)
    listing = keys_sub.add_parser("list", help="list keys (never the keys themselves)")
    listing.add_argument("--home")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_keys_list)
    revoke = keys_sub.add_parser("revoke", help="deactivate a key by id or prefix")
    revoke.add_argument("key")
    revoke.add_argument("--home")
    revoke.set_defaults(run=_keys_revoke)

    nodes = sub.add_parser("nodes", help="list node types (optionally matching QUERY)")
    nodes.add_argument("query", nargs="*")
    nodes.add_argument("--category", help="only this category (image, audio, model, ...)")
    nodes.set_defaults(run=_nodes)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
