"""`chainrule lab`: the course's labs. `list` shows each lab, its exercises and points; `release`
writes the student notebook; `check` runs a student's notebook and shows each exercise's visible
tests; `grade` grades submissions in sandboxed kernels and writes a gradebook and feedback."""
import ast
import pathlib
import signal
import sys

from chainrule.cli.arguments import checked

EXTRA = "pip install 'chainrule[labs]'"


def _kit():
    """The lab kit, loaded on use (its notebook libraries take seconds to import)."""
    try:
        from chainrule.labs import kit
    except ModuleNotFoundError as error:
        raise SystemExit(f"chainrule lab: error: {error.name} is missing; the lab kit needs "
                         f"the labs extra: {EXTRA}") from None
    return kit


def _setting(text):
    """NAME=VALUE, the value read as a Python literal (a number, True, 'text') or else as text."""
    name, equals, value = text.partition("=")
    if not equals or not name.isidentifier():
        return None
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def _bytes(text):
    """'6G', '512M', '1000000' -> bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    scale = units.get(text[-1:].upper(), 1)
    number = float(text[:-1] if text[-1:].upper() in units else text)
    return int(number * scale)


def add_parser(commands):
    command = commands.add_parser("lab", help="the course's labs: list, release, check, grade",
                                  description=__doc__)
    command.add_argument("--labs", metavar="DIR",
                         help="the folder of labs (default: $CHAINRULE_LABS, or the repository's "
                              "labs/)")
    actions = command.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="each lab, its exercises and points").set_defaults(run=run_list)
    release = actions.add_parser("release", help="write a lab's student notebook")
    release.add_argument("lab", help="the lab's number (01) or folder name")
    release.add_argument("--out", default="release", help="folder to write it in (default release)")
    release.set_defaults(run=run_release)
    check = actions.add_parser("check", help="run your notebook and see its visible tests")
    check.add_argument("notebook", help="your .ipynb")
    _add_run_options(check, cell_seconds=600, total_seconds=3600)
    check.set_defaults(run=run_check)
    grade = actions.add_parser("grade", help="grade submissions; write gradebook and feedback")
    grade.add_argument("--lab", required=True, help="the lab's number (01) or folder name")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION.ipynb")
    grade.add_argument("--out", help="folder for gradebook.csv, feedback/ and executed/ "
                                     "(default grades/<lab>)")
    grade.add_argument("--memory", type=checked(_bytes, lambda n: n >= 1 << 28, "a size such as "
                                                "4G or 512M, at least 256M"), default=6 << 30,
                       help="memory cap per submission's kernel (default 6G)")
    _add_run_options(grade, cell_seconds=300, total_seconds=1200)
    grade.set_defaults(run=run_grade)


def _add_run_options(command, cell_seconds, total_seconds):
    seconds = checked(float, lambda s: s > 0, "a positive number of seconds")
    command.add_argument("--timeout", type=seconds, default=cell_seconds,
                         help=f"seconds one cell may run (default {cell_seconds:g})")
    command.add_argument("--total", type=seconds, default=total_seconds,
                         help=f"seconds the whole notebook may run (default {total_seconds:g})")
    command.add_argument("--set", dest="parameters", action="append", default=[],
                         type=checked(_setting, bool, "NAME=VALUE"), metavar="NAME=VALUE",
                         help="a value set after the notebook's parameters cell, as papermill "
                              "does (e.g. --set QUICK=True); may be repeated")


def _fail(args, error):
    print(f"chainrule lab {args.action}: error: {error}", file=sys.stderr)
    return 2


def run_list(args):
    kit = _kit()
    try:
        labs = kit.find_labs(args.labs)
        for lab in labs:
            exercises = lab.exercises()
            total = sum(exercise.points for exercise in exercises)
            print(f"{lab.name}  ({len(exercises)} exercises, {total:g} points)")
            for exercise in exercises:
                print(f"    {exercise.grade_id:<28} {exercise.points:>4g}  {exercise.title}")
    except kit.LabError as error:
        return _fail(args, error)
    return 0


def run_release(args):
    kit = _kit()
    try:
        lab = kit.find_lab(args.lab, args.labs)
        path = kit.write_release(lab, pathlib.Path(args.out))
    except (kit.LabError, OSError) as error:
        return _fail(args, error)
    exercises = lab.exercises()
    print(f"wrote {path}: the student notebook of {lab.name} ({len(exercises)} exercises, "
          f"{sum(e.points for e in exercises):g} points; solutions stubbed, hidden tests removed)")
    return 0


def run_check(args):
    kit = _kit()
    limits = kit.Limits(args.timeout, args.total)
    try:
        checks = kit.check_notebook(args.notebook, limits, dict(args.parameters))
    except (ValueError, OSError, KeyError, TypeError, AttributeError) as error:
        # nbformat's reader raises these for files that are no notebook, or broken ones
        return _fail(args, f"cannot check {args.notebook}: {type(error).__name__}: {error}")
    title = None
    for check in checks:
        if check.title != title:
            title = check.title
            print(f"{title} ({check.exercise})")
        print(f"    {check.test}: {check.outcome}")
    passed = sum(check.outcome == "passed" for check in checks)
    print(f"\n{passed} of {len(checks)} visible tests pass"
          + ("" if passed == len(checks) else "; the hidden tests are run when it is graded"))
    return 0 if passed == len(checks) else 1


def run_grade(args):
    # A grading run stopped by SIGTERM unwinds like Ctrl-C: kernels shut down, scratch removed.
    previous = signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    try:
        return _grade(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _grade(args):
    kit = _kit()
    try:
        lab = kit.find_lab(args.lab, args.labs)
        source = lab.notebook()
    except kit.LabError as error:
        return _fail(args, error)
    missing = [path for path in args.submissions if not pathlib.Path(path).is_file()]
    if missing:
        return _fail(args, f"no such file: {', '.join(missing)}")
    resolved = [pathlib.Path(path).resolve() for path in args.submissions]
    repeated = sorted({str(p) for p in args.submissions
                       if resolved.count(pathlib.Path(p).resolve()) > 1})
    if repeated:
        return _fail(args, f"the same submission given twice: {', '.join(repeated)}")
    out = pathlib.Path(args.out or pathlib.Path("grades") / lab.name)
    try:
        kit.gradebook.prepare(out)   # before the work, so a bad --out costs nothing
    except OSError as error:
        return _fail(args, f"cannot write the results in {out}: {error}")
    limits = kit.Limits(args.timeout, args.total, args.memory)
    grades = []
    for path, student in zip(args.submissions, kit.student_names(args.submissions)):
        grade = kit.grade_submission(source, path, student, limits, dict(args.parameters))
        kit.gradebook.write_submission(grade, out)
        flag = "  (tampering noticed)" if grade.tampering else ""
        print(f"{student:<24} {grade.points:>5g} / {grade.max_points:g}   "
              f"{grade.seconds:5.1f} s{flag}", flush=True)
        grades.append(grade)
    kit.gradebook.write(grades, out)
    print(f"gradebook: {out / 'gradebook.csv'}; feedback: {out / 'feedback'}/; "
          f"executed notebooks (hidden tests shown): {out / 'executed'}/")
    return 0
