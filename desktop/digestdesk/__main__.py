"""Entry point for ``python -m digestdesk``."""

from digestdesk.app import main

if __name__ == "__main__":
    raise SystemExit(main())
