"""
The sections only an outward briefing has, for the DOCX writer (campaigns.briefing.docx): the executive summary,
the key findings and what the campaign asks of each institution. Mixed into its writer, which gives `heading`,
`para`, `table` and the labels.
"""

import re

from . import findings_text

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def names(institution):
    """An institution's name with its Chinese name, e.g. "Hikvision (海康威视)"."""
    name, name_zh = _NOT_XML.sub("", str(institution["name"])), institution.get("name_zh")
    return f"{name} ({_NOT_XML.sub('', name_zh)})" if name_zh and name_zh != institution["name"] else name


class OutwardSections:
    def executive_summary(self):
        if not self.b.get("executive_summary"):
            return
        self.heading(self.lab["executive_summary"], 1)
        for paragraph in self.b["executive_summary"].split("\n\n"):
            self.para(paragraph.strip())

    def findings(self):
        findings, lab = self.b.get("findings"), self.lab
        if not findings:
            return
        # Under the executive summary when there is one, as in the PDF.
        self.heading(lab["key_findings"], 2 if self.b.get("executive_summary") else 1)
        self.para(findings_text(self.b))
        for key in ("by_kind", "by_year", "by_sector", "by_institution"):
            if findings[key]:
                self.heading(lab[key], 3)
                self.table([lab[key], lab["count"]], [(label, str(count)) for label, count in findings[key]],
                           widths=[12, 3])

    def outward_targets(self):
        b, lab = self.b, self.lab
        self.heading(lab["what_we_ask"], 2)
        if not b["targets"]:
            self.para(lab["no_targets"])
        for t in b["targets"]:
            self.heading(names(t["institution"]), 3)
            self.para(t["ask"])
            if t["evidence_ids"]:
                self.para(", ".join(str(i) for i in t["evidence_ids"]), bold_label=lab["evidence_for_target"])
