"""`chainrule run -n N`: what it hands the launcher (a script, a module, chainrule's own command,
a hostfile), and the argument errors it refuses with exit status 2 and a message, before
anything starts. (Running a script in this process, without -n, is tested in
tests/test_porting.py; launched jobs in tests/distributed/test_launch.py.)"""
import pytest

from chainrule.cli import main
from chainrule.cli import run as run_command
from tests.distributed.launching import chainrule_run


@pytest.fixture
def launched(monkeypatch):
    """The calls `chainrule run -n` makes to launch, recorded instead of made."""
    calls = []

    def launch(nproc, target, hostfile=None):
        calls.append((nproc, target, hostfile))
        return 0
    monkeypatch.setattr(run_command, "launch", launch)
    return calls


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "train.py"
    path.write_text("print('never run here')\n")
    return str(path)


def test_a_script_and_its_arguments_go_to_every_rank(launched, script):
    assert main(["run", "-n", "3", script, "--lr", "0.1", "-n", "5"]) == 0
    assert launched == [(3, ["script", script, "--lr", "0.1", "-n", "5"], None)]


@pytest.mark.parametrize("option", [["--nproc-per-node", "2"], ["--nproc_per_node=2"],
                                    ["--nproc", "2"]])
def test_torchruns_spelling_of_n_is_taken_too(launched, script, option):
    assert main(["run", *option, script]) == 0
    assert launched[0][0] == 2


def test_a_module_runs_as_python_m_runs_it(launched):
    assert main(["run", "-n", "2", "-m", "pkg.train", "--epochs", "1"]) == 0
    assert launched == [(2, ["module", "pkg.train", "--epochs", "1"], None)]


@pytest.mark.parametrize("spelling", [["-m", "chainrule"], ["chainrule"]])
def test_chainrules_own_commands_run_as_the_target(launched, spelling):
    assert main(["run", "-n", "2", *spelling, "train", "mnist1d"]) == 0
    assert launched == [(2, ["chainrule", "train", "mnist1d"], None)]


def test_a_hostfile_goes_to_the_launcher(launched, script, tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("localhost slots=2\n")
    assert main(["run", "-n", "2", "--hostfile", str(hosts), script]) == 0
    assert launched == [(2, ["script", script], str(hosts))]


@pytest.mark.parametrize("n", ["0", "-1", "x", "1.5"])
def test_a_number_of_processes_that_is_not_positive_is_refused(launched, script, capsys, n):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "-n", n, script])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "-n" in err and f"{n!r}" in err and "positive whole number" in err, err
    assert launched == []


@pytest.mark.parametrize("arguments, says", [
    (["-n", "2", "no_such_script.py"], "no such script: 'no_such_script.py'"),
    (["-n", "2", "--hostfile", "no_such_hosts", "SCRIPT"], "no such hostfile: 'no_such_hosts'"),
    (["--hostfile", "HOSTS", "SCRIPT"], "--hostfile needs -n N"),
])
def test_a_missing_script_or_hostfile_is_refused_before_anything_starts(
        launched, script, tmp_path, capsys, arguments, says):
    hosts = tmp_path / "hosts"
    hosts.write_text("localhost\n")
    arguments = [{"SCRIPT": script, "HOSTS": str(hosts)}.get(a, a) for a in arguments]
    assert main(["run", *arguments]) == 2
    assert says in capsys.readouterr().err
    assert launched == []


def test_no_mpi_launcher_is_a_message_and_status_2(monkeypatch, script, capsys):
    def launch(nproc, target, hostfile=None):
        raise FileNotFoundError("chainrule run -n: no MPI launcher (mpirun or mpiexec)")
    monkeypatch.setattr(run_command, "launch", launch)
    assert main(["run", "-n", "2", script]) == 2
    assert "no MPI launcher" in capsys.readouterr().err


def test_a_command_that_trains_in_one_process_refuses_to_run_as_n_copies():
    job = chainrule_run(2, "-m", "chainrule", "curvefit", "--out", "never-written")
    assert job.returncode == 2, job.stderr[-3000:]
    errors = [line for line in job.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith("chainrule curvefit: error: this command "
                                                     "runs in one process"), job.stderr
    assert "chainrule train mnist1d" in errors[0] and "without -n" in errors[0]
