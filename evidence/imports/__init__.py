"""
Importing evidence records from a spreadsheet (CSV or Excel .xlsx), in two steps: read and check every row
without saving anything, so the person sees each row's problems first; then create the valid rows' sources and
records in one transaction, all or nothing, at once or, for a large file, in the worker.

No request objects here: the pages (evidence/views.py) hand in the file's bytes, the group and the actor.
  parsing   the file's bytes into rows of text by column name, or the reason the whole file is refused
  preview   each row checked for the group: what it would become and what is wrong with it
  saving    the checked rows saved, all or nothing
  uploads   the file kept in private storage between the preview and the import
  jobs      a large import handed to the worker (the request's part)
  worker    the worker's part (evidence.tasks.import_evidence)
"""
