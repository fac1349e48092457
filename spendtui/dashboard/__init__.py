"""What the dashboard shows, computed without Textual: view state and snapshots.

The TUI asks for a ``Snapshot`` of the current ``ViewState`` from a worker thread and only
draws it; everything here is plain Python over the engine, so it is tested headless.
"""
