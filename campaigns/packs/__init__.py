"""
Briefing packs: what a pack holds, how it is built, and how anyone holding one checks it.

A pack is a ZIP of
  briefing.pdf, briefing.docx   the briefing (campaigns.briefing), from the models, scoped and redacted here
  evidence.csv, evidence.xlsx   one row per evidence record, with the link back to it on the site
  targets.csv, targets.xlsx     one row per target, likewise
  attachments/                  if asked for: the files of records the pack's group owns (never of shared copies)
  captures/                     with them: the newest capture of each of the group's own sources those records cite
  manifest.json                 every other file with its SHA-256 and size, the scope, the options, what redaction
                                withheld (counts only), who generated it and when, signed with the site's key

The modules, in the order a pack is made:
  scope     what a pack covers: its targets and evidence as the requester sees them in the pack's group
  content   reading the scope into plain data, redacted as evidence.disclosure decides
  outward   what an outward pack (kind "outward": for a target, a ministry, the press) holds instead: the group's
            own verified, unprotected evidence as the outward reader sees it, key findings, key evidence first,
            the group's letterhead (campaigns.letterhead), no member names or internal fields
  tables    the columns of the evidence and target tables per kind, with their headers in the pack's language
  writers   the files, written in a local scratch folder, and the ZIP
  manifest  the manifest and its signature
  storage   private storage: a temporary name, then the final one; expiry and clean-up
  build     the worker's run (a job on accounts.jobs): claim, build, store, finish
  verify    the public verify page's check of a pack someone was given
"""
