"""How tensors print: set_printoptions, as torch.set_printoptions (precision, threshold,
edgeitems, linewidth, profile, sci_mode), honoured by Tensor.__repr__."""
from chainrule.backend import xp

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": float("inf"), "edgeitems": 3, "linewidth": 80},
}
_options = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set how tensors print. profile ('default', 'short', 'full') resets every option first;
    the others change only what is given. sci_mode: True always scientific, False never, None
    (the default) chosen from the values, as torch does."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, "
                             f"got {profile!r}")
        _options.update(_PROFILES[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems,
             "linewidth": linewidth}
    for name, value in given.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise TypeError(f"set_printoptions: {name} must be a non-negative number, got "
                            f"{value!r}")
        _options[name] = value
    _options["sci_mode"] = sci_mode


def get_printoptions():
    """The current options, as a dict (torch keeps them in torch._tensor_str.PRINT_OPTS)."""
    return dict(_options)


def format_array(array, prefix):
    """The array's values as Tensor.__repr__ shows them, under the current options."""
    precision = int(_options["precision"])
    threshold = _options["threshold"]
    formatter = None
    if _options["sci_mode"] and array.dtype.kind == "f":
        formatter = {"float_kind": lambda v: f"{v:.{precision}e}"}
    return xp.array2string(
        array, separator=", ", prefix=prefix, precision=precision,
        threshold=xp.iinfo(xp.int64).max if threshold == float("inf") else int(threshold),
        edgeitems=int(_options["edgeitems"]), max_line_width=int(_options["linewidth"]),
        suppress_small=_options["sci_mode"] is False, formatter=formatter)
