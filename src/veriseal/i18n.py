"""Human-facing text in English and Simplified Chinese (简体中文).

Messages are looked up by a stable key. The language comes from an explicit choice, else
``$VERISEAL_LANG``, else ``$LC_ALL`` / ``$LANG`` (``zh*`` -> Chinese), else English.
``bilingual`` renders both, for places where the reader's language is unknown (labels).
Error messages raised deep in the core are English details; the CLI and the verdict page
put the translated title of the error *code* in front of them.
"""

from __future__ import annotations

import os

EN, ZH = "en", "zh"

_TEXT: dict[str, tuple[str, str]] = {
    # verdict outcomes
    "outcome.genuine": ("Genuine", "正品"),
    "outcome.recalled": ("Genuine code, batch RECALLED", "正品码，但该批次已召回"),
    "outcome.expired": ("Genuine code, EXPIRED", "正品码，但已过期"),
    "outcome.key_revoked": ("Code under a REVOKED key", "该码所用密钥已吊销"),
    "outcome.pin_required": ("Enter the scratch-off PIN", "请刮开涂层输入验证码"),
    "outcome.pin_wrong": ("Wrong PIN", "验证码错误"),
    "outcome.invalid": ("NOT a genuine code", "非正品码（假码）"),
    "outcome.suspected_clone": ("Suspected copy of a genuine label", "疑似仿冒（正品码被复制）"),
    # verdict reasons (Verification.reason), rendered with the code's facts
    "reason.genuine": ("Genuine {brand} product.", "{brand}正品，请放心使用。"),
    "reason.batch_recalled": (
        "This batch was recalled: do not use the product.",
        "该批次已召回，请勿使用该商品。",
    ),
    "reason.batch_expired": ("Genuine, but expired on {expiry}.", "正品，但已于 {expiry} 过期。"),
    "reason.key_revoked": (
        "The brand revoked the key of this code: do not trust it.",
        "品牌已吊销该码的密钥，请勿信任。",
    ),
    "reason.pin_required": (
        "Scratch the label and enter its PIN to finish the check.",
        "请刮开标签涂层，输入验证码完成查询。",
    ),
    "reason.pin_wrong": ("The PIN does not match this code.", "验证码与该码不符。"),
    "reason.pin_throttled": (
        "Too many wrong PINs for this code: try again in 15 minutes.",
        "该码验证码错误次数过多，请 15 分钟后再试。",
    ),
    "reason.pin_invalid": ("The PIN has the wrong number of digits.", "验证码位数不正确。"),
    "reason.tag_mismatch": (
        "This code was not issued by the brand: it may be counterfeit.",
        "该码并非品牌发放，疑似假冒。",
    ),
    "reason.signature_missing": (
        "The code lacks its signature: it may be counterfeit.",
        "该码缺少签名，疑似假冒。",
    ),
    "reason.signature_malformed": ("The code's signature is damaged.", "该码签名已损坏。"),
    "reason.signature_mismatch": (
        "The signature does not match: it may be counterfeit.",
        "签名不符，疑似假冒。",
    ),
    "reason.unknown_batch": (
        "No batch of the brand matches this code.",
        "该码不属于品牌的任何批次。",
    ),
    "reason.index_out_of_range": ("No such unit in its batch.", "该批次中没有此编号。"),
    "reason.gtin_mismatch": (
        "The code belongs to another product.",
        "该码属于其他商品，疑似标签被挪用。",
    ),
    "reason.lot_mismatch": ("The code belongs to another lot.", "该码属于其他批号。"),
    "reason.expiry_mismatch": (
        "The printed expiry date is not the batch's.",
        "标签上的有效期与批次不符。",
    ),
    "reason.unknown_product": ("The product is not registered.", "该商品未登记。"),
    "reason.unknown_key": ("No key of the brand issued this code.", "该码不是由品牌密钥发放的。"),
    "reason.code_invalid": ("This is not a valid code.", "这不是有效的防伪码。"),
    "reason.digital_link_invalid": (
        "The link is not a valid product code.",
        "该链接不是有效的商品码。",
    ),
    "reason.gtin_invalid": ("The product number is not valid.", "商品条码无效。"),
    "reason.clone_count": (
        "This genuine code has been verified too often: its label has probably been copied.",
        "该正品码查询次数异常，标签很可能已被复制。",
    ),
    "reason.impossible_travel": (
        "This code was just scanned too far away to be the same label: it has been copied.",
        "该码短时间内在相距过远的两地被扫描，标签已被复制。",
    ),
    "reason.needs_online_check": ("This code can only be checked online.", "该码需要联网查询。"),
    "history.verified_before": (
        "This code was verified {n} time(s) before, first on {first} (Beijing time)."
        " If you did not scan it before, the label may be a copy.",
        "该码此前已被查询 {n} 次，首次查询时间 {first}（北京时间）。如非本人查询，请谨防假冒。",
    ),
    # error codes
    "error.code_invalid": ("Invalid code", "无效的码"),
    "error.gtin_invalid": ("Invalid GTIN", "商品条码（GTIN）无效"),
    "error.digital_link_invalid": ("Invalid GS1 Digital Link", "GS1 数字链接格式错误"),
    "error.csv_invalid": ("Invalid CSV file", "CSV 文件无效"),
    "error.pin_invalid": ("Invalid PIN", "验证码格式错误"),
    "error.scan_time_invalid": ("Invalid scan time", "扫码时间无效"),
    "error.text_invalid": ("Text with characters that cannot be stored", "文本含有无法保存的字符"),
    "error.invalid_input": ("Invalid input", "输入无效"),
    "error.not_found": ("Not found", "未找到"),
    "error.brand_not_found": ("Brand not found", "未找到品牌"),
    "error.product_not_found": ("Product not found", "未找到商品"),
    "error.category_not_found": ("Category not found", "未找到该类目"),
    "error.batch_not_found": ("Batch not found", "未找到批次"),
    "error.key_not_found": ("Key not found", "未找到密钥"),
    "error.conflict": ("Already exists", "已存在"),
    "error.integrity_violation": ("Data integrity violation", "数据完整性冲突"),
    "error.key_problem": ("Key problem", "密钥问题"),
    "error.key_revoked": ("Key revoked", "密钥已吊销"),
    "error.keyring_locked": ("Keyring locked", "密钥库未解锁"),
    "error.key_space_exhausted": ("Key space exhausted", "密钥编号已用尽"),
    "error.batch_recalled": ("Batch recalled", "批次已召回"),
    "error.rate_limited": ("Too many requests", "请求过于频繁"),
    "error.config_invalid": ("Configuration problem", "配置错误"),
    "error.storage_unavailable": ("Ledger unavailable", "数据库不可用"),
    "error.internal": ("Internal error", "内部错误"),
    "error.listen_failed": ("Cannot listen on that address", "无法监听该地址"),
    "error.error": ("Error", "错误"),
    # CLI words
    "cli.brand_created": ("Brand {slug} created with key {kid}", "已创建品牌 {slug}，密钥 {kid}"),
    "cli.ledger_ready": ("Ledger ready: {url}", "账本已就绪：{url}"),
    "cli.config_written": ("Config written: {path}", "已写入配置：{path}"),
    "cli.key_file": (
        "Key file {path} (keep it secret and backed up apart from the ledger)",
        "密钥文件 {path}（请妥善保密，并与账本分开备份）",
    ),
    "cli.product_added": ("Product {gtin} added", "已添加商品 {gtin}"),
    "cli.imported": ("Imported {n} products", "已导入 {n} 个商品"),
    "cli.import_refused": (
        "Nothing imported: {n} bad rows (use --skip-bad to import the good rows)",
        "未导入：{n} 行有误（使用 --skip-bad 跳过错误行）",
    ),
    "cli.skipped": ("Skipped {n} bad rows", "已跳过 {n} 行错误数据"),
    "cli.batch_created": (
        "Batch {id} created: {size} codes, lot {lot}, key {kid}",
        "已创建批次 {id}：{size} 个码，批号 {lot}，密钥 {kid}",
    ),
    "cli.codes_written": ("Wrote {n} codes to {path}", "已写入 {n} 个码到 {path}"),
    "cli.minting": ("Minting", "生成中"),
    "cli.importing": ("Importing", "导入中"),
    "cli.rotated": (
        "Key {kid} is now active; {old} retired (its codes still verify)",
        "密钥 {kid} 已启用；{old} 已停用（其码仍可验证）",
    ),
    "cli.revoked": (
        "Key {kid} revoked: its codes no longer verify",
        "密钥 {kid} 已吊销：其码不再通过验证",
    ),
    "cli.manifest_ok": ("Manifest signature valid (key {kid})", "批次清单签名有效（密钥 {kid}）"),
    "cli.status_set": ("Batch {id} is now {status}", "批次 {id} 状态：{status}"),
    "cli.migrated": ("Applied migrations: {names}", "已应用迁移：{names}"),
    "cli.up_to_date": ("Schema up to date", "数据库结构已是最新"),
    "cli.database_created": ("Database created: {url}", "已创建数据库：{url}"),
    "cli.root_org": (
        "Root organisation {id} (users add --org {id})",
        "根机构 {id}（users add --org {id}）",
    ),
}


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Add a module's or plugin's own ``key -> (English, 中文)`` messages.

    Each module keeps its catalogue next to its code and registers it at import time.
    A key may be registered once: a clash is a programming error (``ValueError``), so two
    modules cannot silently overwrite each other's text.
    """
    clash = sorted(set(messages) & set(_TEXT))
    if clash and any(_TEXT[k] != messages[k] for k in clash):
        raise ValueError(f"message keys registered twice: {clash}")
    _TEXT.update(messages)


def language(explicit: str | None = None) -> str:
    choice = (
        explicit
        or os.environ.get("VERISEAL_LANG")
        or os.environ.get("LC_ALL")
        or os.environ.get("LANG")
        or ""
    )
    return ZH if choice.lower().startswith("zh") else EN


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The text of ``key`` in ``lang`` (default: :func:`language`), formatted."""
    en, zh = _TEXT.get(key, (key, key))
    text = zh if language(lang) == ZH else en
    return text.format(**values)


def bilingual(key: str, **values: object) -> str:
    """``"English / 中文"`` for places whose reader's language is unknown."""
    en, zh = _TEXT.get(key, (key, key))
    return f"{en.format(**values)} / {zh.format(**values)}"


def keys() -> list[str]:
    return list(_TEXT)
