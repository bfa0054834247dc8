"""The daily partition: one partition per as-of date."""

import dagster as dg

# Partitions start early enough for a clinic's backfill of its history; the key is the
# as-of date (YYYY-MM-DD). end_offset=1 lets today's date run the same day.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=1)
