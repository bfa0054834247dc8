"""Agency placement, recall and refund work-list files (DOMAIN.md §7–8, OUTPUTS.md placements/,
refunds/). Pure modules (`extract`, `ledger`, `run`) plus thin Dagster assets (`assets`)."""
