"""The write side's use cases over the eventsourcing library: what the composition root wires."""

from application.artifact_types import load_artifact_types, parse_artifact_types
from application.campaign_application import CampaignApplication
from application.command_execution import CommandContext
from application.service import CampaignService
from application.stream_head import StreamHeadLike, StreamHeadReader, StreamStateReader

__all__ = [
    "CampaignApplication",
    "CampaignService",
    "CommandContext",
    "StreamHeadLike",
    "StreamHeadReader",
    "StreamStateReader",
    "load_artifact_types",
    "parse_artifact_types",
]
