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
    threshold = _options["threshold"]
    formatter = None
    if array.dtype.kind == "f" and array.size:
        formatter = {"float_kind": _float_format(array, int(_options["precision"]))}
    return xp.array2string(
        array, separator=", ", prefix=prefix, formatter=formatter,
        threshold=xp.iinfo(xp.int64).max if threshold == float("inf") else int(threshold),
        edgeitems=int(_options["edgeitems"]), max_line_width=int(_options["linewidth"]))


def _float_format(array, precision):
    """torch's choice (torch/_tensor_str.py): whole numbers print as `2.`, other values with
    `precision` decimals, and scientific notation when the finite nonzero magnitudes span more
    than 1000x, exceed 1e8, or (for non-whole values) fall below 1e-4; sci_mode overrides."""
    finite = array[xp.isfinite(array)].astype(xp.float64)
    magnitudes = xp.abs(finite[finite != 0])
    whole = bool(xp.all(finite == xp.round(finite)))
    scientific = False
    if magnitudes.size:
        low, high = float(magnitudes.min()), float(magnitudes.max())
        scientific = high / low > 1000.0 or high > 1.0e8 or (not whole and low < 1.0e-4)
    if _options["sci_mode"] is not None:
        scientific = _options["sci_mode"]
    if scientific:
        def text(v):
            return f"{v:.{precision}e}"
    elif whole:
        def text(v):
            return f"{v:.0f}."
    else:
        def text(v):
            return f"{v:.{precision}f}"
    extremes = (finite.min(), finite.max(), magnitudes.min(), magnitudes.max()) \
        if magnitudes.size else (0.0,)
    width = max(len(text(float(v))) for v in extremes)   # the widest value, sign included
    if finite.size < array.size:   # nan, inf, -inf
        width = max(width, 4 if (array == -xp.inf).any() else 3)

    def element(v):
        return (text(float(v)) if xp.isfinite(v) else str(float(v))).rjust(width)
    return element
