"""The results spreadsheet: the template mills download (XLSX or CSV) and the readers for what comes back.

template     builds the template (results sheet, "Declaration" sheet for bulk import, instructions)
grid         turns uploaded bytes into a grid of cells, safely (zip bombs, formulas, encodings)
results      reads the results sheet into `ResultCell`s that remember their row and column
declaration  reads the "Declaration" sheet of a bulk-import workbook
"""

from .declaration import WorkbookDeclaration, read_declaration_workbook
from .grid import Grid, check_zip_container
from .results import parse_results_grid, read_spreadsheet
from .template import DECLARATION_FIELDS, build_template

__all__ = [
    "DECLARATION_FIELDS",
    "Grid",
    "WorkbookDeclaration",
    "build_template",
    "check_zip_container",
    "parse_results_grid",
    "read_declaration_workbook",
    "read_spreadsheet",
]
