"""The mobile-first HTML verdict page (Simplified Chinese or English).

Plain server-rendered HTML with inline CSS: it must load fast on a phone on a weak
network, and it works without JavaScript. The PIN form POSTs the PIN to the link being
checked, so that no URL the page makes (form action, language switch) carries a PIN.
Verdicts that warn (a fake, a copied label, a revoked key, an unactivated or voided
code) say what to do next, with the brand's contact when the installation has one.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from veriseal.i18n import t
from veriseal.scanning.service import ScanResult
from veriseal.scanning.verification import Outcome, Verification

_CHINA = dt.timezone(dt.timedelta(hours=8))  # times on the page are Beijing time

_COLORS = {
    Outcome.GENUINE: "#1a7f37",
    Outcome.PIN_REQUIRED: "#9a6700",
    Outcome.PIN_WRONG: "#cf222e",
    Outcome.RECALLED: "#cf222e",
    Outcome.EXPIRED: "#9a6700",
    Outcome.KEY_REVOKED: "#cf222e",
    Outcome.INVALID: "#cf222e",
    Outcome.SUSPECTED_CLONE: "#cf222e",
    Outcome.NOT_ACTIVATED: "#cf222e",  # a stolen roll: warn as loudly as a fake
    Outcome.DECOMMISSIONED: "#cf222e",
    Outcome.NEEDS_ONLINE_CHECK: "#9a6700",  # offline checks only: no verdict either way
}

_LABELS = {
    "product": ("Product", "商品"),
    "brand": ("Brand", "品牌"),
    "lot": ("Batch / lot", "批号"),
    "production_date": ("Produced", "生产日期"),
    "expiry_date": ("Best before", "有效期至"),
    "serial": ("Serial", "序列号"),
    "pin": ("PIN", "验证码"),
    "check": ("Check", "验证"),
    "title": ("Product verification", "防伪查询"),
    "switch": ("中文", "English"),
    "next": ("What to do now", "接下来怎么办"),
}

#: Verdicts that mean "do not trust this item": each gets the next-steps card.
_WARNINGS = frozenset(
    {
        Outcome.INVALID,
        Outcome.SUSPECTED_CLONE,
        Outcome.KEY_REVOKED,
        Outcome.NOT_ACTIVATED,
        Outcome.DECOMMISSIONED,
    }
)

_STEPS = {
    "en": (
        "Do not buy or use this product.",
        "Keep the receipt, the packaging and where you bought it.",
        "Report it to the brand: {contact}.",
        "Report it to the brand, or to the market regulator (hotline 12315).",
    ),
    "zh": (
        "请勿购买或使用该商品。",
        "请保留购物凭证、包装，并记下购买地点。",
        "请向品牌方举报：{contact}。",
        "请向品牌方举报，或拨打市场监管投诉热线 12315。",
    ),
}
_CONTACT_SCHEMES = ("mailto:", "tel:", "https://", "http://")


_CSS = """
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
  margin:0;
  background:#f6f8fa;
  color:#1f2328}
main{max-width:28rem;margin:0 auto;padding:1rem}
.verdict{background:var(--verdict);
  color:#fff;
  border-radius:12px;
  padding:1.25rem;
  font-size:1.4rem;
  font-weight:600}
.verdict p{font-size:1rem;font-weight:400;margin:.5rem 0 0}
dl{background:#fff;
  border-radius:12px;
  padding:1rem;
  display:grid;
  grid-template-columns:auto 1fr;
  gap:.4rem 1rem}
.history{background:#fff8c5;border:1px solid #d4a72c;border-radius:12px;padding:1rem;
  margin-top:1rem}
dt{color:#59636e} dd{margin:0;word-break:break-all}
form{background:#fff;
  border-radius:12px;
  padding:1rem;
  margin-top:1rem} input{font-size:1.2rem;
  width:9rem}
button{font-size:1.1rem} nav{text-align:right;margin:.5rem 0}
.next{background:#fff;border:2px solid #cf222e;border-radius:12px;padding:1rem;margin-top:1rem}
.next h2{font-size:1.1rem;margin:0 0 .5rem} .next ol{margin:0;padding-left:1.4rem}
"""


def describe(result: Verification, lang: str) -> str:
    """The verdict's detail sentence in ``lang``; falls back to the English message for
    a reason without a translation."""
    return result.message_in(lang)


def _history(scan: ScanResult, lang: str) -> str:
    """The classic warning: a genuine label verified before may have been copied."""
    before = scan.previous
    if scan.verification.outcome is not Outcome.GENUINE or before.count == 0 or not before.first_at:
        return ""
    when = before.first_at.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M")
    text = t("history.verified_before", lang, n=before.count, first=when)
    attrs = f'class="history" id="history" data-count="{before.count}"'
    return f"<section {attrs}>{escape(text)}</section>"


def _label(key: str, lang: str) -> str:
    en, zh = _LABELS[key]
    return zh if lang == "zh" else en


def safe_contact(contact: str | None) -> str | None:
    """``contact`` if it is a link a page may show (mailto:, tel:, http(s)://), else
    None: a config value must not become a ``javascript:`` link."""
    if contact and contact.strip().lower().startswith(_CONTACT_SCHEMES):
        return contact.strip()
    return None


def _contact_text(link: str) -> str:
    for scheme in ("mailto:", "tel:"):
        if link.lower().startswith(scheme):
            return link[len(scheme) :].split("?", maxsplit=1)[0]
    return link


def next_steps(outcome: Outcome, lang: str, contact: str | None) -> str:
    """The "what to do now" card of a warning verdict ("" for the others): do not buy
    or use it, keep the receipt, report it (to ``contact`` when given)."""
    if outcome not in _WARNINGS:
        return ""
    dont, keep, report, report_default = _STEPS["zh" if lang == "zh" else "en"]
    link = safe_contact(contact)
    if link:
        anchor = f'<a href="{escape(link)}">{escape(_contact_text(link))}</a>'
        head, _, tail = report.partition("{contact}")
        tell = escape(head) + anchor + escape(tail)
    else:
        tell = escape(report_default)
    items = "".join(f"<li>{x}</li>" for x in (escape(dont), escape(keep), tell))
    return (
        f'<section class="next" id="next-steps"><h2>{escape(_label("next", lang))}</h2>'
        f"<ol>{items}</ol></section>"
    )


def verdict_page(
    scan: ScanResult,
    lang: str,
    action_url: str,
    switch_url: str,
    contact: str | None = None,
) -> str:
    """Render a scan's verdict. ``action_url`` is the link as requested, without any
    PIN: the PIN form posts there (a signed code's ``s`` and the expiry must survive);
    ``switch_url`` is the same page in the other language; ``contact`` (a mailto:,
    tel: or https: link) is where the next-steps card sends reports."""
    result = scan.verification
    color = _COLORS[result.outcome]
    headline = escape(t(f"outcome.{result.outcome}", lang))
    detail = escape(describe(result, lang))
    rows = []
    info = result.info
    if info is not None:
        for key, value in (
            ("product", info.product),
            ("brand", info.brand_name),
            ("lot", info.lot),
            ("production_date", info.production_date),
            ("expiry_date", info.expiry_date),
            ("serial", info.serial),
        ):
            if value:
                rows.append(f"<dt>{escape(_label(key, lang))}</dt><dd>{escape(str(value))}</dd>")
    form = ""
    if result.outcome in (Outcome.PIN_REQUIRED, Outcome.PIN_WRONG):
        form = (
            f'<form method="post" action="{escape(action_url)}">'
            f'<label>{escape(_label("pin", lang))} <input name="pin" inputmode="numeric" '
            'autocomplete="one-time-code" pattern="[0-9]{6,8}" required></label> '
            f'<button type="submit">{escape(_label("check", lang))}</button></form>'
        )
    facts = f"<dl>{''.join(rows)}</dl>" if rows else ""
    return f"""<!doctype html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(_label("title", lang))}</title>
<style>
{_CSS}</style></head><body><main>
<nav><a href="{escape(switch_url)}">{escape(_label("switch", lang))}</a></nav>
<section class="verdict" id="verdict" style="--verdict:{color}"
 data-outcome="{result.outcome}" data-reason="{escape(result.reason)}">
{headline}<p>{detail}</p></section>
{_history(scan, lang)}
{form}
{next_steps(result.outcome, lang, contact)}
{facts}
</main></body></html>"""


_LOCATE_TEXT = {
    "en": (
        "Checking your product",
        "To help the brand find counterfeit and diverted goods, your browser may ask to share"
        " your location. The check works without it.",
        "Check without location",
    ),
    "zh": (
        "正在查询",
        "为帮助品牌识别假货和窜货，浏览器可能会请求获取您的位置；不共享位置也可以完成查询。",
        "不共享位置，直接查询",
    ),
}


def locate_page(lang: str, skip_url: str) -> str:
    """Asks the browser for the location (its own prompt is the consent), then reloads
    the link with ``lat``/``lon``/``acc``, or with ``noloc=1`` when refused, unavailable
    or without JavaScript. Nothing is verified or recorded until that second request."""
    title, why, skip = _LOCATE_TEXT["zh" if lang == "zh" else "en"]
    skip_attr = escape(skip_url)
    return f"""<!doctype html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<noscript><meta http-equiv="refresh" content="0;url={skip_attr}"></noscript>
<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>
<section class="verdict" id="locating" style="--verdict:#0969da">{escape(title)}
<p>{escape(why)}</p></section>
<p><a id="skip" href="{skip_attr}">{escape(skip)}</a></p>
<script>
(function () {{
  function go(extra) {{
    var u = new URL(window.location.href);
    Object.keys(extra).forEach(function (k) {{ u.searchParams.set(k, extra[k]); }});
    window.location.replace(u.toString());
  }}
  if (!navigator.geolocation) {{ go({{noloc: "1"}}); return; }}
  navigator.geolocation.getCurrentPosition(function (p) {{
    go({{lat: p.coords.latitude.toFixed(6), lon: p.coords.longitude.toFixed(6),
        acc: String(Math.round(p.coords.accuracy)),
        age: String(Math.max(0, Math.round((Date.now() - p.timestamp) / 1000)))}});
  }}, function () {{ go({{noloc: "1"}}); }}, {{timeout: 8000, maximumAge: 600000}});
}})();
</script></main></body></html>"""
