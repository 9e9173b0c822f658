"""The student release, made by nbgrader's own preprocessors: answers stubbed, hidden tests gone,
outputs gone, checksums set; the source is left as it was; the file appears whole."""
import nbformat
from nbgrader.utils import compute_checksum

from chainrule.labs.release import release, write_release
from chainrule.labs.source import find_lab, grade_id, is_solution, is_test


def test_answers_become_stubs_and_hidden_tests_go():
    source = find_lab("01").notebook()
    before = nbformat.writes(source)
    student = release(source)
    assert nbformat.writes(source) == before, "release changed the source"
    assert [grade_id(c) for c in student.cells] == [grade_id(c) for c in source.cells]
    for mine, theirs in zip(source.cells, student.cells):
        if is_solution(mine) and mine.cell_type == "code":
            assert "# YOUR CODE HERE\n" in theirs.source and "raise NotImplementedError()" in theirs.source
            assert "BEGIN SOLUTION" not in theirs.source
        elif is_test(mine):
            assert theirs.source == mine.source.split("### BEGIN HIDDEN TESTS")[0].rstrip()
        else:
            assert theirs.source == mine.source


def test_every_graded_or_locked_cell_carries_nbgraders_checksum():
    student = release(find_lab("02").notebook())
    marked = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade_id")]
    assert marked and all(c.metadata.nbgrader["checksum"] == compute_checksum(c) for c in marked)
    assert all(c.metadata.nbgrader["locked"] for c in marked if not is_solution(c))


def test_write_release_writes_a_valid_notebook_without_outputs(tmp_path):
    path = write_release(find_lab("03"), tmp_path / "out")
    assert path == tmp_path / "out" / "03_training.ipynb"
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["03_training.ipynb"]


def test_a_release_is_the_same_file_every_time(tmp_path):
    first = write_release(find_lab("01"), tmp_path / "a").read_bytes()
    assert write_release(find_lab("01"), tmp_path / "b").read_bytes() == first
