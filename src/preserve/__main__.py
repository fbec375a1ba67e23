"""``python -m preserve`` runs the command line."""

from .cli.main import main

main()
