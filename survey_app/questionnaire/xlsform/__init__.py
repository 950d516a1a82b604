"""XLSForm in and out: import KoboToolbox/ODK workbooks as questionnaires, export them again.

Reading uses pyxform's own pieces: its workbook readers (`xlsx_to_dict`, `xls_to_dict`: `.xlsx`
and legacy `.xls`, cell types, blank rows kept so row numbers stay right), its header parser
(`process_header`: column aliases such as `list name`, `relevance`, `label:Arabic`,
`bind:jr:constraintMsg`) and its question type dictionary (legacy names such as `string`,
`int`, `select one from`, `trigger`). pyxform's `workbook_to_json` is not used: it stops at the
first problem and loses row numbers, while an import has to keep going, skip what a web survey
cannot collect and say which row it left out and why.

Everything the import drops or changes is reported as a warning at `FILE:SHEET:ROW`; the
result is checked with the same rules as a YAML file, so what comes out passes `check`.
The export writes the sheets a translator knows (`label::German (de)` columns, one per
language) plus the questionnaire fields XLSForm lacks as extra settings columns, so that
export followed by import gives the same questionnaire.
"""

from survey_app.questionnaire.xlsform.export import export_xlsform
from survey_app.questionnaire.xlsform.importer import Translate, XlsformImport, import_xlsform
from survey_app.questionnaire.xlsform.languages import language_column
from survey_app.questionnaire.xlsform.yaml_writer import questionnaire_yaml

__all__ = [
    "Translate",
    "XlsformImport",
    "export_xlsform",
    "import_xlsform",
    "language_column",
    "questionnaire_yaml",
]
