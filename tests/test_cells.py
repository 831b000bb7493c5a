"""What a cell reads and writes: the inputs and outputs of a ``%%node`` cell."""

from __future__ import annotations

import pytest

from pipeflow_nb.cells import CellSyntaxError, analyze_cell


def test_reads_before_binding_and_top_level_writes() -> None:
    found = analyze_cell("total = sum(xs)\nmean = total / len(xs)")
    assert found.reads == ("sum", "xs", "len")
    assert found.free_reads == ("xs",)
    assert found.writes == ("total", "mean")


def test_comprehension_variables_stay_inside() -> None:
    found = analyze_cell("ys = [i * k for i in xs if i]\npairs = {a: b for a, b in items}")
    assert set(found.free_reads) == {"xs", "k", "items"}
    assert found.writes == ("ys", "pairs")


def test_walrus_in_comprehension_binds_outside() -> None:
    found = analyze_cell("hits = [y for x in xs if (y := x * 2) > limit]\nlast = y")
    assert set(found.free_reads) == {"xs", "limit"}
    assert found.writes == ("y", "hits", "last")  # y is bound while the list is built


def test_augmented_assignment_reads_then_writes() -> None:
    found = analyze_cell("count += 1")
    assert found.free_reads == ("count",)
    assert found.writes == ("count",)


def test_assignment_after_use_still_reads() -> None:
    found = analyze_cell("y = x + 1\nx = 2")
    assert found.free_reads == ("x",)
    assert found.writes == ("y", "x")


def test_del_withdraws_an_output() -> None:
    found = analyze_cell("tmp = load()\nresult = tmp * 2\ndel tmp")
    assert found.writes == ("result",)
    assert found.free_reads == ("load",)


def test_imports_defs_and_classes_are_tools_not_data() -> None:
    source = (
        "import numpy as np\nfrom os import path\nimport a.b.c\n"
        "def scale(v, k=factor):\n    return v * k * gain\n"
        "class Box:\n    size = default_size\n"
        "out = scale(np.ones(3))\n"
    )
    found = analyze_cell(source)
    assert found.tools == ("np", "path", "a", "scale", "Box")
    assert found.writes == ("out",)
    assert set(found.free_reads) == {"factor", "gain", "default_size"}


def test_function_body_names_bound_later_at_top_level_are_not_read() -> None:
    found = analyze_cell("def f():\n    return helper_value\nhelper_value = 3\nr = f()")
    assert "helper_value" not in found.reads
    assert found.writes == ("helper_value", "r")


def test_function_locals_and_params_are_not_read() -> None:
    found = analyze_cell("def f(a, *rest, b=1, **kw):\n    c = a + b\n    return c, rest, kw")
    assert found.free_reads == ()
    assert found.writes == ()


def test_global_statement_in_function_makes_an_output() -> None:
    found = analyze_cell("def g():\n    global out\n    out = inp\ng()")
    assert found.free_reads == ("inp",)
    assert found.writes == ("out",)


def test_lambda_nested_function_and_class_scopes() -> None:
    source = (
        "f = lambda q: q + offset\n"
        "def outer():\n    z = 1\n    def inner():\n        return z + far\n    return inner\n"
        "class K:\n    m = 1\n    def meth(self):\n        return m_global\n"
    )
    found = analyze_cell(source)
    assert set(found.free_reads) == {"offset", "far", "m_global"}


def test_except_name_is_unbound_after_the_handler() -> None:
    found = analyze_cell("try:\n    r = risky()\nexcept ValueError as e:\n    err = str(e)")
    assert found.writes == ("r", "err")
    assert found.free_reads == ("risky",)


def test_subscript_and_attribute_stores_read_the_container() -> None:
    found = analyze_cell("table[0] = 1\nobj.attr = 2")
    assert found.free_reads == ("table", "obj")
    assert found.writes == ()


def test_loop_and_with_targets_are_bound() -> None:
    found = analyze_cell(
        "for i, v in enumerate(vals):\n    acc = v\nwith open(p) as fh:\n    t = 1"
    )
    assert found.writes == ("i", "v", "acc", "fh", "t")
    assert set(found.free_reads) == {"vals", "p"}


def test_private_names_and_annotations() -> None:
    found = analyze_cell("_scratch = 1\nsize: int = _scratch + base\nlater: int")
    assert found.writes == ("size",)
    assert found.free_reads == ("base",)


def test_match_captures_are_bound() -> None:
    found = analyze_cell(
        "match msg:\n    case {'k': kind, **rest}:\n        got = kind\n"
        "    case [first, *others]:\n        got = first\n    case _:\n        got = None"
    )
    assert found.free_reads == ("msg",)
    assert {"kind", "rest", "first", "others", "got"} <= set(found.writes)


def test_magic_lines_are_ignored() -> None:
    found = analyze_cell("%matplotlib inline\n!ls\nx = 1")
    assert found.writes == ("x",)


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(CellSyntaxError, match="line 2"):
        analyze_cell("x = 1\ny = = 2")
