"""The grading kernel's launcher: the memory cap and when it gives up root. (The guard it
installs is tested with hostile submissions in test_guard.py.)"""
import os
import subprocess
import sys

import pytest

from chainrule.labs import kernel


def test_world_readable_needs_every_folder_above_to_be_open(tmp_path):
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    (inner / "f.py").write_text("")
    for folder in (tmp_path, tmp_path / "a", inner):
        folder.chmod(0o755)
    assert kernel._world_readable(inner / "f.py") == kernel._world_readable(tmp_path)
    (tmp_path / "a").chmod(0o700)
    try:
        assert not kernel._world_readable(inner / "f.py")
    finally:
        (tmp_path / "a").chmod(0o755)


def test_root_stays_root_when_the_grading_user_could_not_read_this_python(tmp_path, monkeypatch):
    """Here Python lives under /root (private): dropping to nobody would leave a kernel that
    cannot start, so the launcher keeps its user and the connection file where it was."""
    connection = tmp_path / "connection.json"
    connection.write_text("{}")
    monkeypatch.setattr(kernel, "_readable_by_others", lambda modules: False)
    assert kernel.drop_privileges(tmp_path, str(connection), []) == str(connection)
    assert os.geteuid() == os.getuid()


def test_an_unknown_grading_user_keeps_the_launcher_as_it_is(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_LAB_USER", "no-such-user-here")
    monkeypatch.setattr(kernel, "_readable_by_others", lambda modules: True)
    assert kernel.drop_privileges(tmp_path, "c.json", []) == "c.json"


def test_the_memory_cap_is_a_hard_limit():
    code = ("import resource; from chainrule.labs.kernel import limit; limit(1 << 31);"
            "soft, hard = resource.getrlimit(resource.RLIMIT_AS); print(soft, hard);"
            "import numpy\ntry:\n    numpy.ones(1 << 29)\nexcept MemoryError:\n    print('refused')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == [str(1 << 31), str(1 << 31), "refused"], result.stderr


def _may_raise_hard_limits():
    """Whether this process holds CAP_SYS_RESOURCE (bit 24 of its effective capabilities)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("CapEff:"))
    return bool(int(line.split()[1], 16) >> 24 & 1)


@pytest.mark.skipif(_may_raise_hard_limits(), reason="this process may raise hard limits")
def test_the_kernel_cannot_raise_its_cap_again():
    code = ("import resource; from chainrule.labs.kernel import limit; limit(1 << 31);"
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 32, 1 << 32))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert "not allowed to raise maximum limit" in result.stderr
