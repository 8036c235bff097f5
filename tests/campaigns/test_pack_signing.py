"""
Packs anyone can check without this site (issue 18): every pack's manifest is signed with the site's Ed25519 key;
VERIFY.txt's openssl commands check it; the verify page and `manage.py verify_pack` give the same verdict; the keys
rotate and earlier keys still verify; packs signed the old way (HMAC) still verify.
"""

import io
import json
import re
import stat
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from campaigns.packs import keys
from campaigns.packs.manifest import sign
from tests.campaigns.test_packs import build, request, unpack, verify, zip_of

pytestmark = pytest.mark.django_db

OLD_KEY_DATES = "2026-01-10_2026-12-06.pem"


@pytest.fixture
def signing_key(settings, tmp_path):
    """A key of this test's own, as an operator would set it: PACK_SIGNING_KEY_FILE naming a 0600 file."""
    settings.PACK_SIGNING_KEY = ""
    settings.PACK_SIGNING_KEY_FILE = str(tmp_path / "keys" / "current.pem")
    settings.PACK_SIGNING_KEY_SINCE = "2026-01-10"
    settings.PACK_SIGNING_OLD_KEYS_DIR = str(tmp_path / "keys" / "old")
    call_command("generate_pack_signing_key", "--out", settings.PACK_SIGNING_KEY_FILE, stdout=io.StringIO())
    return Path(settings.PACK_SIGNING_KEY_FILE)


@pytest.fixture
def signed(signing_key, coordinator, group, pack_campaign, django_capture_on_commit_callbacks,
           own_private_storage):
    pack = build(request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks,
                         include_attachments=True))
    return pack, *unpack(pack)


def extract(files, folder):
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return folder


def openssl_commands(files):
    """The commands VERIFY.txt gives, by what they start with."""
    text = files["VERIFY.txt"].decode()
    return {line.strip().split(" ")[1]: line.strip() for line in text.splitlines()
            if line.strip().startswith("openssl ")}


def run(command, folder):
    return subprocess.run(command, shell=True, cwd=folder, capture_output=True, text=True, timeout=60)


def verify_pack(tmp_path, content, name="pack.zip"):
    """verify_pack's output and whether it accepted the pack."""
    path = tmp_path / name
    path.write_bytes(content)
    out = io.StringIO()
    try:
        call_command("verify_pack", str(path), stdout=out)
    except CommandError as exc:
        return out.getvalue(), False, str(exc)
    return out.getvalue(), True, ""


def page_verdict(client, content, name="pack.zip"):
    page = verify(client, name, content).content.decode()
    match = re.search(r'data-verdict="(\w+)"><strong>(.*?)</strong>', page, re.S)
    return match[1], match[2].replace("&#x27;", "'")


def same_verdict(client, tmp_path, content):
    """The verify page's verdict, after checking that verify_pack says the same first."""
    verdict, headline = page_verdict(client, content)
    out, accepted, _ = verify_pack(tmp_path, content)
    assert out.splitlines()[0] == headline
    assert accepted == (verdict == "signed" or verdict == "signed_old_way")
    return verdict, headline


#
# The pack's files and openssl
#


def test_it_verifies_with_the_openssl_commands_of_verify_txt(signed, client, tmp_path):
    _, _, files = signed
    assert {"manifest.sig", "public-key.pem", "VERIFY.txt"} <= set(files)
    manifest = json.loads(files["manifest.json"])
    listed = {entry["name"] for entry in manifest["files"]}
    assert {"public-key.pem", "VERIFY.txt"} <= listed and "manifest.sig" not in listed
    # The key in the ZIP is the one the site publishes, and VERIFY.txt says how to compare them.
    published = client.get(reverse("pack-public-key"))
    assert published.status_code == 200 and published["Content-Type"] == "application/x-pem-file"
    assert published.content == files["public-key.pem"]
    folder = extract(files, tmp_path / "pack")
    commands = openssl_commands(files)
    fingerprint = run(commands["pkey"], folder)
    assert fingerprint.returncode == 0 and manifest["signing_key"]["fingerprint"] in fingerprint.stdout
    assert manifest["signing_key"]["fingerprint"] in files["VERIFY.txt"].decode()

    checked = run(commands["pkeyutl"], folder)
    assert checked.returncode == 0 and "Signature Verified Successfully" in checked.stdout

    # One byte of the manifest changed: openssl, the page and verify_pack all refuse it.
    altered = bytearray(files["manifest.json"])
    altered[altered.index(b'"generated_by"') + 1] ^= 0x01
    (folder / "manifest.json").write_bytes(altered)
    refused = run(commands["pkeyutl"], folder)
    assert refused.returncode != 0 and "Signature Verified Successfully" not in refused.stdout
    verdict, headline = same_verdict(client, tmp_path, zip_of({**files, "manifest.json": bytes(altered)}))
    assert verdict == "altered" and headline == "Altered: manifest.json is not as this site signed it."


def test_one_changed_byte_of_a_file_shows_in_its_digest_and_in_the_verdict(signed, client, tmp_path):
    _, _, files = signed
    pdf = bytearray(files["briefing.pdf"])
    pdf[len(pdf) // 2] ^= 0x01
    folder = extract({**files, "briefing.pdf": bytes(pdf)}, tmp_path / "pack")
    digest = run(openssl_commands(files)["dgst"], folder)
    listed = {entry["name"]: entry["sha256"] for entry in json.loads(files["manifest.json"])["files"]}
    assert digest.returncode == 0 and listed["briefing.pdf"] not in digest.stdout
    # The manifest itself is intact, so its signature still checks: only the file is altered.
    assert run(openssl_commands(files)["pkeyutl"], folder).returncode == 0
    verdict, headline = same_verdict(client, tmp_path, zip_of({**files, "briefing.pdf": bytes(pdf)}))
    assert verdict == "altered" and headline == "Altered: briefing.pdf is not as this site signed it."


def test_the_page_and_verify_pack_say_intact_and_which_key(signed, client, tmp_path):
    _, data, files = signed
    verdict, headline = same_verdict(client, tmp_path, data)
    assert verdict == "signed"
    assert headline == "Intact, and signed by this site with its current key, in use since 2026-01-10."
    out, _, _ = verify_pack(tmp_path, data)
    assert keys.current_key().fingerprint in out and "9 files match the manifest." in out
    page = verify(client, "pack.zip", data).content.decode()
    assert 'data-intact="yes"' in page and keys.current_key().fingerprint in page


def test_a_pack_signed_elsewhere_or_stripped_of_its_signature_is_not_taken_for_this_sites(
        signed, client, tmp_path, settings):
    _, data, files = signed
    stripped = {name: content for name, content in files.items() if name != "manifest.sig"}
    verdict, headline = same_verdict(client, tmp_path, zip_of(stripped))
    assert verdict == "altered" and "manifest.sig" in headline
    # Another site (another key, another secret) made it: nothing of this site vouches for it.
    settings.PACK_SIGNING_KEY_FILE = str(tmp_path / "another-site.pem")
    settings.SECRET_KEY = "another-site-entirely-another-key"
    verdict, headline = same_verdict(client, tmp_path, data)
    assert verdict == "not_signed" and headline == "Not signed by any key of this site."


def test_packs_signed_the_old_way_still_verify(signed, client, tmp_path):
    _, _, files = signed
    manifest = json.loads(files["manifest.json"])
    del manifest["signing_key"], manifest["signature"]
    manifest["files"] = [entry for entry in manifest["files"] if entry["name"] not in ("public-key.pem", "VERIFY.txt")]
    old = {name: content for name, content in files.items()
           if name not in ("manifest.sig", "public-key.pem", "VERIFY.txt")}
    old["manifest.json"] = json.dumps(sign(manifest)).encode()
    verdict, headline = same_verdict(client, tmp_path, zip_of(old))
    assert verdict == "signed_old_way" and "the old way" in headline
    changed = sign(manifest)
    changed["withheld"] = {**changed["withheld"], "protected_records": 0}  # after signing: the HMAC no longer matches
    verdict, _ = same_verdict(client, tmp_path, zip_of({**old, "manifest.json": json.dumps(changed).encode()}))
    assert verdict == "not_signed"


#
# The keys
#


def test_generate_pack_signing_key_writes_a_private_file_and_never_overwrites(tmp_path, settings):
    out = io.StringIO()
    path = tmp_path / "secrets" / "pack.pem"
    call_command("generate_pack_signing_key", "--out", str(path), stdout=out)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in out.getvalue() and "BEGIN PUBLIC KEY" in out.getvalue()
    assert "PRIVATE KEY" not in out.getvalue()
    before = path.read_bytes()
    with pytest.raises(CommandError, match="exists already"):
        call_command("generate_pack_signing_key", "--out", str(path), stdout=io.StringIO())
    assert path.read_bytes() == before
    settings.PACK_SIGNING_KEY, settings.PACK_SIGNING_KEY_FILE = "", str(path)
    assert keys.current_key().fingerprint in out.getvalue()


def test_the_key_may_come_from_the_environment_itself(settings, tmp_path):
    pem = keys.new_private_key_pem()
    settings.PACK_SIGNING_KEY = pem.decode()
    settings.PACK_SIGNING_KEY_FILE = str(tmp_path / "absent.pem")
    assert keys.current_key().fingerprint == keys.fingerprint(keys.public_key_of(pem))
    assert not (tmp_path / "absent.pem").exists()


def test_production_refuses_to_sign_without_a_key_it_was_given(settings, tmp_path):
    settings.PRODUCTION, settings.PACK_SIGNING_KEY = True, ""
    settings.PACK_SIGNING_KEY_FILE = str(tmp_path / "absent.pem")
    with pytest.raises(keys.SigningKeyMissing, match="generate_pack_signing_key"):
        keys.private_key()
    assert not (tmp_path / "absent.pem").exists()


def test_after_a_rotation_packs_of_the_earlier_key_still_verify_with_its_dates(signed, client, tmp_path, settings):
    _, data, _ = signed
    earlier = keys.current_key()
    call_command("generate_pack_signing_key", "--retire-current", "--out", str(tmp_path / "keys" / "next.pem"),
                 stdout=io.StringIO())
    settings.PACK_SIGNING_KEY_FILE = str(tmp_path / "keys" / "next.pem")
    retired = list(Path(settings.PACK_SIGNING_OLD_KEYS_DIR).iterdir())
    assert len(retired) == 1 and retired[0].name.startswith("2026-01-10_")
    # Dated by hand, as the README describes, so the verdict's dates are known.
    retired[0].rename(retired[0].with_name(OLD_KEY_DATES))

    verdict, headline = same_verdict(client, tmp_path, data)
    assert verdict == "signed"
    assert headline == ("Intact, and signed by this site with an earlier key of this site, valid from 2026-01-10 "
                        "until 2026-12-06.")
    assert client.get(reverse("pack-public-key")).content != earlier.pem  # the new key is the one published
    listing = client.get(reverse("pack-public-keys")).content.decode()
    assert earlier.fingerprint in listing and keys.current_key().fingerprint in listing
    assert "valid from 2026-01-10 until 2026-12-06" in listing
    page = client.get(reverse("pack-verify")).content.decode()
    assert earlier.fingerprint in page and "Earlier key, valid from 2026-01-10 until 2026-12-06" in page

    # An earlier key dropped from the folder no longer vouches for what it signed.
    (Path(settings.PACK_SIGNING_OLD_KEYS_DIR) / OLD_KEY_DATES).unlink()
    assert same_verdict(client, tmp_path, data)[0] == "not_signed"


#
# Bad input
#


@pytest.mark.parametrize("name, content, message", [
    ("junk.bin", b"\x00\x01 not a pack", "neither a briefing pack"),
    ("pack.zip", zip_of({"readme.txt": b"no manifest"}), "has no manifest.json"),
    ("pack.zip", zip_of({"manifest.json": b"[1, 2]"}), "not a briefing pack's manifest"),
])
def test_verify_pack_refuses_what_is_not_a_pack_with_a_clear_message(tmp_path, name, content, message):
    out, accepted, error = verify_pack(tmp_path, content, name=name)
    assert not accepted and message in out and message in error


def test_verify_pack_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("verify_pack", str(tmp_path / "nowhere.zip"))


def test_the_public_key_routes_answer_anyone(client, signing_key):
    for name in ("pack-public-key", "pack-public-keys"):
        response = client.get(reverse(name))
        assert response.status_code == 200 and b"BEGIN PUBLIC KEY" in response.content
    assert client.post(reverse("pack-public-key")).status_code == 405



def test_a_production_site_given_no_key_says_so_without_an_error(client, settings, tmp_path):
    settings.PRODUCTION, settings.PACK_SIGNING_KEY = True, ""
    settings.PACK_SIGNING_KEY_FILE = str(tmp_path / "absent.pem")
    settings.PACK_SIGNING_OLD_KEYS_DIR = str(tmp_path / "old")
    assert client.get(reverse("pack-public-key")).status_code == 404
    assert client.get(reverse("pack-public-keys")).status_code == 200
    page = client.get(reverse("pack-verify"))
    assert page.status_code == 200 and b"This site has no key to sign packs yet." in page.content


def test_the_verdict_and_verify_txt_speak_the_readers_language(signed, client, settings, coordinator, group,
                                                                pack_campaign, django_capture_on_commit_callbacks):
    _, data, _ = signed
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = verify(client, "pack.zip", data).content.decode()
    assert "完好，并由本网站以其当前密钥（自 2026-01-10 起使用）签名。" in page
    chinese = build(request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks,
                            language="zh-hans"))
    instructions = unpack(chinese)[1]["VERIFY.txt"].decode()
    assert "如何核验此简报包" in instructions and "openssl pkeyutl -verify -pubin -inkey public-key.pem" in instructions


def test_a_misnamed_earlier_key_or_a_broken_key_stops_the_site_at_its_checks(settings, tmp_path):
    settings.PACK_SIGNING_OLD_KEYS_DIR = str(tmp_path / "old")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "last-year.pem").write_bytes(keys.public_pem(keys.public_key_of(keys.new_private_key_pem())))
    settings.PACK_SIGNING_KEY = "not a key"
    with pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert "<valid from>_<valid until>.pem" in str(error.value) and "PACK_SIGNING_KEY is not" in str(error.value)
