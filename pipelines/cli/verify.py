"""`xero-warehouse verify`: the tie-out per organisation; exit 1 on any broken line."""

from __future__ import annotations

from pipelines.cli.models import parse_as_of
from pipelines.destination import parse_destination
from pipelines.errors import ConfigurationError
from pipelines.verify import STATUSES, TieOutLine, Verification, verify

SHOWN_PER_STATUS = 20  # lines listed per organisation and status; the rest are counted


def verify_command(args) -> int:
    as_of = parse_as_of(args.as_of) if getattr(args, "as_of", None) else None
    target = parse_destination(args.destination)
    verification = verify(target, as_of, getattr(args, "dataset", None) or "xero")
    if not verification.lines:
        raise ConfigurationError(
            "nothing to verify: reporting.tie_out is empty; sync the report snapshots "
            "(--resource 'report_*') and rebuild the models"
        )
    print_verification(verification, detail=True)
    return 1 if verification.broken else 0


def print_verification(verification: Verification, detail: bool) -> None:
    """Counts per organisation and check; with `detail`, the explained and broken lines."""
    counts = verification.counts()
    tenants = list(dict.fromkeys(tenant for tenant, _ in counts))
    for tenant in tenants:
        print(f"\n{verification.name(tenant)}")
        print(f"  {'check':<20}" + "".join(f"{status:>11}" for status in STATUSES))
        for (line_tenant, check), by_status in counts.items():
            if line_tenant == tenant:
                cells = "".join(f"{by_status.get(status, 0):>11,}" for status in STATUSES)
                print(f"  {check:<20}{cells}")
        if detail:
            for status in ("explained", "broken"):
                _print_lines(status, [x for x in verification.lines if x.tenant_id == tenant])
    totals = {status: sum(c.get(status, 0) for c in counts.values()) for status in STATUSES}
    verdict = "BROKEN" if totals["broken"] else "ties to Xero"
    print(
        f"\ntie-out: {totals['tied']:,} tied, {totals['explained']:,} explained, "
        f"{totals['broken']:,} broken: {verdict}"
    )


def _print_lines(status: str, lines: list[TieOutLine]) -> None:
    chosen = [line for line in lines if line.status == status]
    if not chosen:
        return
    print(f"  {status}:")
    for line in chosen[:SHOWN_PER_STATUS]:
        print("    " + describe(line))
    if len(chosen) > SHOWN_PER_STATUS:
        print(
            f"    ... and {len(chosen) - SHOWN_PER_STATUS} more: "
            f"select * from reporting.tie_out where status = '{status}'"
        )


def describe(line: TieOutLine) -> str:
    period = str(line.period_end)
    if line.period_start:
        period = f"{line.period_start}..{period}"
    subject = line.subject_name or line.subject_id or "total"
    text = (
        f"{line.check_name} {period} {subject} {line.measure}: "
        f"warehouse {line.warehouse_value:,.2f}, Xero {line.xero_value:,.2f}, "
        f"difference {line.difference:+,.2f}"
    )
    return f"{text} ({line.explanation})" if line.explanation else text
