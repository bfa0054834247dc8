"""Dagster wiring of the placement stage: the agency placement batch, the recall file, the
refund work list and the settlement offers of one as-of date. The work is in `orchestration.actions.placement.run`;
these functions only wire it. Backfill runs write nothing (send_mode)."""

from datetime import date

import dagster as dg

from orchestration.actions.placement import run
from orchestration.core.asset_settings import daily_asset, daily_assets
from orchestration.core.partitions import send_mode
from orchestration.core.resources import CollectionsResource

ELIGIBILITY = dg.AssetKey(["marts", "fct_placement_eligibility"])
PLACEMENTS = dg.AssetKey(["marts", "fct_placements"])
REFUND_ITEMS = dg.AssetKey(["marts", "fct_refund_items"])
SETTLEMENT_OFFERS = dg.AssetKey(["marts", "fct_settlement_offers"])
BATCH = dg.AssetKey(["placement", "batch"])

_COMMON = dict(owners=["team:billing-office"], kinds={"python"}, **daily_asset())


def _as_of(context: dg.AssetExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)


def _policy_version(collections: CollectionsResource) -> "str | None":
    try:
        return collections.policy().version
    except Exception:  # the mart rows carry it too; the manifest falls back to theirs
        return None


with daily_assets():

    @dg.asset(
        key=BATCH,
        group_name="placement",
        deps=[ELIGIBILITY, PLACEMENTS],
        description="The agency placement batch: placement_<batch>.csv and its manifest, "
        "gated by the placement_extract GE suite (nothing leaves on failure).",
        **_COMMON,
    )
    def placement_batch(context: dg.AssetExecutionContext, collections: CollectionsResource) -> dg.MaterializeResult:
        paths = collections.paths
        report = run.place(
            warehouse=paths.warehouse,
            outbox=paths.outbox,
            as_of=_as_of(context),
            policy_version=_policy_version(collections),
            send=send_mode(context),
        )
        context.log.info(f"placement: {report.as_metadata()}")
        return dg.MaterializeResult(metadata=report.as_metadata())

    @dg.asset(
        key=dg.AssetKey(["placement", "recalls"]),
        group_name="placement",
        deps=[PLACEMENTS, BATCH],
        description="The recall file: placed accounts that paid in full, disputed, got "
        "hardship, died or went bankrupt; each recalled once.",
        **_COMMON,
    )
    def placement_recalls(context: dg.AssetExecutionContext, collections: CollectionsResource) -> dg.MaterializeResult:
        paths = collections.paths
        report = run.recall(
            warehouse=paths.warehouse, outbox=paths.outbox, as_of=_as_of(context), send=send_mode(context)
        )
        context.log.info(f"recalls: {report.as_metadata()}")
        return dg.MaterializeResult(metadata=report.as_metadata())

    @dg.asset(
        key=dg.AssetKey(["refunds", "work_list"]),
        group_name="placement",
        deps=[REFUND_ITEMS],
        description="The refund work list CSV of the credits to resolve (docs/rules.md §7).",
        **_COMMON,
    )
    def refunds_work_list(context: dg.AssetExecutionContext, collections: CollectionsResource) -> dg.MaterializeResult:
        paths = collections.paths
        report = run.refund_work_list(
            warehouse=paths.warehouse, outbox=paths.outbox, as_of=_as_of(context), send=send_mode(context)
        )
        context.log.info(f"refunds: {report.as_metadata()}")
        return dg.MaterializeResult(metadata=report.as_metadata())

    @dg.asset(
        key=dg.AssetKey(["settlements", "offers"]),
        group_name="placement",
        deps=[SETTLEMENT_OFFERS],
        description="The settlement offers CSV: proposed offers and the approval level the "
        "policy requires (docs/rules.md §6).",
        **_COMMON,
    )
    def settlement_offers_file(
        context: dg.AssetExecutionContext, collections: CollectionsResource
    ) -> dg.MaterializeResult:
        paths = collections.paths
        report = run.settlement_offers(
            warehouse=paths.warehouse, outbox=paths.outbox, as_of=_as_of(context), send=send_mode(context)
        )
        context.log.info(f"settlements: {report.as_metadata()}")
        return dg.MaterializeResult(metadata=report.as_metadata())


placement_assets = [placement_batch, placement_recalls, refunds_work_list, settlement_offers_file]
