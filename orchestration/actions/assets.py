"""Dagster wiring of the actions stage (outreach): a blocking Great Expectations gate on
today's audience, then one asset per channel. The work is in
`orchestration.actions.outreach.dispatch`; these functions only wire it."""

from datetime import date

import dagster as dg

from orchestration.actions.outreach.dispatch import dispatch
from orchestration.core.asset_settings import daily_asset, daily_assets
from orchestration.core.clock import run_clock
from orchestration.core.partitions import send_mode
from orchestration.core.resources import CollectionsResource

AUDIENCE = dg.AssetKey(["marts", "fct_touch_audience"])
TOUCHES = dg.AssetKey(["marts", "fct_touches"])
VISITS = dg.AssetKey(["marts", "fct_touch_visits"])  # the statement's visit lines
CHANNEL_ASSETS = {  # asset name -> (channel, description)
    "sms_batch": ("sms", "Day-3 text reminders: the SMS gateway batch CSV (send window in local time)."),
    "email_batch": ("email", "Day-18 emails through SendGrid (outbox files without SENDGRID_API_KEY)."),
    "statements": ("mail", "Statements 1 and 2: one-page PDFs and the print manifest."),
    "call_list": ("phone", "Day-25 live calls: the staff call list CSV with openers."),
}


@dg.asset_check(
    asset=AUDIENCE,
    name="ge_touch_audience",
    blocking=True,
    description="Great Expectations suite touch_audience: nothing leaves when it fails.",
)
def touch_audience_gate(context: dg.AssetCheckExecutionContext, collections: CollectionsResource):
    from orchestration.quality.gates import validate_table

    result = validate_table(collections.paths.warehouse, "marts.fct_touch_audience", "touch_audience")
    return dg.AssetCheckResult(
        passed=result.success and not result.warnings,
        severity=dg.AssetCheckSeverity.ERROR if not result.success else dg.AssetCheckSeverity.WARN,
        metadata=result.as_metadata(),
    )


def _channel_asset(name: str, channel: str, description: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=name,
        key_prefix="outreach",
        group_name="outreach",
        deps=[AUDIENCE, TOUCHES, VISITS],
        description=description,
        owners=["team:billing-office"],
        kinds={"python"},
        **daily_asset(),
    )
    def _asset(context: dg.AssetExecutionContext, collections: CollectionsResource) -> dg.MaterializeResult:
        paths = collections.paths
        policy = collections.policy()
        report = dispatch(
            channel,
            warehouse=paths.warehouse,
            outbox=paths.outbox,
            policy=policy,
            as_of=date.fromisoformat(context.partition_key),
            send=send_mode(context),
            now=run_clock(context, policy.clinic_tz).now(),
        )
        context.log.info(f"{channel}: {report.as_metadata()}")
        return dg.MaterializeResult(metadata=report.as_metadata())

    return _asset


with daily_assets():
    outreach_assets = [_channel_asset(n, c, d) for n, (c, d) in CHANNEL_ASSETS.items()]
