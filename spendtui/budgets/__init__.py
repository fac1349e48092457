"""Budgets around the pure core: config validation, the budget board the dashboard and
``spendtui check`` draw from, webhook and email alerts and their state file, and check output."""
