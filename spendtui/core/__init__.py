"""The headless core: cube, queries, budgets math. No Textual, no I/O."""
