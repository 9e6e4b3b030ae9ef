"""Every rendered report carries a detached signature (FILE.sig) by its renderer's key, which
anyone holding the public key checks without a workspace: with `govern report verify FILE
--public-key PEM`, and with OpenSSL alone (an outside validator)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern.cli import cli
from govern.reports import make_report, verify_report
from govern.reports.signature import public_key_hex_from_pem, signature_path, verify_detached


@pytest.fixture(scope="module")
def signed(trained_pipeline, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A rendered model card, and the auditor's and officer's public keys exported as PEM."""
    p = trained_pipeline
    out = tmp_path_factory.mktemp("signed")
    written = make_report(p.workspace, p.auditor, "run", p.run_id, "md", out / "card.md")
    pems = {}
    for name in ("audrey", "olga"):
        result = CliRunner().invoke(
            cli, ["keys", "export", name, "--workspace", str(p.workspace.root)]
        )
        assert result.exit_code == 0, result.output
        pems[name] = out / f"{name}.pub.pem"
        pems[name].write_text(result.output)
    return written, pems


def _verify(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    """`govern report verify` from an empty folder, with no workspace anywhere in reach."""
    runner = CliRunner(env={"GOVERN_WORKSPACE": None, "GOVERN_KEY": None})
    with runner.isolated_filesystem(temp_dir=tmp_path):
        return runner.invoke(cli, ["report", "verify", *args])


def test_the_report_is_written_with_its_signature(signed, trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    written, pems = signed
    sig = signature_path(written.path)
    assert written.signature_path == sig and sig.is_file()
    document = json.loads(sig.read_text())
    assert document["key_id"] == trained_pipeline.auditor.key_id
    assert document["sha256"] == written.sha256 and document["file"] == "card.md"
    assert public_key_hex_from_pem(pems["audrey"]) == trained_pipeline.auditor.public_key_hex
    assert verify_detached(written.path, trained_pipeline.auditor.public_key_hex).ok
    in_workspace = verify_report(trained_pipeline.workspace, written.path)
    assert in_workspace.intact and in_workspace.signature == "verified"


def test_verify_with_a_public_key_needs_no_workspace(signed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    written, pems = signed
    result = _verify(tmp_path, str(written.path), "--public-key", str(pems["audrey"]))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK:")
    as_json = _verify(tmp_path, str(written.path), "--public-key", str(pems["audrey"]), "--json")
    assert json.loads(as_json.output)["ok"] is True


def test_an_altered_report_or_the_wrong_key_fails(signed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    written, pems = signed
    altered = tmp_path / "card.md"
    data = bytearray(written.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    altered.write_bytes(bytes(data))
    shutil.copy(signature_path(written.path), signature_path(altered))
    result = _verify(tmp_path, str(altered), "--public-key", str(pems["audrey"]))
    assert result.exit_code == 3 and "does not verify" in result.output
    wrong_key = _verify(tmp_path, str(written.path), "--public-key", str(pems["olga"]))
    assert wrong_key.exit_code == 3 and "the public key given is key" in wrong_key.output
    not_a_key = tmp_path / "junk.pem"
    not_a_key.write_text("hello")
    junk = _verify(tmp_path, str(written.path), "--public-key", str(not_a_key))
    assert junk.exit_code != 0 and "not a PEM public key" in junk.output


def test_a_forged_signature_file_fails_in_the_workspace_too(
    signed, trained_pipeline, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    written, _ = signed
    copy = tmp_path / "card.md"
    shutil.copy(written.path, copy)
    document = json.loads(signature_path(written.path).read_text())
    document["signature"] = trained_pipeline.officer.sign(written.path.read_bytes())
    signature_path(copy).write_text(json.dumps(document))
    check = verify_report(trained_pipeline.workspace, copy)
    assert not check.intact and "does not verify" in (check.signature or "")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_verifies_the_signature_on_its_own(signed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    written, pems = signed
    raw = tmp_path / "card.sig.bin"
    raw.write_bytes(
        bytes.fromhex(json.loads(signature_path(written.path).read_text())["signature"])
    )

    def openssl(data_file: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(pems["audrey"]),
                "-rawin", "-in", str(data_file), "-sigfile", str(raw),
            ],
            capture_output=True,
            text=True,
        )  # fmt: skip

    good = openssl(written.path)
    assert good.returncode == 0 and "Signature Verified Successfully" in good.stdout
    altered = tmp_path / "altered.md"
    altered.write_bytes(written.path.read_bytes() + b" ")
    assert openssl(altered).returncode != 0


def test_keys_export_prints_every_public_key(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    result = CliRunner().invoke(cli, ["keys", "export", "--workspace", str(p.workspace.root)])
    assert result.exit_code == 0
    assert result.output.count("-----BEGIN PUBLIC KEY-----") >= 4
    assert f"audrey (auditor) key {p.auditor.key_id}" in result.output
