"""Benchmark of code shape (not a test): the figures issue 10 asks to keep small.

    python tests/bench_shape.py             # compiler/
    python tests/bench_shape.py --top 10 compiler/lower

Printed: how many functions and their median length in lines (``def`` to last line, methods
and nested functions included), the largest modules, every module over the limit, and the
``Any`` count (what ``grep -rhoE '\\bAny\\b' compiler | wc -l`` counts).
"""
from __future__ import annotations

import argparse
import ast
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANY = re.compile(r"\bAny\b")


def function_lengths(tree: ast.AST) -> list[int]:
    """The length in lines of every function and method in ``tree``."""
    return [node.end_lineno - node.lineno + 1 for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", nargs="?", default="compiler")
    ap.add_argument("--top", type=int, default=5, help="how many of the largest modules to list")
    ap.add_argument("--limit", type=int, default=300, help="module length in lines to flag")
    args = ap.parse_args()
    files = sorted((ROOT / args.folder).rglob("*.py"))
    texts = {f.relative_to(ROOT).as_posix(): f.read_text(encoding="utf-8") for f in files}
    lengths = [n for text in texts.values() for n in function_lengths(ast.parse(text))]
    modules = sorted(((len(t.splitlines()), name) for name, t in texts.items()), reverse=True)
    print(f"{len(texts)} modules, {len(lengths)} functions, median {statistics.median(lengths):g} lines, "
          f"mean {statistics.mean(lengths):.1f}, longest {max(lengths)}")
    print(f"largest {args.top} modules: " + ", ".join(f"{name} {n}" for n, name in modules[:args.top]))
    over = [f"{name} {n}" for n, name in modules if n > args.limit]
    print(f"modules over {args.limit} lines: " + (", ".join(over) if over else "none"))
    print(f"Any: {sum(len(ANY.findall(t)) for t in texts.values())}")


if __name__ == "__main__":
    main()
