"""An import-linter contract that the built-in ones cannot say: a package imports
nothing but its own modules and the standard library.

A `forbidden` contract would need the list of everything else, which drifts as
dependencies are added; this asks the interpreter what the standard library is.
"""

from __future__ import annotations

import sys

import grimp
from importlinter import Contract, ContractCheck, fields, output


class StandardLibraryOnly(Contract):
    """`package` and its descendants import only themselves and the standard library.

    `also_forbidden` names standard-library modules the package must not use
    either (the domain stays free of storage, so `sqlite3` is one).
    """

    type_name = "standard_library_only"

    package = fields.StringField()
    also_forbidden = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        package = str(self.package)
        forbidden = {str(name) for name in (self.also_forbidden or [])}  # type: ignore[attr-defined]
        allowed = set(sys.stdlib_module_names) - forbidden
        found = []
        for importer in sorted(graph.find_descendants(package) | {package}):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported == package or imported.startswith(package + "."):
                    continue
                if imported.split(".")[0] in allowed:
                    continue
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    found.append((importer, imported, detail["line_number"]))
        return ContractCheck(kept=not found, warnings=None, metadata={"found": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, line in check.metadata["found"]:
            output.print_error(f"{importer} imports {imported} (line {line})")
            output.new_line()
