"""Dashboard screens and dialogs."""
