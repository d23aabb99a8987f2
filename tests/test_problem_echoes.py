"""sort_problems drops a schema echo of a number the YAML reader reported out of range (the
reader keeps its text, the schema then sees a string): one mistake, one problem."""
from __future__ import annotations

from compiler.problems import Problem, sort_problems

RANGE = Problem("w/a.yaml", 7, 17, "yaml.int-range", "integer 999... is out of range")
ECHO = Problem("w/a.yaml", 7, 17, "schema.type", 'spec.backoffLimit: expected an integer, got string "999..."')


def test_the_echo_at_the_same_place_is_dropped() -> None:
    assert sort_problems([ECHO, RANGE]) == [RANGE]


def test_schema_problems_elsewhere_or_of_another_kind_stay() -> None:
    elsewhere = Problem("w/a.yaml", 8, 17, "schema.type", 'spec.x: expected an integer, got string "a"')
    other_file = Problem("w/b.yaml", 7, 17, "schema.type", ECHO.message)
    not_string = Problem("w/a.yaml", 7, 17, "schema.type", "spec.backoffLimit: expected an integer, got object")
    other_code = Problem("w/a.yaml", 7, 17, "schema.minimum", "spec.backoffLimit: must be >= 0")
    kept = [elsewhere, other_file, not_string, other_code]
    assert set(sort_problems([RANGE, *kept])) == {RANGE, *kept}


def test_without_a_range_problem_the_schema_problem_stays() -> None:
    assert sort_problems([ECHO]) == [ECHO]


def test_another_overlays_range_problem_does_not_hide_this_builds_echo() -> None:
    other = Problem(RANGE.file, RANGE.line, RANGE.col, RANGE.code, RANGE.message, overlay="prod")
    assert sort_problems([ECHO, other]) == sorted([ECHO, other], key=lambda p: (p.code, p.overlay))
