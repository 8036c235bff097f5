"""
The evidence pages, one module per area:

- reports: the reports and their recommendations
- institutions: the institution directory, each group's own institutions, relationships between them
- record_list: the evidence list and its bulk changes
- record_detail: a record's page (and the helpers the other record pages share)
- record_editing: logging and editing a record, its workflow steps and its sharing
- record_files: a record's attachments, uploaded and downloaded
- imports: importing records from a spreadsheet

evidence/urls.py names each view by its module.
"""
