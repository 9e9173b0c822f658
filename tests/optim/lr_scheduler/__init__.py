"""Tests of chainrule.optim.lr_scheduler, one test module per module of the package:
test_<module>.py follows torch over the schedules of the schedulers <module>.py defines (their
table in schedules.py) and checks their own options and state; test_base.py tests what every
scheduler gets from base.py (state dicts, checkpoints, warnings, user subclasses)."""
