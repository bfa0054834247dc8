"""Agency placement, recall and refund work-list files (docs/rules.md §7–8; docs/outputs.md placements/,
refunds/). Pure modules (`extract`, `ledger`, `run`) plus thin Dagster assets (`assets`)."""
