"""What grading leaves behind: gradebook.csv (one row per submission, points per exercise),
feedback/<student>.txt for each student (points per exercise, each failing check's message and
line, what was noticed), and executed/<student>.ipynb for the instructor (hidden tests shown)."""
import csv
import io
import pathlib

import nbformat

from chainrule.utils.files import write_atomically


def prepare(folder):
    """Make folder and its feedback/ and executed/ (an OSError if it cannot be: before grading)."""
    (folder / "feedback").mkdir(parents=True, exist_ok=True)
    (folder / "executed").mkdir(exist_ok=True)


def write_submission(grade, folder):
    """Write a graded submission's feedback and executed notebook, then let the notebook go (a
    class's executed notebooks need not all sit in memory)."""
    _write_text(folder / "feedback" / f"{_file_name(grade.student)}.txt", feedback(grade))
    if grade.notebook is not None:
        _write_notebook(folder / "executed" / f"{_file_name(grade.student)}.ipynb", grade.notebook)
        grade.notebook = None


def write(grades, folder):
    """Write the gradebook, and whatever feedback and executed notebooks are not yet written."""
    prepare(folder)
    for grade in grades:
        write_submission(grade, folder)
    _write_text(folder / "gradebook.csv", gradebook_csv(grades))


def gradebook_csv(grades):
    """The gradebook as CSV text: student, file, points per exercise, total, maximum, notes."""
    exercises = [exercise.grade_id for exercise in grades[0].exercises] if grades else []
    out = io.StringIO()
    table = csv.writer(out)
    table.writerow(["student", "submission", *exercises, "total", "max", "tampering", "notes"])
    for grade in grades:
        table.writerow([grade.student, str(grade.path),
                        *(_number(exercise.points) for exercise in grade.exercises),
                        _number(grade.points), _number(grade.max_points),
                        "yes" if grade.tampering else "no",
                        " | ".join(map(str, grade.noticed))])
    return out.getvalue()


def feedback(grade):
    """A student's feedback: their points, exercise by exercise, and why each check failed."""
    lines = [f"{grade.student}: {_number(grade.points)} / {_number(grade.max_points)} points",
             f"submission: {grade.path}", ""]
    for exercise in grade.exercises:
        lines.append(f"{exercise.title} ({exercise.grade_id}): "
                     f"{_number(exercise.points)} / {_number(exercise.max_points)}")
        if not exercise.answered:
            lines.append("    the answer cell was not found in the submission")
        for test in exercise.tests:
            lines.append(f"    {test.grade_id}: {test.outcome}")
    if grade.noticed:
        lines += ["", "Noticed while grading:"] + [f"    {notice}" for notice in grade.noticed]
    return "\n".join(lines) + "\n"


def _number(points):
    return f"{points:g}"


def _file_name(student):
    return student.replace("/", "_").replace("\\", "_")


def _write_text(path, text):
    write_atomically(path, lambda temporary: pathlib.Path(temporary).write_text(text, "utf-8"))


def _write_notebook(path, notebook):
    write_atomically(path, lambda temporary: nbformat.write(notebook, temporary))
