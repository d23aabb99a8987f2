"""`python -m compiler.cli`: the wlc command."""
from compiler.cli import main

main()
