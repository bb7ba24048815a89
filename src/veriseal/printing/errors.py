"""Printing's coded errors and their bilingual titles."""

from __future__ import annotations

from veriseal.errors import Conflict, InvalidInput, NotFound
from veriseal.i18n import register


class PrintTemplateNotFound(NotFound):
    code = "print_template_not_found"


class PrintTemplateInvalid(InvalidInput):
    """A template file that does not parse or misses a required setting."""

    code = "print_template_invalid"


class PrintTemplateUnsuitable(InvalidInput):
    """The template cannot carry this batch's codes (e.g. GS1 element strings for signed
    codes, whose signature only a URI carries)."""

    code = "print_template_unsuitable"


class PrintOverlap(Conflict):
    """The range overlaps labels printed before, and the job does not say it is a reprint."""

    code = "print_overlap"


class ReprintOfUnprinted(InvalidInput):
    """``--reprint`` for labels never printed: a reprint only repeats earlier jobs."""

    code = "print_reprint_unprinted"


register(
    {
        "error.print_template_not_found": ("Print template not found", "未找到打印模板"),
        "error.print_template_invalid": ("Invalid print template", "打印模板无效"),
        "error.print_template_unsuitable": (
            "Template unsuitable for this batch",
            "该模板不适用于此批次",
        ),
        "error.print_overlap": ("Labels already printed", "该范围的标签已打印过"),
        "error.print_reprint_unprinted": (
            "Reprint of labels never printed",
            "补打的标签从未打印过",
        ),
        "print.progress": ("Printing labels", "正在生成标签"),
        "print.done": (
            "Job {job}: {n} labels of batch {batch} ({template}) written to {path}",
            "打印任务 {job}：批次 {batch} 的 {n} 个标签（{template}）已写入 {path}",
        ),
        "print.reprint_done": (
            "Reprint job {job} (of job {of}): {n} labels of batch {batch} written to {path}",
            "补打任务 {job}（补打任务 {of}）：批次 {batch} 的 {n} 个标签已写入 {path}",
        ),
        "print.scratch": ("Scratch for PIN", "刮开查看验证码"),
    }
)
