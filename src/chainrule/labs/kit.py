"""The lab kit's entry points, gathered for `chainrule lab`, which imports this one module only
when it runs: the notebook libraries behind it (nbformat, nbclient, nbgrader) take seconds to
load, which no other command should pay."""
from chainrule.labs import gradebook
from chainrule.labs.check import check_notebook
from chainrule.labs.execute import Limits
from chainrule.labs.grade import grade_submission, student_names
from chainrule.labs.release import write_release
from chainrule.labs.source import LabError, find_lab, find_labs

__all__ = ["LabError", "Limits", "check_notebook", "find_lab", "find_labs", "grade_submission",
           "gradebook", "student_names", "write_release"]
