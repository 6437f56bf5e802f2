"""The command routes (API.md, "Commands"): the orchestrator's writes, one router per area.

Each route is a module-level function: it validates its body against the domain's value
objects, gets the command's ``Context`` (from the headers) and the ``Commands`` of the app as
FastAPI dependencies, and calls one method of ``CampaignCommands``. The routes are plain
functions, so FastAPI runs the (blocking) service in its threadpool, never on the event loop.
"""

from fastapi import APIRouter

from api.commands import artifacts, campaigns, runs

ROUTERS: tuple[APIRouter, ...] = (campaigns.router, artifacts.router, runs.router)
"""The command routers, in the order the app includes them."""
