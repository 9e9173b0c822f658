"""A Bayesian neural network for 1-D regression: a small tanh MLP whose weights are drawn from
the posterior by SGLD and HMC (chainrule.sample), against one network optimised by Adam. Data in
two clusters leave a gap, so the predictive band can show where the data say nothing."""
import dataclasses
import itertools
import math
import numbers
import time

from chainrule import creation
from chainrule.backend import float64, xp
from chainrule.data.dataset import TensorDataset
from chainrule.data.loader import DataLoader
from chainrule.nn.activation import Tanh
from chainrule.nn.container import Sequential
from chainrule.nn.linear import Linear
from chainrule.nn.utils.convert_parameters import parameters_to_vector
from chainrule.optim.adam import Adam
from chainrule.random import Generator, manual_seed
from chainrule.sample.hmc import hmc
from chainrule.sample.sgld import sgld

SIZES = (1, 20, 20, 1)
NOISE = 0.1          # σ of the targets' Gaussian noise, known to the model
PRIOR_STD = 1.0      # every weight and bias ~ N(0, 1) a priori
CLUSTERS = ((-2.0, -0.8), (0.8, 2.0))   # x of the data; (−0.8, 0.8) is the gap
WINDOW = (-3.5, 3.5)                     # the grid the band is drawn and measured on
SEED = 0


def truth(x):
    """The function the data come from: sin(2x)."""
    return xp.sin(2 * x)


def gap_data(n, seed=SEED, noise=NOISE):
    """n points, half in each cluster of CLUSTERS, t = sin(2x) + N(0, noise²); float64 (x, t)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"gap_data: n must be an int >= 2 (a point in each cluster), got {n!r}")
    rng = xp.random.default_rng(seed)
    halves = [rng.uniform(low, high, size) for (low, high), size in
              zip(CLUSTERS, (n // 2, n - n // 2))]
    x = xp.sort(xp.concatenate(halves))
    return x, truth(x) + noise * rng.standard_normal(n)


def region(x):
    """Which part of the x axis each point is in: 'data' (inside a cluster), 'gap' (between
    them) or 'outside' (beyond both)."""
    x = xp.asarray(x)
    inside = xp.zeros(x.shape, dtype=bool)
    for low, high in CLUSTERS:
        inside |= (x >= low) & (x <= high)
    between = (x > CLUSTERS[0][1]) & (x < CLUSTERS[1][0])
    return xp.where(inside, "data", xp.where(between, "gap", "outside"))


class FlatMLP:
    """The MLP SIZES with tanh between layers as a function of one flat weight vector w: the
    samplers draw w, so the network must be a function of it. The layout is that of
    parameters_to_vector(network().parameters()): each layer's weight (out, in) row by row, then
    its bias."""

    def __init__(self, sizes=SIZES):
        if len(sizes) < 2 or not all(isinstance(n, numbers.Integral) and n >= 1 for n in sizes):
            raise ValueError(f"FlatMLP: sizes must be two or more positive ints (input, ..., "
                             f"output), got {sizes!r}")
        self.sizes = tuple(sizes)
        self.shapes = [shape for fan_in, fan_out in itertools.pairwise(sizes)
                       for shape in ((fan_out, fan_in), (fan_out,))]
        self.size = sum(math.prod(shape) for shape in self.shapes)

    def network(self):
        """The same MLP as a chainrule.nn.Sequential in float64."""
        layers = []
        for index, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            layers += [Linear(fan_in, fan_out, dtype=float64)] + (
                [Tanh()] if index < len(self.sizes) - 2 else [])
        return Sequential(*layers)

    def __call__(self, w, x):
        """Outputs (N,) for inputs x (N,) (Tensors), with weights from w (size,)."""
        if tuple(w.shape) != (self.size,):
            raise ValueError(f"FlatMLP: w must have shape ({self.size},), got {tuple(w.shape)}")
        hidden, offset = x.reshape(-1, 1), 0
        for layer in range(len(self.sizes) - 1):
            fan_out, fan_in = self.shapes[2 * layer]
            weight = w[offset:offset + fan_out * fan_in].reshape(fan_out, fan_in)
            offset += fan_out * fan_in
            bias = w[offset:offset + fan_out]
            offset += fan_out
            hidden = hidden @ weight.T + bias
            if layer < len(self.sizes) - 2:
                hidden = hidden.tanh()
        return hidden.reshape(-1)


def log_prior(w):
    """log N(w | 0, PRIOR_STD² I) up to a constant."""
    return -0.5 * (w * w).sum() / PRIOR_STD ** 2


def log_likelihood(mlp, w, x, t):
    """Σ_n log N(t_n | mlp(w, x_n), NOISE²) up to a constant."""
    residual = mlp(w, x) - t
    return -0.5 * (residual * residual).sum() / NOISE ** 2


MAP_STEPS = 3000


def fit_map(mlp, x, t, steps=MAP_STEPS, lr=0.01, seed=SEED):
    """One network (mlp.network(), an nn.Sequential) optimised by Adam on the negative log
    posterior per point: squared error / (2σ²) plus the prior's weight decay, the MAP estimate.
    Returns its weights as one flat float64 array (mlp's layout)."""
    manual_seed(seed)
    model = mlp.network()
    inputs, targets = _tensor(x).reshape(-1, 1), _tensor(t)
    optimizer = Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        residual = model(inputs).reshape(-1) - targets
        weights = parameters_to_vector(model.parameters())
        loss = (0.5 * (residual * residual).sum() / NOISE ** 2 - log_prior(weights)) / len(x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return parameters_to_vector(model.parameters()).detach().numpy().copy()


def predict(mlp, draws, x):
    """mlp's outputs for each row of draws (S, size) at x: an array (S, len(x))."""
    inputs = _tensor(x)
    return xp.stack([mlp(_tensor(w), inputs).detach().numpy() for w in xp.atleast_2d(draws)])


def predictive(outputs, noise=NOISE):
    """The posterior predictive's mean and standard deviation from outputs (S, N) of S draws:
    the spread of the networks' outputs plus the targets' noise, sqrt(Var_s[y] + σ²)."""
    outputs = xp.asarray(outputs)
    if outputs.ndim != 2 or len(outputs) == 0:
        raise ValueError(f"predictive: outputs must have shape (draws, points) with at least "
                         f"one draw, got {outputs.shape}")
    return outputs.mean(axis=0), xp.sqrt(outputs.var(axis=0) + noise ** 2)


def band_widths(x, std):
    """The ±2σ band's mean width, 4·std, over each region of x ('data', 'gap', 'outside')."""
    std = xp.asarray(std)
    if xp.shape(x) != std.shape:
        raise ValueError(f"band_widths: x and std must have one shape, got {xp.shape(x)} and "
                         f"{std.shape}")
    where = region(x)
    return {name: float(4 * std[where == name].mean()) for name in ("data", "gap", "outside")
            if xp.any(where == name)}


def rmse(prediction, target):
    """The root mean square of prediction − target (arrays of one shape)."""
    prediction, target = xp.asarray(prediction), xp.asarray(target)
    if prediction.shape != target.shape:
        raise ValueError(f"rmse: prediction and target must have one shape, got "
                         f"{prediction.shape} and {target.shape}")
    return float(xp.sqrt(xp.mean((prediction - target) ** 2)))


def _tensor(values):
    return creation.tensor(xp.asarray(values, dtype=float64), dtype=float64)


# The samplers' settings, tuned once on this problem (seed 0) and fixed. HMC (Neal 2011 §4.2-4.3):
# ε = 3e-3 gave acceptance ≈ 0.8 (ε = 6e-3: none accepted; the sharpest direction of the
# posterior, set by 40 points of noise 0.1, is that narrow), L = 50 steps make a trajectory of
# length 0.15 that moves the weights by ~1 per draw. SGLD (Welling & Teh 2011): ε = 1e-5 on batches
# of 10; ε = 3e-5 and 1e-4 inflated the band inside the data 2x and 4x above HMC's (the bias of
# an un-corrected, mini-batch Langevin step grows with ε), 1e-5 agrees with HMC there.
HMC_STEP, HMC_LEAPFROGS, HMC_BURN_IN = 3e-3, 50, 50
SGLD_STEP, SGLD_BATCH, SGLD_BURN_IN, SGLD_THIN = 1e-5, 10, 1000, 25
N_TRAIN, N_TEST, SAMPLES = 40, 200, 300


@dataclasses.dataclass
class Method:
    """One way to predict: its predictive mean and std on the grid and at the test points, the
    time it took, and (samplers) the draws and HMC's acceptance rate."""
    name: str
    grid_mean: object
    grid_std: object
    test_mean: object
    seconds: float
    draws: object = None
    acceptance_rate: float = None


@dataclasses.dataclass
class Experiment:
    """One run: the network, the training and test data, the grid and the Methods compared."""
    mlp: FlatMLP
    x: object
    t: object
    x_test: object
    t_test: object
    grid: object
    methods: list

    def widths(self, method):
        """The method's band widths on the grid, by region (band_widths)."""
        return band_widths(self.grid, method.grid_std)

    def test_rmse(self, method):
        """RMSE of the method's predictive mean at the test points, against their targets."""
        return rmse(method.test_mean, self.t_test)

    def curves(self, method, count=15):
        """The outputs on the grid of `count` of the method's draws, evenly spaced in the chain."""
        chosen = method.draws[xp.linspace(0, len(method.draws) - 1, count).astype(int)]
        return predict(self.mlp, chosen, self.grid)

    def gap_rmse(self, method):
        """RMSE against sin(2x) in the gap, where no data constrain the network."""
        inside = region(self.grid) == "gap"
        return rmse(method.grid_mean[inside], truth(self.grid[inside]))


def run(n_samples=SAMPLES, seed=SEED, map_steps=MAP_STEPS, n_train=N_TRAIN, grid_points=281,
        report=None):
    """Adam's MAP network (map_steps steps), then SGLD and HMC started from its weights (the
    chains need no long walk from a random start); report(method) after each."""
    mlp = FlatMLP()
    x, t = gap_data(n_train, seed)
    x_test, t_test = gap_data(N_TEST, seed + 1)
    grid = xp.linspace(*WINDOW, grid_points)
    experiment = Experiment(mlp, x, t, x_test, t_test, grid, [])

    def add(name, draws, started, acceptance=None):
        grid_out, test_out = predict(mlp, draws, grid), predict(mlp, draws, x_test)
        mean, std = predictive(grid_out)
        experiment.methods.append(Method(name, mean, std, test_out.mean(axis=0),
                                         time.perf_counter() - started, draws, acceptance))
        if report:
            report(experiment.methods[-1])

    started = time.perf_counter()
    w_map = fit_map(mlp, x, t, steps=map_steps, seed=seed)
    add("Adam (point)", w_map[None], started)
    started = time.perf_counter()
    add("SGLD", _sgld(mlp, x, t, w_map, n_samples, seed).samples, started)
    started = time.perf_counter()
    draws = hmc(_log_posterior(mlp, x, t), w_map, n_samples, step_size=HMC_STEP,
                n_steps=HMC_LEAPFROGS, burn_in=HMC_BURN_IN, seed=seed)
    add("HMC", draws.samples, started, draws.acceptance_rate)
    return experiment


def _log_posterior(mlp, x, t):
    inputs, targets = _tensor(x), _tensor(t)
    return lambda w: log_prior(w) + log_likelihood(mlp, w, inputs, targets)


def _sgld(mlp, x, t, init, n_samples, seed):
    loader = DataLoader(TensorDataset(_tensor(x), _tensor(t)), batch_size=SGLD_BATCH,
                        shuffle=True, generator=Generator().manual_seed(seed))
    return sgld(log_prior, lambda w, batch: log_likelihood(mlp, w, *batch), init, loader,
                n_data=len(x), step_size=SGLD_STEP, n_samples=n_samples, burn_in=SGLD_BURN_IN,
                thin=SGLD_THIN, seed=seed)
