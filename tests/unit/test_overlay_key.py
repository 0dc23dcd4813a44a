"""The overlay key file (web/keys.py): made with mode 0600, and every fault one line naming it."""

from __future__ import annotations

import pytest

from web.keys import KeyFileError, OverlayKey


def test_the_key_is_made_private_and_url_safe_and_read_back(tmp_path):
    keys = OverlayKey(tmp_path / "new" / "overlay.key")
    key = keys.current()
    assert (tmp_path / "new" / "overlay.key").stat().st_mode & 0o777 == 0o600
    assert OverlayKey(keys.path).current() == key and keys.matches(key) and not keys.matches("other")


@pytest.mark.parametrize(("setup", "expected"), [
    (lambda path: path.mkdir(), "is not a file"),
    (lambda path: (path.write_text("k3y\n"), path.chmod(0o644)), "readable or writable by others (mode 0644); "
                                                                  "run `chmod 600"),
    (lambda path: (path.write_text("a b\n"), path.chmod(0o600)), "holds characters an overlay URL cannot carry"),
    (lambda path: (path.write_bytes(b"\xff\xfe\n"), path.chmod(0o600)), "cannot read it"),
])
def test_a_key_file_that_cannot_be_used_is_one_line_and_lets_no_url_in(tmp_path, setup, expected):
    path = tmp_path / "overlay.key"
    setup(path)
    keys = OverlayKey(path)
    with pytest.raises(KeyFileError, match=r"overlay key file .*overlay\.key") as caught:
        keys.current()
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert not keys.matches("k3y") and not keys.matches("a b")


def test_a_key_file_under_a_file_is_one_line(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("where a folder should be", encoding="utf-8")
    with pytest.raises(KeyFileError, match=r"overlay key file .*/file/overlay\.key: cannot read it \(Not a directory\)"):
        OverlayKey(blocked / "overlay.key").current()
