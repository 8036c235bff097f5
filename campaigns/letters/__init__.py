"""
Letters from templates (issue 17): a campaign's templates with merge fields (merge.py), the context each target's
letter is merged with, read through the disclosure policy's outward reader (context.py), the worker that writes
them as PDF and DOCX (render.py, build.py), and the verbs that save templates, ask for letters, mark them sent and
e-mail them (services.py).
"""
