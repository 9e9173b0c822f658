"""The `chainrule` command: the demo runs, checks backprop and fits the curve."""
import re

from chainrule.cli import main


def test_demo_checks_backprop_and_fits_the_sine(capsys):
    main(["demo", "--steps", "400"])
    out = capsys.readouterr().out
    assert "against central differences: ok" in out
    rms = float(re.search(r"grid points: ([0-9.]+)", out).group(1))
    assert rms < 0.3   # the curve, not the noise (σ = 0.3) nor a flat line (RMS 0.71)
