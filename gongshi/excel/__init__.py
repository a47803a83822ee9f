"""Excel / WPS / CSV templates, import and export of lists and results (docs/excel.md).

Public API:

* :func:`write_templates` — one empty .xlsx template per list and per result type.
* :func:`import_file` — a filled template (.xlsx or .csv) into the content files.
* :func:`export_workbook` — the current content as one workbook in the template format.

Modules: ``columns`` (what each sheet holds), ``cells`` (one cell ↔ one canonical
value), ``grid`` and ``sheets`` (reading workbooks), ``records`` and ``yamlout``
(rows → content files), ``importer``, ``exporter``, ``template``.
"""

from .exporter import ExportReport, export_workbook, format_export
from .importer import ImportReport, format_report, import_file
from .records import ListChange
from .template import write_templates

__all__ = [
    "ExportReport", "ImportReport", "ListChange", "export_workbook", "format_export",
    "format_report", "import_file", "write_templates",
]
