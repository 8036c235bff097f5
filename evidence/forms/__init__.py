"""
The evidence forms, one module per area: institutions (the directory), records (a record's fields, rejection,
sharing), record_rows (the institutions a record names and the sources it cites), bulk (the evidence list's bulk
change), attachments, imports (a spreadsheet of records). They validate only; the services make the changes.
"""
