"""Optimisers as paths on a map: chainrule.optim's SGD, SGD with momentum and Adam run from one
start on 2-D loss surfaces (an ill-conditioned quadratic, Rosenbrock's valley, Himmelblau's four
minima), each path recorded so that it can be drawn over the surface's contours."""
import dataclasses
import math

from chainrule import creation
from chainrule.backend import float64, xp
from chainrule.nn.parameter import Parameter
from chainrule.optim.adam import Adam
from chainrule.optim.sgd import SGD

STEPS = 1000
TOLERANCE = 1e-4   # "converged": f − f_min below this (f_min = 0 on every surface here)
OPTIMIZERS = ("SGD", "momentum", "Adam")
MOMENTUM = 0.9


def quadratic(x, y):
    """f = ½(x² + 100y²): condition number 100 (curvatures 1 and 100), minimum 0 at (0, 0)."""
    return 0.5 * (x * x + 100 * y * y)


def rosenbrock(x, y):
    """f = (1 − x)² + 100(y − x²)² (Rosenbrock 1960): a curved, flat-bottomed valley, minimum 0
    at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def himmelblau(x, y):
    """f = (x² + y − 11)² + (x + y² − 7)² (Himmelblau 1972): four minima of value 0, a maximum
    near (−0.27, −0.92) and four saddles between them."""
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


@dataclasses.dataclass(frozen=True)
class Surface:
    """A 2-D loss f(x, y) (written with operators only, so it takes Tensors and arrays alike),
    where the paths start, each optimiser's learning rate, the plotting window and the minima."""
    name: str
    func: object
    start: tuple
    rates: dict
    window: tuple              # (x_min, x_max, y_min, y_max)
    minima: tuple


# Learning rates. SGD's is set just below its stability limit 2/λ_max on the steepest part of
# the path (λ_max = 100 on the quadratic, ≈ 1506 at Rosenbrock's start (−1.2, 1)). Momentum 0.9
# multiplies a steady step by 1/(1 − 0.9) = 10; it keeps SGD's rate where the valley is curved
# (Rosenbrock, Himmelblau) and takes a quarter of it on the quadratic, where SGD's rate made it
# swing across the whole window (it still converges, Polyak 1964, but the picture is lost).
# Adam's rate is its step length (each coordinate moves at most ≈ lr per step, Kingma & Ba 2015
# §2.1), chosen to cross the window in about a hundred steps. Himmelblau's start (0, 0) lies
# between basins: where each optimiser ends up is part of the result.
SURFACES = (
    Surface("ill-conditioned quadratic", quadratic, (-4.5, 1.5),
            {"SGD": 0.019, "momentum": 0.005, "Adam": 0.3}, (-5, 5, -2, 2), ((0.0, 0.0),)),
    Surface("Rosenbrock", rosenbrock, (-1.2, 1.0),
            {"SGD": 1e-3, "momentum": 1e-3, "Adam": 0.1}, (-2, 2, -1, 3), ((1.0, 1.0),)),
    Surface("Himmelblau", himmelblau, (0.0, 0.0),
            {"SGD": 0.01, "momentum": 0.01, "Adam": 0.1}, (-5, 5, -5, 5),
            ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126))),
)


@dataclasses.dataclass
class Path:
    """One optimiser's run: points (steps + 1, 2) from the start, the loss at each point."""
    surface: str
    optimizer: str
    lr: float
    points: object
    losses: object

    @property
    def final_loss(self):
        return float(self.losses[-1])

    @property
    def steps_to_tolerance(self):
        """The first step whose loss is below TOLERANCE (f_min = 0), or None if none is."""
        below = xp.flatnonzero(self.losses < TOLERANCE)
        return int(below[0]) if below.size else None


def make_optimizer(name, parameters, lr):
    """chainrule.optim's SGD, SGD with momentum 0.9 (PyTorch's form) or Adam (default betas)."""
    if name == "SGD":
        return SGD(parameters, lr=lr)
    if name == "momentum":
        return SGD(parameters, lr=lr, momentum=MOMENTUM)
    if name == "Adam":
        return Adam(parameters, lr=lr)
    raise ValueError(f"make_optimizer: unknown optimizer {name!r}; expected one of "
                     f"{', '.join(OPTIMIZERS)}")


def run(func, start, optimizer, lr, steps=STEPS):
    """Minimise func(x, y) from start with the named optimiser for `steps` steps (float64);
    returns (points (steps + 1, 2), losses (steps + 1,)). A path that leaves the finite numbers
    stops there and its last loss is inf."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"trajectories.run: steps must be an int >= 1, got {steps!r}")
    if xp.shape(start) != (2,):
        raise ValueError(f"trajectories.run: start must be a point (x, y), got shape "
                         f"{xp.shape(start)}")
    point = Parameter(creation.tensor(xp.asarray(start, dtype=float64), dtype=float64))
    chosen = make_optimizer(optimizer, [point], lr)
    points, losses = [], []
    for _ in range(steps + 1):
        loss = func(point[0], point[1])
        points.append(point.detach().numpy().copy())
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            losses[-1] = math.inf
            break
        if len(points) == steps + 1:
            break
        chosen.zero_grad()
        loss.backward()
        chosen.step()
    return xp.stack(points), xp.asarray(losses)


def run_all(surfaces=SURFACES, steps=STEPS, report=None):
    """Every optimiser on every surface: a list of Paths, in order (report(path) after each)."""
    paths = []
    for surface in surfaces:
        for name in OPTIMIZERS:
            points, losses = run(surface.func, surface.start, name, surface.rates[name], steps)
            paths.append(Path(surface.name, name, surface.rates[name], points, losses))
            if report:
                report(paths[-1])
    return paths


def nearest_minimum(surface, point):
    """The index of surface's listed minimum closest to point (which basin a path ended in)."""
    distances = [math.dist(point, minimum) for minimum in surface.minima]
    return int(xp.argmin(xp.asarray(distances)))


def grid(surface, points=200):
    """(X, Y, F) on the surface's window: meshgrids and f there, for contour plots."""
    x_min, x_max, y_min, y_max = surface.window
    x, y = xp.meshgrid(xp.linspace(x_min, x_max, points), xp.linspace(y_min, y_max, points))
    return x, y, surface.func(x, y)
