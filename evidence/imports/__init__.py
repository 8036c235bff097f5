"""
Importing evidence records from a spreadsheet (CSV or Excel .xlsx), in two steps: read and check every row
without saving anything, so the person sees each row's problems first; then create the valid rows' sources and
records in one transaction, all or nothing, in bulk. A small file is checked and saved while the person waits; a
large one is checked, and saved, by the worker.

No request objects here: the pages (evidence/views.py) hand in the file's bytes, the group and the actor.
  parsing   the file's bytes into rows of text by column name, or the reason the whole file is refused
  preview   each row checked for the group: what it would become and what is wrong with it
  saving    the checked rows saved, all or nothing
  uploads   the file kept in private storage between the preview and the import
  stored_preview  the preview of a large file, made by the worker and kept beside it for the import's page
  jobs      a large file handed to the worker to check, and a large import to save (the request's part)
  worker    the worker's part (evidence.tasks.import_evidence)
"""
