"""What a notebook cell reads and writes, found with :mod:`ast` (no code is run).

A cell turned into a node (``%%node``) takes as inputs the names it reads before binding
them, and gives as outputs the names it assigns at top level:

>>> found = analyze_cell("total = sum(xs)\\nmean = total / len(xs)")
>>> found.reads, found.writes
(('sum', 'xs', 'len'), ('total', 'mean'))

Python's scoping rules are followed where they matter for that question: comprehension
variables stay inside the comprehension, a function body reads names when it is called
(so a name bound anywhere at top level does not count as read by it), ``x += 1`` reads
``x`` before writing it, ``del x`` withdraws ``x`` from the outputs, and names bound by
``import``, ``def`` and ``class`` are the cell's own tools rather than data, so they are
neither inputs nor outputs. Names starting with ``_`` are private to the cell.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["CellAnalysis", "CellSyntaxError", "analyze_cell"]

_BUILTINS = frozenset(dir(builtins))


class CellSyntaxError(SyntaxError):
    """The cell's source does not parse; the message names the line."""


@dataclass(frozen=True)
class CellAnalysis:
    """The names a cell exchanges with the rest of the notebook."""

    reads: tuple[str, ...]
    """Names read before the cell binds them (builtins included), in first-use order."""
    writes: tuple[str, ...]
    """Data names assigned at top level and still bound at the end, in first-assignment order."""
    tools: tuple[str, ...]
    """Names bound by ``import``, ``def`` and ``class`` (kept out of the outputs)."""

    @property
    def free_reads(self) -> tuple[str, ...]:
        """``reads`` without Python's builtins (unless the cell rebinds one)."""
        return tuple(n for n in self.reads if n not in _BUILTINS)


def analyze_cell(source: str) -> CellAnalysis:
    """The reads, writes and tools of a cell's source (IPython ``%`` lines are skipped).

    Raises :class:`CellSyntaxError` when the source is not valid Python.
    """
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError as exc:
        raise CellSyntaxError(f"cell does not parse: {exc.msg} (line {exc.lineno})") from None
    walker = _TopLevel()
    for stmt in tree.body:
        walker.visit(stmt)
    deferred = [n for n in walker.deferred if n not in walker.ever_bound]
    reads = _unique([*walker.reads, *deferred])
    writes = [n for n in walker.assigned if n in walker.bound and not n.startswith("_")]
    tools = [n for n in walker.tools if n in walker.bound]
    return CellAnalysis(reads=tuple(reads), writes=tuple(writes), tools=tuple(_unique(tools)))


def _strip_magics(source: str) -> str:
    # Line magics and shell escapes are not Python; blank them so line numbers stay right.
    lines = source.splitlines()
    return "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines)


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _target_names(target: ast.expr) -> Iterator[ast.Name]:
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            yield from _target_names(elt)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


class _TopLevel(ast.NodeVisitor):
    """Walks module-level statements in execution order."""

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.ever_bound: set[str] = set()
        self.reads: list[str] = []
        self.assigned: list[str] = []
        self.tools: list[str] = []
        self.deferred: list[str] = []

    # --- binding helpers -------------------------------------------------------------------
    def _read(self, name: str) -> None:
        if name not in self.bound:
            self.reads.append(name)

    def _bind(self, name: str, *, tool: bool = False) -> None:
        self.bound.add(name)
        self.ever_bound.add(name)
        if tool:
            self.tools.append(name)
            if name in self.assigned:
                self.assigned.remove(name)
        elif name not in self.assigned:
            self.assigned.append(name)

    def _store(self, target: ast.expr) -> None:
        """Bind the names of an assignment target; evaluate subscripts and attributes."""
        if isinstance(target, ast.Name):
            self._bind(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self._store(elt)
        elif isinstance(target, ast.Starred):
            self._store(target.value)
        else:  # x[i] = ..., x.a = ...: reads x, binds nothing
            self.visit(target)

    # --- expressions -----------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._read(node.id)
        elif isinstance(node.ctx, ast.Store):
            self._bind(node.id)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind(node.target.id)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_arguments_defaults(node.args)
        self.deferred += _Scope.free_names_of_lambda(node)

    def _visit_comprehension(self, generators: list[ast.comprehension], *elts: ast.expr) -> None:
        # The first iterable is evaluated in the enclosing scope; the rest runs in its own
        # scope, where the loop targets are local. Walrus targets leak to the enclosing scope.
        self.visit(generators[0].iter)
        scope = _Scope()
        for i, gen in enumerate(generators):
            if i:
                scope.visit(gen.iter)
            scope.store(gen.target)
            for cond in gen.ifs:
                scope.visit(cond)
        for elt in elts:
            scope.visit(elt)
        for name in scope.walrus:
            self._bind(name)
        for name in scope.free():
            self._read(name)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._visit_comprehension(node.generators, node.elt)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._visit_comprehension(node.generators, node.elt)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._visit_comprehension(node.generators, node.elt)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._visit_comprehension(node.generators, node.key, node.value)

    # --- statements ------------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._store(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._store(node.target)
        elif not isinstance(node.target, ast.Name):
            self.visit(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._read(node.target.id)
            self._bind(node.target.id)
        else:
            self.visit(node.target)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            for name in _target_names(target):
                self._read(name.id)
                self.bound.discard(name.id)
            if not isinstance(target, ast.Name | ast.Tuple | ast.List):
                self.visit(target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._store(node.target)
        for stmt in [*node.body, *node.orelse]:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self._bind(alias.asname or alias.name.split(".")[0], tool=True)

    visit_ImportFrom = visit_Import

    def _visit_arguments_defaults(self, args: ast.arguments) -> None:
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._visit_arguments_defaults(node.args)
        scope = _Scope.of_function(node)
        self.deferred += scope.free()
        for name in scope.declared_global:
            if name in scope.local_stores:
                self._bind(name)
        self._bind(node.name, tool=True)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        scope = _Scope()
        for stmt in node.body:
            scope.visit(stmt)
        # A class body runs at once, but its own names stay in the class namespace.
        for name in scope.free():
            self._read(name)
        self._bind(node.name, tool=True)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for stmt in node.body:
            self.visit(stmt)
        if node.name:  # Python unbinds the exception name when the handler ends
            self.bound.discard(node.name)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._bind(node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            self._bind(node.rest)

    def visit_Global(self, node: ast.Global) -> None:
        """``global`` at top level changes nothing."""


class _Scope(ast.NodeVisitor):
    """A nested scope (function, lambda, comprehension, class body): what it reads freely."""

    def __init__(self) -> None:
        self.local_stores: set[str] = set()
        self.loads: list[str] = []
        self.walrus: list[str] = []
        self.declared_global: set[str] = set()
        self.nested_free: list[str] = []

    @classmethod
    def of_function(cls, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> _Scope:
        scope = cls()
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                scope.local_stores.add(arg.arg)
        body = [node.body] if isinstance(node, ast.Lambda) else node.body
        for stmt in body:
            scope.visit(stmt)
        return scope

    @classmethod
    def free_names_of_lambda(cls, node: ast.Lambda) -> list[str]:
        return cls.of_function(node).free()

    def free(self) -> list[str]:
        """Names read here (or in nested scopes) that this scope does not bind."""
        local = self.local_stores - self.declared_global
        return _unique(n for n in [*self.loads, *self.nested_free] if n not in local)

    def store(self, target: ast.expr) -> None:
        for name in _target_names(target):
            self.local_stores.add(name.id)
        if not isinstance(target, ast.Name | ast.Tuple | ast.List | ast.Starred):
            self.visit(target)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads.append(node.id)
        else:
            self.local_stores.add(node.id)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.walrus.append(node.target.id)
        self.local_stores.add(node.target.id)

    def visit_Global(self, node: ast.Global) -> None:
        self.declared_global.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.declared_global.update(node.names)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.local_stores.add(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def _nested(self, scope: _Scope) -> None:
        self.nested_free += scope.free()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expr in node.decorator_list:
            self.visit(expr)
        for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
            self.visit(default)
        self.local_stores.add(node.name)
        self._nested(_Scope.of_function(node))

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
            self.visit(default)
        self._nested(_Scope.of_function(node))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self.local_stores.add(node.name)
        inner = _Scope()
        for stmt in node.body:
            inner.visit(stmt)
        self._nested(inner)

    def _comprehension(self, generators: list[ast.comprehension], *elts: ast.expr) -> None:
        self.visit(generators[0].iter)
        inner = _Scope()
        for i, gen in enumerate(generators):
            if i:
                inner.visit(gen.iter)
            inner.store(gen.target)
            for cond in gen.ifs:
                inner.visit(cond)
        for elt in elts:
            inner.visit(elt)
        for name in inner.walrus:
            self.local_stores.add(name)
        self.loads += [n for n in inner.free() if n not in inner.walrus]

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node.generators, node.key, node.value)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.local_stores.add(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.local_stores.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.local_stores.add(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.local_stores.add(node.rest)
        self.generic_visit(node)
