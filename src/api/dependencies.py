"""FastAPI dependencies that hand a route what ``create_app`` was given: the services (kept on the
app, ``attach_services``) and their commands, reads, settings and notification hub. Routes name
them as parameters (``commands: Commands``), so each route is a plain module-level function.
The dependencies only look things up, so they are ``async``: FastAPI calls them on the event
loop instead of sending each to its threadpool."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from api.ports import ApiServices, CampaignCommands, CampaignReads, HttpTelemetry
from bootstrap.settings import Settings
from projections.notification_hub import NotificationHub


def attach_services(app: FastAPI, services: ApiServices) -> None:
    """Make ``services`` the ones the app's routes get."""
    app.state.services = services


def notification_hub_of(services: object) -> NotificationHub | None:
    """The hub of ``services``, when they have one (fakes and partial services may not)."""
    hub = getattr(services, "notification_hub", None)
    return hub if isinstance(hub, NotificationHub) else None


def telemetry_of(services: object) -> HttpTelemetry | None:
    """The telemetry of ``services``, when they have one (fakes and partial services may not)."""
    telemetry = getattr(services, "telemetry", None)
    return telemetry if isinstance(telemetry, HttpTelemetry) else None


def services_of(request: Request) -> ApiServices:
    """The services of the app serving ``request``."""
    services: ApiServices = request.app.state.services
    return services


async def campaign_commands(request: Request) -> CampaignCommands:
    return services_of(request).commands


async def campaign_reads(request: Request) -> CampaignReads:
    return services_of(request).reads


async def app_settings(request: Request) -> Settings:
    return services_of(request).settings


async def notification_hub(request: Request) -> NotificationHub:
    """The live-update hub; the stream route is only served when there is one."""
    hub = notification_hub_of(services_of(request))
    if hub is None:
        raise RuntimeError("live updates are off: the stream route should not be served")
    return hub


Commands = Annotated[CampaignCommands, Depends(campaign_commands)]
Reads = Annotated[CampaignReads, Depends(campaign_reads)]
AppSettings = Annotated[Settings, Depends(app_settings)]
Hub = Annotated[NotificationHub, Depends(notification_hub)]
