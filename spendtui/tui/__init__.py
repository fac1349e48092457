"""The Textual dashboard. The only part of spendtui that imports Textual."""
