"""The sample clinic generator: a deterministic synthetic clinic written as a landing zone.

`generate()` (generator.py) tells the clinic's story step by step; `python -m
orchestration.sample` (cli.py) runs it. The modules, by concept:

- clinic.py (the practice, payers, providers, places, names), vocabulary.py (the landing
  contract's enum values as codes), randomness.py, dates.py, text.py, table.py, ids.py,
  ledger.py: the building blocks
- encounters.py, guarantors.py, guarantor_rows.py: visits and the people who pay for them
- adjudication.py, claims.py, era_files.py (with orchestration/raw/x12/writer.py): what the insurers decide and
  the 835 files
- patient_side.py with payment_behaviour.py, transactions.py, accounts.py, plans.py,
  disputes.py, hardship.py, promises.py, agency.py, contact_log.py: what patients do after
  the visit
- sendgrid_events.py: the e-mail events
- landing_files.py: the files, their layout and arrival times; showcase.py: hand-placed
  guarantors for the servicing moves; defect_catalogue.py, defect_rows.py,
  defect_remittances.py: the bad inputs
"""

from .generator import DEFECT_FILES, DEFECTS, generate

__all__ = ["DEFECTS", "DEFECT_FILES", "generate"]
