"""
The words of a pack's verification, shared by the verify page and `manage.py verify_pack` so that both say the
same: one verdict first (intact and signed by this site with which key, altered and which files, or not signed by
any key of this site), then the details. Dates are ISO 8601, readable in every language.
"""

from django.utils.translation import gettext, ngettext


def key_description(key):
    """A key of the site in words, with its dates: the current one, or an earlier one valid from ... until ..."""
    if key.current:
        if key.valid_from:
            return gettext("its current key, in use since %(since)s") % {"since": key.valid_from.isoformat()}
        return gettext("its current key")
    return gettext("an earlier key of this site, valid from %(start)s until %(end)s") % {
        "start": key.valid_from.isoformat(), "end": key.valid_until.isoformat()}


def verdict_headline(result):
    verdict = result.verdict
    if verdict == "unreadable":
        return result.problem
    if verdict == "signed":
        return gettext("Intact, and signed by this site with %(key)s.") % {"key": key_description(result.signed_by)}
    if verdict == "signed_old_way":
        return gettext("Intact, and signed by this site the old way (with a secret only this site holds, before "
                       "packs were signed with a public key).")
    if verdict == "manifest_signed":
        return gettext("This site made this manifest, and it has not been changed. Upload the whole ZIP to check "
                       "its files and its public-key signature.")
    if verdict == "altered":
        names = result.altered_files
        return ngettext("Altered: %(files)s is not as this site signed it.",
                        "Altered: %(files)s are not as this site signed them.", len(names)) % {
            "files": ", ".join(names)}
    if verdict == "unchecked":
        return gettext("Signed by this site, but its files were not checked: %(problem)s") % {
            "problem": result.problem}
    return gettext("Not signed by any key of this site.")


def report_lines(result):
    """The verdict, then the details, as plain lines (verify_pack)."""
    lines = [result.headline]
    if not result.readable:
        return lines
    if result.signed_by is not None:
        lines.append(gettext("Key fingerprint (SHA-256): %(fingerprint)s") % {
            "fingerprint": result.signed_by.fingerprint})
    if result.timestamp is not None:
        lines.append(timestamp_line(result.timestamp))
    for label, names in ((gettext("Files that differ from the manifest:"), result.differing),
                         (gettext("Files the manifest lists that are missing:"), result.missing),
                         (gettext("Files the manifest does not list:"), result.extra)):
        if names:
            lines.append(label)
            lines += [f"  {name}" for name in names]
    if result.checked_files and result.matching:
        lines.append(ngettext("%(count)s file matches the manifest.", "%(count)s files match the manifest.",
                              len(result.matching)) % {"count": len(result.matching)})
    return lines


def timestamp_line(check):
    if check.problem:
        return check.problem
    when = check.time.isoformat()
    if check.checked:
        return gettext("Timestamped at %(time)s by the site's timestamp authority (its signature checked).") % {
            "time": when}
    return gettext("Timestamped at %(time)s (the timestamp authority's signature was not checked: this site has no "
                   "certificate for it).") % {"time": when}
