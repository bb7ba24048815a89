"""The brand a brand-console page works on: the reader's own, or for the platform admin
(who belongs to no brand) the one named by ``?brand=<slug>``, chosen on a list first.

Not a views module (it declares no views): the brand pages' shared helpers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlencode

from veriseal.accounts.errors import Forbidden
from veriseal.accounts.models import Principal, Role
from veriseal.console.call import ConsoleCall
from veriseal.extend.console import Page
from veriseal.models import Brand

Resolve = Callable[[Principal, str | None], Awaitable[Brand]]


def reader(call: ConsoleCall) -> Principal:
    """The signed-in reader (every brand page needs one)."""
    assert call.principal is not None, "a brand page ran without a signed-in reader"
    return call.principal


async def pick_brand(
    call: ConsoleCall, resolve: Resolve, extra: Sequence[tuple[str, str]] = ()
) -> Brand | Page:
    """The brand of the page (checked by the service's ``resolve``), or the page that
    lets the platform admin choose one (``extra``: more choices, (url, label))."""
    who = reader(call)
    slug = call.query.get("brand") or None
    if slug is None and who.brand_id is None:
        if who.role is not Role.PLATFORM_ADMIN:
            raise Forbidden("this page is about a brand, and you belong to none")
        # the shell checked the page's action for the role; the service checks the brand
        brands = await call.engine.brands.list()
        here = call.request.path
        return Page("brand_choice.html", {
            "brands": [(b, f"{here}?{urlencode({'brand': b.slug})}") for b in brands],
            "extra": list(extra),
        })  # fmt: skip
    return await resolve(who, slug)


def brand_params(call: ConsoleCall, brand: Brand) -> dict[str, str]:
    """The query the page's own links carry: the brand, for a reader of no brand."""
    return {} if reader(call).brand_id is not None else {"brand": brand.slug}


def link(path: str, params: dict[str, str], **more: object) -> str:
    """``path`` with ``params`` and ``more`` (None values left out) as its query."""
    query = {**params, **{k: str(v) for k, v in more.items() if v is not None}}
    return f"{path}?{urlencode(query)}" if query else path
