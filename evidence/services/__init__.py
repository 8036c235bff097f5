"""
The changes made to evidence, one module per kind of object: records (their steps and sharing), bulk (tags, and
one change to many records), sources, attachments, and the institution directory. Each verb takes keyword-only
`actor=`, checks the actor's role itself, runs in one transaction and writes its history row there.
"""
