"""`python -m chancery` runs the CLI."""

from chancery.cli import main

main()
