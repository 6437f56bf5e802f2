"""A scripted client of the application service that behaves like the orchestrator: every
command carries its own ids (command id, entity ids) and is retried, unchanged, after a
transient refusal (store throttled or unavailable, write contention), so a command whose first
answer was lost is sent again and must not take effect twice."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from application import CampaignService, CommandContext
from domain.campaign import Outcome
from domain.errors import StoreThrottled, StoreUnavailable, WriteContention
from domain.values import AuditReport, Brief, ContextArtifact, Iteration

TRANSIENT = (StoreThrottled, StoreUnavailable, WriteContention)
HASH = "c" * 64
ARTIFACT_TYPES = ("Copy", "ShortCopy", "VisualConcept")


def new_id() -> str:
    return str(uuid.uuid4())


def brief() -> Brief:
    return Brief(objective="Launch", target_audience="Runners", product_details="A trail shoe")


def audit(status: str) -> AuditReport:
    return AuditReport.model_validate(
        {
            "overallStatus": status,
            "categoryScores": {"brand": {"score": 80 if status != "Fail" else 20}},
            "flaggedItems": [],
            "recommendations": [{"category": "cta", "text": "shorter"}],
        }
    )


@dataclass
class Sent:
    """One command: its context, how often it was sent, and its answer (None: never answered)."""

    name: str
    ctx: CommandContext
    attempts: int = 0
    result: Outcome | None = None


@dataclass
class ScriptedOrchestrator:
    """Sends commands to ``ledger``; ``tries`` bounds how often one command is sent. A command
    must name every id it creates outside the callable, so that each try sends the same ids."""

    ledger: CampaignService
    tries: int = 12
    sent: list[Sent] = field(default_factory=list)

    def send(
        self,
        name: str,
        command: Callable[[CommandContext], Outcome],
        *,
        tries: int | None = None,
    ) -> Outcome | None:
        """The command's answer, or None when every try met a transient refusal."""
        record = Sent(name, CommandContext(actor="orchestrator", command_id=new_id()))
        self.sent.append(record)
        for attempt in range(tries or self.tries):
            record.attempts += 1
            try:
                record.result = command(record.ctx)
            except TRANSIENT:
                time.sleep(0.001 * (attempt + 1))
                continue
            return record.result
        return None

    @property
    def acknowledged(self) -> list[Sent]:
        return [record for record in self.sent if record.result is not None]

    @property
    def unanswered(self) -> list[Sent]:
        return [record for record in self.sent if record.result is None]


@dataclass(frozen=True)
class ScriptedCampaign:
    campaign_id: str
    artifacts: dict[str, str]


def run_campaign_script(client: ScriptedOrchestrator, drafts: int = 6) -> ScriptedCampaign:
    """One campaign's life: artifacts, drafts with audits and feedback, active versions,
    approvals, and a run with a step result."""
    ledger = client.ledger
    campaign = new_id()
    client.send(
        "create campaign",
        lambda ctx: ledger.create_campaign(ctx, name="Faults", brief=brief(), campaign_id=campaign),
    )
    artifacts = {kind: new_id() for kind in ARTIFACT_TYPES}
    for kind, artifact in artifacts.items():
        client.send(
            f"create {kind}",
            lambda ctx, kind=kind, artifact=artifact: ledger.create_artifact(
                ctx, campaign, artifact_type=kind, artifact_id=artifact
            ),
        )
    previous: dict[str, str] = {}
    for number in range(drafts):
        kind = ARTIFACT_TYPES[number % 3]
        version = new_id()
        client.send(
            "create version",
            lambda ctx, kind=kind, version=version, number=number: ledger.create_version(
                ctx, campaign, artifacts[kind], content=f"draft {number}", version_id=version
            ),
        )
        passed = number >= 3
        audit_id = new_id()
        client.send(
            "record audit",
            lambda ctx, version=version, passed=passed, audit_id=audit_id: ledger.record_audit(
                ctx,
                campaign,
                version,
                report=audit("Pass" if passed else "Fail"),
                audit_id=audit_id,
            ),
        )
        if kind in previous:
            iteration = Iteration(
                artifact_id=artifacts[kind],
                old_version_id=previous[kind],
                new_version_id=version,
                feedback_text="warmer",
            )
            iteration_id = new_id()
            client.send(
                "log iteration",
                lambda ctx, iteration=iteration, iteration_id=iteration_id: ledger.log_iteration(
                    ctx, campaign, iteration=iteration, iteration_id=iteration_id
                ),
            )
        previous[kind] = version
        if passed:
            client.send(
                "approve",
                lambda ctx, version=version: ledger.approve_version(ctx, campaign, version),
            )
            client.send(
                "activate",
                lambda ctx, kind=kind, version=version: ledger.set_active_version(
                    ctx, campaign, kind, version
                ),
            )
    run = new_id()
    client.send(
        "queue run",
        lambda ctx: ledger.queue_run(ctx, campaign, execution_mode="Sequential", run_id=run),
    )
    client.send("start run", lambda ctx: ledger.start_run(ctx, campaign, run))
    plan = ContextArtifact(id=new_id(), type="plan", uri="blob://plan.json", hash=HASH)
    client.send(
        "attach step",
        lambda ctx: ledger.attach_step_result(
            ctx, campaign, run, step_id="plan", input_hash=HASH, artifacts=[plan]
        ),
    )
    client.send("complete run", lambda ctx: ledger.complete_run(ctx, campaign, run))
    return ScriptedCampaign(campaign, artifacts)
