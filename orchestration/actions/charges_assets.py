"""Dagster wiring of the card-on-file charge batch (issue 9, plan servicing): one asset that
hands `marts.fct_plan_charges` to the payment processor through the send-ledger protocol
(`dispatch('card')`, `orchestration.actions.outreach.charges`). It waits for the dbt tests of
the charges mart and, like every outreach asset, for the blocking touch-audience gate (a day
whose audience fails its suite sends nothing and charges nothing); a backfill records and never
charges."""

from datetime import date

import dagster as dg

from orchestration.actions.assets import AUDIENCE, TOUCHES
from orchestration.actions.outreach.dispatch import dispatch
from orchestration.core.asset_settings import daily_asset, daily_assets
from orchestration.core.clock import run_clock
from orchestration.core.partitions import send_mode
from orchestration.core.resources import CollectionsResource

PLAN_CHARGES = dg.AssetKey(["marts", "fct_plan_charges"])


with daily_assets():

    @dg.asset(
        name="card_charges",
        key_prefix="outreach",
        group_name="outreach",
        deps=[PLAN_CHARGES, TOUCHES, AUDIENCE],
        description="Plan installments charged to the card on file: the processor batch CSV "
        "(idempotency key per installment, never card data).",
        owners=["team:billing-office"],
        kinds={"python"},
        **daily_asset(),
    )
    def card_charges(context: dg.AssetExecutionContext, collections: CollectionsResource) -> dg.MaterializeResult:
        paths = collections.paths
        policy = collections.policy()
        report = dispatch(
            "card",
            warehouse=paths.warehouse,
            outbox=paths.outbox,
            policy=policy,
            as_of=date.fromisoformat(context.partition_key),
            send=send_mode(context),
            now=run_clock(context, policy.clinic_tz).now(),
        )
        context.log.info(f"card: {report.as_metadata()}")
        return dg.MaterializeResult(metadata=report.as_metadata())
