"""`chainrule demo`: a short tour of the engine (backprop checked, an MLP fitted by hand)."""
import math
import time

import chainrule as cr


def demo(args):
    """A short tour: backprop checked against finite differences, then a small MLP fitted to
    noisy samples of sin(2πx) (the lecture's first data set) by plain gradient descent."""
    cr.manual_seed(args.seed)
    print("chainrule demo: reverse-mode autodiff on NumPy\n")
    check_backprop()
    fit_sine(args.steps, args.lr)


def check_backprop():
    """The gradient that backward computes is the chain rule; finite differences agree."""
    x = cr.randn(3, 4, dtype=cr.float64, requires_grad=True)
    w = cr.randn(4, 2, dtype=cr.float64, requires_grad=True)
    ok = cr.autograd.gradcheck(lambda x, w: (x @ w).tanh().sum(), (x, w))
    print(f"gradcheck of sum(tanh(x @ w)) against central differences: {'ok' if ok else 'FAILED'}")


def fit_sine(steps, lr, n=64, sizes=(1, 32, 32, 1)):
    """Fit a tanh MLP to t = sin(2πx) + ε, ε ~ N(0, 0.3²) (PRML §1.1), with the parameters and
    the momentum update written out by hand: the engine alone, no nn or optim."""
    inputs = cr.rand(n, 1)
    targets = (inputs * 2 * math.pi).sin() + 0.3 * cr.randn(n, 1)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / fan_in ** 0.5   # PyTorch's Linear initialisation range
        params += [((cr.rand(fan_in, fan_out) * 2 - 1) * bound).requires_grad_(),
                   ((cr.rand(fan_out) * 2 - 1) * bound).requires_grad_()]

    def model(h):
        for layer in range(0, len(params), 2):
            h = h @ params[layer] + params[layer + 1]
            if layer < len(params) - 2:
                h = h.tanh()
        return h

    velocity = [cr.zeros_like(p) for p in params]
    start = time.perf_counter()
    print(f"\nfitting an MLP {'-'.join(map(str, sizes))} to {n} noisy samples of sin(2πx):")
    for step in range(steps + 1):
        loss = ((model(inputs) - targets) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with cr.no_grad():   # SGD with momentum 0.9
            for p, v in zip(params, velocity):
                v.mul_(0.9).add_(p.grad)
                p -= lr * v
        if step % max(1, steps // 10) == 0:
            print(f"  step {step:5d}   mean squared error {loss.item():.4f}")
    elapsed = time.perf_counter() - start
    with cr.no_grad():
        grid = cr.linspace(0, 1, 101).reshape(101, 1)
        rms = (((model(grid) - (grid * 2 * math.pi).sin()) ** 2).mean() ** 0.5).item()
    print(f"\n{steps} training steps in {elapsed:.2f} s. The noise variance is 0.3² = 0.09;")
    print(f"RMS distance of the fitted curve from sin(2πx) on 101 grid points: {rms:.3f}")


def add_parser(commands):
    tour = commands.add_parser("demo", help="a short tour of the autodiff engine")
    tour.add_argument("--steps", type=int, default=3000)
    tour.add_argument("--lr", type=float, default=0.05)
    tour.add_argument("--seed", type=int, default=0)
    tour.set_defaults(run=demo)
