"""``python -m spendtui``."""

from spendtui.cli import main

raise SystemExit(main())
