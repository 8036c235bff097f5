"""
Date and number formats that differ from Django's own for a language (settings.FORMAT_MODULE_PATH); a name not
set here falls back to django/conf/locale/<language>/formats.py.
"""
