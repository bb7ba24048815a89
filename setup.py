"""Build hook, everything else is in pyproject.toml: the wheel carries the shipped label
templates. ``printer_templates/`` (top level, where they are edited) is copied into the
build as ``veriseal/printing/builtin_templates/``, where an installed veriseal finds them
(``veriseal.printing.templates.BUILTIN_DIR``). The copy exists only in build output, so it
cannot drift from the folder; MANIFEST.in puts the folder in the sdist."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TEMPLATES = Path(__file__).resolve().parent / "printer_templates"
PACKAGED = ("veriseal", "printing", "builtin_templates")


class BuildPyWithTemplates(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib, *PACKAGED)
        self.mkpath(str(target))
        for path in sorted(TEMPLATES.glob("*.toml")):
            self.copy_file(str(path), str(target / path.name))


setup(cmdclass={"build_py": BuildPyWithTemplates})
