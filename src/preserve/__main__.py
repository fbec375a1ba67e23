"""``python -m preserve`` runs the command line."""

if __name__ == "__main__":
    # Guarded, imports included: a verify worker started by spawn imports this module as
    # __mp_main__ and needs none of the command line.
    from .cli.main import main

    main()
