"""``python -m spendtui``."""

from spendtui.cli import main

if __name__ == "__main__":  # guarded: helper processes re-import this module
    raise SystemExit(main())
