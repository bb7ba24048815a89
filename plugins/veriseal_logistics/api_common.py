"""Shared pieces of the logistics API: the caller, brand and services of a call, the
typed inputs the areas share. Request models are named ``Logistics...`` so that they
stay distinct from other plugins' in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

from veriseal import Brand, Call, Model, Page, Principal, Short
from veriseal.extend import plugin_context
from veriseal_logistics.service import Logistics, of

NAME = "logistics"
BASE = "/api/v1/logistics"
TAG = "logistics"
Schema = dict[str, Any]
#: a carrier code or a tracking number
Ref = Annotated[str, Meta(min_length=1, max_length=64, pattern="^[^\\x00]*$")]
#: a place as resolve_place reads it (code, city name, "lat,lon")
PlaceText = Annotated[str, Meta(min_length=1, max_length=200, pattern="^[^\\x00]*$")]


class LogisticsBrandQuery(Model):
    brand: Short | None = None


class LogisticsBrandPage(Page, kw_only=True):
    brand: Short | None = None


class LogisticsBrandPath(Model):
    brand: Short


async def context(call: Call, slug: str | None) -> tuple[Principal, Brand, Logistics]:
    """The caller, the brand (the caller's own; a platform admin names it with
    ``?brand=``) and the plugin's services."""
    who = call.who
    ctx = plugin_context(call, NAME)
    return who, await ctx.brand_for(who, slug), of(ctx)


def services(call: Call) -> Logistics:
    return of(plugin_context(call, NAME))
