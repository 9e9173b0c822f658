# %% [markdown]
# # Lab 03: Training networks on MNIST-1D
#
# Lab 02 computed gradients; this lab uses them. We train small networks on **MNIST-1D**
# (Greydanus, *Scaling Down Deep Learning*, 2020): 40-point signals of the ten digits, small
# enough that a network trains in a second on a laptop, hard enough that the choices we make
# (optimizer, initialization, regularization, learning-rate schedule) show in the curves.
#
# 1. The training loop by hand: one step (forward, loss, `zero_grad`, `backward`, `step`) and
#    the accuracy.
# 2. The same loop in one call: `chainrule.train.fit`.
# 3. Optimizers: SGD, SGD with momentum (written by you) and Adam.
# 4. Initialization: why the scale of the first weights decides whether a deep network trains.
# 5. Over-fitting on a small training set, and three cures: weight decay, dropout (written by
#    you), early stopping (decided by you).
# 6. Learning-rate schedules: step decay and cosine annealing (written by you).
#
# Every exercise is a function whose body you write between the markers; the cell after it
# checks it. Seeds are fixed, so every run of this notebook gives the same numbers.

# %% tags=["parameters"] nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
QUICK = False   # the test suite runs every lab with QUICK = True (a cell injected after this one)

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import copy
import math
import os
import warnings

# One BLAS thread. This lab's matrices are small; on a busy machine several BLAS threads
# competing for the cores made it run 8x slower (179 s instead of 23 s, measured). The setting
# only takes effect if it comes before NumPy is loaded, which `import chainrule` does.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib.pyplot as plt

# The figures inline, whatever MPLBACKEND says (a headless run with MPLBACKEND=Agg draws none).
# %matplotlib inline

import chainrule as torch
from chainrule import nn
from chainrule.data import DataLoader, Subset, random_split
from chainrule.data.datasets import mnist1d_splits
from chainrule.labs.checks import check_close, check_equal, check_shape, check_true
from chainrule.models.mnist1d import MLP
from chainrule.nn import functional as F
from chainrule.optim.lr_scheduler import CosineAnnealingLR, StepLR
from chainrule.train import Callback, EarlyStopping, evaluate, fit
from chainrule.viz.history import history_figure

# Training lengths, in passes over the training set. QUICK only checks that every cell runs.
EPOCHS = 1 if QUICK else 20          # the 3000-signal runs: 30 steps of 100 an epoch
EPOCHS_INIT = 1 if QUICK else 15     # the deep networks of the initialization section
EPOCHS_SMALL = 2 if QUICK else 60    # the 1000-signal over-fitting runs: 20 steps of 50 an epoch
N_SMALL = 1000                       # the small training set of the over-fitting section

# %% nbgrader={"grade": false, "grade_id": "data", "locked": true, "schema_version": 3, "solution": false}
# MNIST-1D as the library makes it: 4000 training and 1000 test signals. We hold 1000 of the
# training signals out for validation (curves, early stopping) and touch the test set only once,
# at the end of the over-fitting section.
full_train, test_set = mnist1d_splits()
train_set, val_set = random_split(full_train, [3000, 1000],
                                  generator=torch.Generator().manual_seed(0))
val_loader = DataLoader(val_set, batch_size=1000)
test_loader = DataLoader(test_set, batch_size=1000)
X_val, Y_val = next(iter(val_loader))     # the whole validation set as two tensors
print(f"train {len(train_set)}, validation {len(val_set)}, test {len(test_set)}; "
      f"a signal has shape {tuple(X_val[0].shape)}")


class StepLog(Callback):
    """Records each step's training loss and learning rate (fit's history keeps only the
    evaluations)."""

    def __init__(self):
        self.loss, self.lr = [], []

    def on_step_end(self, run, logs):
        self.loss.append(logs["loss"])
        self.lr.append(logs["lr"])


def mlp(width, depth, p=0.0):
    """depth blocks Linear -> ReLU (-> Dropout(p) when p > 0), then Linear(width, 10)."""
    layers, inputs = [], 40
    for _ in range(depth):
        layers += [nn.Linear(inputs, width), nn.ReLU()] + ([nn.Dropout(p)] if p > 0 else [])
        inputs = width
    return nn.Sequential(*layers, nn.Linear(width, 10))


# %% nbgrader={"grade": false, "grade_id": "show_data", "locked": true, "schema_version": 3, "solution": false}
# Three training signals of each digit. The digits are templates that were shifted, scaled,
# sheared, smoothed and noised, so signals of one class differ a lot.
signals, labels = full_train.x, full_train.y
fig, axes = plt.subplots(2, 5, figsize=(12, 4.2), sharex=True, sharey=True, layout="constrained")
for digit, ax in enumerate(axes.flat):
    for signal in signals[labels == digit][:3]:
        ax.plot(signal, linewidth=1.2)
    ax.set_title(f"digit {digit}")
for ax in axes[1]:
    ax.set_xlabel("position")
fig.suptitle("MNIST-1D: three training signals per class")
plt.show()

# %% [markdown]
# ## 1. The training loop by hand
#
# A classifier outputs one **logit** per class; its prediction is the class of the largest
# logit. The **accuracy** is the fraction of samples whose prediction is their label.
#
# ### Exercise 1: the accuracy (2 points)
#
# Write `accuracy(logits, targets)`: `logits` has shape (N, C),
# `targets` holds N class indices. Return a Python float (`.item()`).

# %% nbgrader={"grade": false, "grade_id": "accuracy", "locked": false, "schema_version": 3, "solution": true}
def accuracy(logits, targets):
    """The fraction of rows of logits whose largest entry is at the target class, as a float."""
    ### BEGIN SOLUTION
    predictions = logits.argmax(dim=1)
    return (predictions == targets).float().mean().item()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "accuracy_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.5]])
check_close(accuracy(logits, torch.tensor([0, 1, 1])), 2 / 3,
            "accuracy with predictions [0, 1, 0] and targets [0, 1, 1]")
check_true(isinstance(accuracy(logits, torch.tensor([0, 1, 0])), float),
           "accuracy should return a Python float (call .item() on a one-element tensor)")
### BEGIN HIDDEN TESTS
torch.manual_seed(1)
logits = torch.randn(500, 10)
targets = torch.randint(0, 10, (500,))
check_close(accuracy(logits, targets), torch.train.accuracy(logits, targets),
            "accuracy of 500 random logits against chainrule.train.accuracy")
check_close(accuracy(logits, logits.argmax(dim=1)), 1.0, "accuracy when every prediction is right")
logits = torch.randn(7, 3, requires_grad=True)   # a model's output is part of a graph
targets = torch.tensor([0, 1, 2, 0, 1, 2, 0])
check_close(accuracy(logits, targets), torch.train.accuracy(logits, targets),
            "accuracy of logits that require grad")
### END HIDDEN TESTS

# %% [markdown]
# One **training step** on a batch (x, y) is five lines, the same in PyTorch and in chainrule:
#
# 1. put the model in training mode, `model.train()` (it matters for dropout, section 5);
# 2. forward: `loss = loss_fn(model(x), y)`;
# 3. `optimizer.zero_grad()`: gradients *accumulate* into `.grad`, so last step's must go;
# 4. `loss.backward()`: the chain rule of lab 02 fills every parameter's `.grad`;
# 5. `optimizer.step()`: each parameter moves against its gradient.
#
# ### Exercise 2: one training step (3 points)
#
# Write `train_step`; return the batch's loss as a Python float
# (the loss computed in step 2, before the parameters moved).

# %% nbgrader={"grade": false, "grade_id": "train_step", "locked": false, "schema_version": 3, "solution": true}
def train_step(model, loss_fn, optimizer, x, y):
    """One optimizer step on the batch (x, y); returns the batch's loss before the step."""
    ### BEGIN SOLUTION
    model.train()
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "train_step_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
x, y = X_val[:100], Y_val[:100]
torch.manual_seed(0)
model = nn.Linear(40, 10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
first = train_step(model, F.cross_entropy, optimizer, x, y)
check_true(isinstance(first, float), f"train_step should return a Python float, got {type(first)}")
check_close(first, math.log(10), "the first loss of a fresh linear model (about log 10)", rtol=0.2)
for _ in range(30):
    last = train_step(model, F.cross_entropy, optimizer, x, y)
check_true(last < first - 0.2, f"30 steps on one batch should lower its loss, went {first:.3f} "
           f"-> {last:.3f}; does train_step call optimizer.step()?")
### BEGIN HIDDEN TESTS
# The same steps, written out, on a copy: equal losses and parameters. SGD with momentum makes a
# gradient left over from the previous step (no zero_grad) change the result.
torch.manual_seed(2)
model = mlp(32, 2, p=0.5)
model.eval()   # train_step must switch dropout on
reference = copy.deepcopy(model)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
reference_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
for step in range(3):
    x, y = X_val[100 * step:100 * step + 100], Y_val[100 * step:100 * step + 100]
    torch.manual_seed(10 + step)
    got = train_step(model, F.cross_entropy, optimizer, x, y)
    torch.manual_seed(10 + step)   # the same dropout masks
    reference.train()
    loss = F.cross_entropy(reference(x), y)
    reference_optimizer.zero_grad()
    loss.backward()
    reference_optimizer.step()
    check_true(model.training, "train_step should put the model in training mode (model.train())")
    check_close(got, loss.item(), f"the loss train_step returned at step {step + 1} (the loss "
                "before the update, with the gradients zeroed before backward)")
for (name, parameter), expected in zip(model.named_parameters(), reference.parameters()):
    check_close(parameter, expected, f"parameter {name} after 3 steps", rtol=1e-5, atol=1e-7)
### END HIDDEN TESTS

# %% [markdown]
# Now the whole loop: an **epoch** is one pass over the training set in shuffled batches of 100;
# after each we measure the accuracy on the validation set, in evaluation mode and without
# recording a graph (`torch.no_grad()`), since nothing will be differentiated. The model is the
# paper's MLP (40 → 100 → 100 → 10, 15,210 parameters), trained with SGD and momentum.

# %% nbgrader={"grade": false, "grade_id": "loop_by_hand", "locked": true, "schema_version": 3, "solution": false}
torch.manual_seed(0)
model = MLP(hidden=100)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
train_loader = DataLoader(train_set, batch_size=100, shuffle=True)
step_losses, val_accuracies = [], []
for epoch in range(EPOCHS):
    for x, y in train_loader:
        step_losses.append(train_step(model, F.cross_entropy, optimizer, x, y))
    model.eval()
    with torch.no_grad():
        val_accuracies.append(accuracy(model(X_val), Y_val))
print(f"by hand: validation accuracy after {EPOCHS} epochs {val_accuracies[-1]:.4f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
left.plot(step_losses, linewidth=0.8)
left.set(xlabel="step", ylabel="training loss (one batch)", title="loss of each step")
right.plot(range(1, EPOCHS + 1), [100 * a for a in val_accuracies], marker="o")
right.set(xlabel="epoch", ylabel="validation accuracy (%)", title="after each epoch")
plt.show()

# %% [markdown]
# ## 2. The same loop with `chainrule.train.fit`
#
# `fit(model, loss_fn, optimizer, train_loader, val_loader, epochs=...)` runs exactly the step
# you wrote, evaluates on `val_loader` after each epoch and returns a `History`, one record per
# evaluation. It also refuses a NaN loss before applying it, and it calls **callbacks** at each
# step and evaluation (we use them below to log every step's loss and to stop early).
#
# Same seed, same model, same optimizer, same shuffling: the numbers below should be your
# loop's to the last digit.

# %% nbgrader={"grade": false, "grade_id": "loop_with_fit", "locked": true, "schema_version": 3, "solution": false}
torch.manual_seed(0)
model = MLP(hidden=100)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
train_loader = DataLoader(train_set, batch_size=100, shuffle=True)
history = fit(model, F.cross_entropy, optimizer, train_loader, val_loader, epochs=EPOCHS)
print(f"fit: validation accuracy after {EPOCHS} epochs {history[-1]['val_accuracy']:.4f}")
print(history[-1])
history_figure(history, title="MLP, SGD with momentum: fit's history (one record per epoch)")

# %% [markdown]
# ## 3. Optimizers: SGD, momentum, Adam
#
# Plain SGD moves each parameter by −lr · g. **Momentum** (the heavy ball) keeps a velocity v,
# a running sum of past gradients, and moves along it:
#
#     v ← μ · v + g
#     p ← p − lr · v
#
# Along a direction where the gradient keeps its sign, v grows to g / (1 − μ) (ten times g at
# μ = 0.9); where it flips sign from step to step, the terms cancel. This is PyTorch's form
# (`torch.optim.SGD(momentum=μ)`), and chainrule's.
#
# ### Exercise 3: SGD with momentum (3 points)
#
# Write `momentum_step(parameters, velocities, lr, momentum)`: one
# update of every parameter p (its gradient is `p.grad`) and its velocity v (a tensor of p's
# shape, zeros at the start). Change both *in place* (`v.mul_(...)`, `v.add_(...)`,
# `p.sub_(...)`) inside `with torch.no_grad():`, so that no graph is recorded.

# %% nbgrader={"grade": false, "grade_id": "momentum_step", "locked": false, "schema_version": 3, "solution": true}
def momentum_step(parameters, velocities, lr, momentum):
    """SGD with momentum: v <- momentum * v + p.grad, then p <- p - lr * v, in place."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        for parameter, velocity in zip(parameters, velocities):
            velocity.mul_(momentum).add_(parameter.grad)
            parameter.sub_(lr * velocity)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "momentum_step_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# f(p) = p², so g = 2p. From p = 1, v = 0 with lr 0.1, momentum 0.9:
# step 1: v = 2, p = 0.8; step 2: g = 1.6, v = 0.9 * 2 + 1.6 = 3.4, p = 0.8 - 0.34 = 0.46.
p = torch.tensor([1.0], requires_grad=True)
v = torch.zeros(1)
for expected_v, expected_p in ((2.0, 0.8), (3.4, 0.46)):
    p.grad = None
    (p ** 2).sum().backward()
    momentum_step([p], [v], lr=0.1, momentum=0.9)
    check_close(v, [expected_v], "the velocity after a step on f(p) = p^2")
    check_close(p.detach(), [expected_p], "the parameter after a step on f(p) = p^2")
### BEGIN HIDDEN TESTS
for mu in (0.9, 0.0):
    torch.manual_seed(3)
    model = MLP(hidden=16)
    reference = copy.deepcopy(model)
    parameters = list(model.parameters())
    velocities = [torch.zeros_like(q) for q in parameters]
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.05, momentum=mu)
    for step in range(5):
        x, y = X_val[50 * step:50 * step + 50], Y_val[50 * step:50 * step + 50]
        for parameter in parameters:
            parameter.grad = None
        F.cross_entropy(model(x), y).backward()
        momentum_step(parameters, velocities, lr=0.05, momentum=mu)
        optimizer.zero_grad()
        F.cross_entropy(reference(x), y).backward()
        optimizer.step()
    for (name, parameter), expected in zip(model.named_parameters(), reference.parameters()):
        check_close(parameter, expected, f"{name} after 5 steps, momentum {mu}, against "
                    "chainrule.optim.SGD", rtol=1e-5, atol=1e-7)
    check_true(all(q.grad_fn is None for q in parameters),
               "the parameters should be updated under torch.no_grad() (no graph recorded)")
### END HIDDEN TESTS

# %% [markdown]
# **Adam** (Kingma & Ba, 2015) keeps, per parameter, running means of g and of g² and moves by
# the first over the square root of the second: each coordinate gets its own step size, about
# lr whatever the gradient's scale. Below the three train the same MLP from the same initial
# weights. SGD and momentum share lr = 0.05 (momentum's effective step is ten times larger);
# Adam uses its usual lr = 10⁻³. The training loss is averaged over every 10 steps.

# %% nbgrader={"grade": false, "grade_id": "optimizers", "locked": true, "schema_version": 3, "solution": false}
OPTIMIZERS = {
    "SGD, lr 0.05": lambda params: torch.optim.SGD(params, lr=0.05),
    "SGD + momentum 0.9, lr 0.05": lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9),
    "Adam, lr 1e-3": lambda params: torch.optim.Adam(params, lr=1e-3),
}
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for name, make_optimizer in OPTIMIZERS.items():
    torch.manual_seed(0)
    model = MLP(hidden=100)
    train_loader = DataLoader(train_set, batch_size=100, shuffle=True)
    history = fit(model, F.cross_entropy, make_optimizer(model.parameters()), train_loader,
                  val_loader, steps=EPOCHS * len(train_loader), eval_every=10)
    left.plot(history["step"], history["train_loss"], label=name)
    right.plot(history["step"], [100 * a for a in history["val_accuracy"]], label=name)
    print(f"{name:30s} validation accuracy {history[-1]['val_accuracy']:.3f}")
left.set(xlabel="step", ylabel="training loss (mean of 10 steps)", title="training loss")
right.set(xlabel="step", ylabel="validation accuracy (%)", title="validation accuracy")
left.legend()
right.legend()
plt.show()

# %% [markdown]
# ## 4. Initialization: the scale of the first weights
#
# A layer y = W x + b with W's entries drawn with standard deviation σ multiplies the variance of
# its input by about fan_in · σ² (fan_in: the number of inputs); ReLU then halves it. So across
# many layers the activations shrink to nothing when fan_in · σ² < 2 and blow up when it is
# larger: the gradients follow. **He initialization** (He et al., 2015) picks
# σ = gain / √fan_in with gain = √2, which keeps the variance constant through ReLU layers.
#
# ### Exercise 4: initialization at a given scale (3 points)
#
# Write `init_mlp_(model, gain)`: for every `nn.Linear` among
# `model.modules()`, draw its weight from a normal distribution with mean 0 and standard
# deviation gain / √fan_in (fan_in = `layer.in_features`; draw with `torch.randn`, the global
# generator) and set its bias to zero. Change the tensors in place under `torch.no_grad()`
# (`weight.copy_(...)`, `bias.zero_()`) and return the model.

# %% nbgrader={"grade": false, "grade_id": "init_mlp", "locked": false, "schema_version": 3, "solution": true}
def init_mlp_(model, gain):
    """Every Linear layer: weight ~ N(0, (gain / sqrt(fan_in))^2), bias = 0. Returns model."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                std = gain / math.sqrt(layer.in_features)
                layer.weight.copy_(torch.randn(*layer.weight.shape) * std)
                layer.bias.zero_()
    return model
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "init_mlp_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(400, 300), nn.ReLU(), nn.Linear(300, 10))
check_true(init_mlp_(model, 2.0) is model, "init_mlp_ should return the model it changed")
check_close(model[0].weight.std().item(), 2.0 / math.sqrt(400),
            "the standard deviation of Linear(400, 300)'s weight at gain 2", rtol=0.05)
check_close(model[2].bias, torch.zeros(10), "the last layer's bias")
### BEGIN HIDDEN TESTS
torch.manual_seed(4)
inner = nn.Sequential(nn.Linear(1000, 50), nn.ReLU())
model = nn.Sequential(inner, nn.Linear(50, 7))
init_mlp_(model, 3.0)
weight = inner[0].weight.detach()
std = 3.0 / math.sqrt(1000)   # fan_in, not fan_out (50)
check_close(weight.std().item(), std, "std of a nested Linear(1000, 50) at gain 3", rtol=0.05)
check_true(abs(weight.mean().item()) < 0.03 * std, "the weights should have mean 0")
# A normal puts 68.3 % of its draws within one standard deviation, a uniform 57.7 %.
within = (weight.abs() < std).float().mean().item()
check_true(0.66 < within < 0.70, f"{within:.3f} of the weights lie within one std: draw them "
           "from a normal distribution (torch.randn), not a uniform one")
check_close(model[1].weight.std().item(), 3.0 / math.sqrt(50), "std of the outer Linear(50, 7)",
            rtol=0.2)
check_close(inner[0].bias, torch.zeros(50), "a nested layer's bias")
torch.manual_seed(5)
first = init_mlp_(mlp(20, 2), 1.0).state_dict()
torch.manual_seed(5)
second = init_mlp_(mlp(20, 2), 1.0).state_dict()
for name in first:
    check_close(second[name], first[name], f"{name}: the same seed should give the same weights")
check_true(all(q.grad_fn is None and q.requires_grad for q in model.parameters()),
           "the weights should stay leaf parameters (change them in place under no_grad)")
### END HIDDEN TESTS

# %% [markdown]
# Below: a deep MLP (six hidden layers of 100) initialized at three gains. Left, the standard
# deviation of each hidden layer's activations at initialization, for 1000 validation signals;
# right, the training loss under SGD with momentum. A loss that becomes NaN or infinite stops
# `fit` (it raises FloatingPointError before the step is applied); we catch it and say so.

# %% nbgrader={"grade": false, "grade_id": "init_scale", "locked": true, "schema_version": 3, "solution": false}
GAINS = {"too small (0.5)": 0.5, "He (√2)": math.sqrt(2), "too large (3)": 3.0}
LOSS_TOP = 100.0
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for name, gain in GAINS.items():
    torch.manual_seed(0)
    model = init_mlp_(mlp(100, 6), gain)
    stds, h = [], X_val
    with torch.no_grad():
        for layer in model:
            h = layer(h)
            if isinstance(layer, nn.ReLU):
                stds.append(h.std().item())
    left.semilogy(range(1, len(stds) + 1), stds, marker="o", label=name)
    log = StepLog()
    train_loader = DataLoader(train_set, batch_size=100, shuffle=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    try:
        with warnings.catch_warnings():   # NumPy's overflow warnings, before fit's own error
            warnings.simplefilter("ignore", RuntimeWarning)
            fit(model, F.cross_entropy, optimizer, train_loader, epochs=EPOCHS_INIT,
                callbacks=[log])
        outcome = f"final validation accuracy {evaluate(model, val_loader)['accuracy']:.3f}"
        diverged = False
    except FloatingPointError:
        outcome = f"diverged: the loss was not finite at step {len(log.loss) + 1}"
        diverged = True
    # Losses above LOSS_TOP are drawn at LOSS_TOP, so the others stay readable.
    shown = [min(loss, LOSS_TOP) for loss in log.loss]
    line, = right.semilogy(range(1, len(shown) + 1), shown, linewidth=0.8, label=name)
    if diverged:   # mark the last finite loss: the next one was NaN or infinite
        right.plot(len(shown), shown[-1], "x", color=line.get_color(), markersize=10,
                   markeredgewidth=2, label=f"{name}: {log.loss[-1]:.0e} at step {len(shown)}, "
                   "then not finite")
    print(f"gain {name:16s} activation std by layer {[round(s, 4) for s in stds]}; {outcome}")
left.set(xlabel="hidden layer", ylabel="std of the activations", title="at initialization")
right.set(xlabel="step", ylabel="training loss (one batch)", ylim=(0.2, 1.5 * LOSS_TOP),
          title=f"training (losses above {LOSS_TOP:g} drawn at {LOSS_TOP:g})")
left.legend()
right.legend()
plt.show()

# %% [markdown]
# ## 5. Over-fitting and its cures
#
# With 1000 training signals and a wide MLP (two hidden layers of 256, 78,858 parameters), the
# network can learn its training set by heart: the training loss falls towards 0 while the
# validation loss, after a first descent, climbs. The model becomes *confidently* wrong on new
# signals. Three cures, each a way to prefer simpler functions:
#
# - **weight decay** (L2 regularization, as the curve-fitting lecture's penalty λ/2 · ‖w‖²):
#   `weight_decay=λ` adds λ · w to each gradient;
# - **dropout** (Srivastava et al., 2014): in training, each hidden unit is zeroed with
#   probability p, so no unit can rely on a particular other one;
# - **early stopping**: keep the weights of the epoch with the lowest validation loss and stop
#   when it has not improved for a while.
#
# ### Exercise 5: inverted dropout (3 points)
#
# Write `dropout(x, p, training)`, *inverted* dropout as PyTorch
# does it: in training, keep each entry with probability 1 − p (draw with `torch.rand_like`) and
# divide the kept ones by 1 − p, so that the expected output is x; when not training (or with
# p = 0) return x unchanged. Assume 0 ≤ p < 1. The result must stay differentiable in x.

# %% nbgrader={"grade": false, "grade_id": "dropout", "locked": false, "schema_version": 3, "solution": true}
def dropout(x, p, training=True):
    """Inverted dropout: x * mask / (1 - p), mask ~ Bernoulli(1 - p); x itself when not training."""
    ### BEGIN SOLUTION
    if not training or p == 0:
        return x
    mask = (torch.rand_like(x) >= p).float()   # keep with probability 1 - p
    return x * mask / (1 - p)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "dropout_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
torch.manual_seed(0)
x = torch.ones(1000)
check_close(dropout(x, 0.5, training=False), x, "dropout when not training")
y = dropout(x, 0.5)
check_shape(y, (1000,), "dropout(ones(1000), 0.5)")
check_true(bool(((y == 0) | (y == 2)).all()),
           "with p = 0.5 each entry of dropout(ones) should be 0 or 1 / (1 - 0.5) = 2")
check_true(300 < int((y == 0).sum().item()) < 700, "about half of the entries should be zeroed")
### BEGIN HIDDEN TESTS
torch.manual_seed(6)
x = torch.ones(200, 500)
y = dropout(x, 0.3)
zeroed = (y == 0).float().mean().item()
check_true(abs(zeroed - 0.3) < 0.01, f"with p = 0.3, {zeroed:.4f} of the entries were zeroed, "
           "expected about 0.3 (each is zeroed with probability p)")
check_close(y[y != 0], torch.full(((y != 0).sum().item(),), 1 / 0.7),
            "the kept entries, scaled by 1 / (1 - p)", rtol=1e-5)
check_close(y.mean().item(), 1.0, "the mean of dropout(ones): dropout keeps the mean", atol=0.02)
check_true(not bool((dropout(x, 0.3) == y).all()), "each call should draw a new mask")
check_close(dropout(x, 0.0), x, "dropout with p = 0")
z = torch.randn(50, 40, requires_grad=True)
out = dropout(z, 0.25)
out.sum().backward()
kept = (out != 0).float()
check_close(z.grad, kept / 0.75, "the gradient of dropout: mask / (1 - p)")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 6: when to stop early (4 points)
#
# Early stopping's decision. `EarlyStopper.step(val_loss)` is called
# once per evaluation, in order, and returns True when training should stop: when `patience`
# evaluations in a row have not improved on the best loss so far by more than `min_delta`
# (an improvement is `val_loss < best - min_delta`; the first value always improves; a NaN never
# does). Keep `self.best` (the best loss so far) and `self.best_epoch` (the index, counting from
# 0, of the call that gave it); an improvement resets the count. This is what
# `chainrule.train.EarlyStopping` decides after each evaluation of `fit`.

# %% nbgrader={"grade": false, "grade_id": "early_stopper", "locked": false, "schema_version": 3, "solution": true}
class EarlyStopper:
    """Says when to stop from the validation losses, given one by one to step()."""

    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best, self.best_epoch = None, None
        self.epoch = -1   # the index of the last call to step
        self.wait = 0     # evaluations in a row without improvement

    def step(self, val_loss):
        """Record one validation loss; True when training should stop."""
        ### BEGIN SOLUTION
        self.epoch += 1
        if not math.isnan(val_loss) and (self.best is None
                                         or val_loss < self.best - self.min_delta):
            self.best, self.best_epoch, self.wait = val_loss, self.epoch, 0
            return False
        self.wait += 1
        return self.wait >= self.patience
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "early_stopper_tests", "locked": true, "points": 4, "schema_version": 3, "solution": false}
stopper = EarlyStopper(patience=3)
decisions = [stopper.step(loss) for loss in [1.0, 0.9, 0.95, 0.97, 0.99]]
check_equal(decisions, [False, False, False, False, True],
            "step() on losses 1.0, 0.9, 0.95, 0.97, 0.99 with patience 3")
check_equal((stopper.best, stopper.best_epoch), (0.9, 1), "(best, best_epoch) after them")
### BEGIN HIDDEN TESTS
from types import SimpleNamespace


def library_decisions(losses, patience, min_delta):
    """chainrule.train.EarlyStopping's decision after each loss, until the first stop."""
    callback = EarlyStopping(patience=patience, min_delta=min_delta, restore_best_weights=False)
    run = SimpleNamespace(step=0, stop=False, model=None)
    callback.on_fit_start(run)
    decisions = []
    for index, loss in enumerate(losses):
        run.step = index
        callback.on_evaluate(run, {"val_loss": loss})
        decisions.append(run.stop)
        if run.stop:
            break
    return decisions, callback.best, callback.best_step


nan = float("nan")
CASES = [   # (losses, patience, min_delta): edge cases first
    ([1.0, 0.5, 0.5, 0.5, 0.5], 3, 0.0),           # a tie is no improvement
    ([1.0, 0.98, 0.97, 0.965, 0.9], 3, 0.04),      # nor is a gain of min_delta or less
    ([1.0, 0.9, nan, 0.95, 0.8], 2, 0.0),          # a NaN never improves ...
    ([nan, 1.0, 1.1, 1.2, 1.3], 2, 0.0),           # ... not even as the first value
    ([2.0, 1.0, 1.5, 0.5, 0.6, 0.7, 0.4], 2, 0.0),  # an improvement resets the count
]
torch.manual_seed(7)
t = torch.linspace(0, 1, 40)
for case in range(8):
    # a loss curve that falls, then rises, with noise
    losses = (1 + 2 * (t - 0.4) ** 2 + 0.05 * torch.randn(40)).tolist()
    CASES.append((losses, 1 + case % 4, (0.0, 0.02)[case // 4]))
for losses, patience, min_delta in CASES:
    expected, best, best_epoch = library_decisions(losses, patience, min_delta)
    stopper = EarlyStopper(patience=patience, min_delta=min_delta)
    got = [stopper.step(loss) for loss in losses[:len(expected)]]
    what = f"patience {patience}, min_delta {min_delta}, losses {[round(v, 3) for v in losses]}"
    check_equal(got, expected, f"the decisions against chainrule.train.EarlyStopping ({what})")
    check_close(stopper.best, best, f"best ({what})")
    check_equal(stopper.best_epoch, best_epoch, f"best_epoch ({what})")
### END HIDDEN TESTS

# %% [markdown]
# The four runs below train the wide MLP on the 1000-signal training set with Adam (lr 10⁻³):
# without a cure; with weight decay λ = 10⁻²; with dropout p = 0.5 after each hidden layer
# (`nn.Dropout`, which does what your `dropout` does); and with early stopping
# (`EarlyStopping(patience=10)`, which puts back the best epoch's weights at the end).

# %% nbgrader={"grade": false, "grade_id": "overfitting", "locked": true, "schema_version": 3, "solution": false}
small_set = Subset(train_set, range(N_SMALL))
small_loader = DataLoader(small_set, batch_size=50, shuffle=True)
CURES = {   # name: (dropout p, weight decay, patience of early stopping or None)
    "no cure": (0.0, 0.0, None),
    "weight decay 1e-2": (0.0, 1e-2, None),
    "dropout 0.5": (0.5, 0.0, None),
    "early stopping": (0.0, 0.0, 10),
}
histories, test_results, early_stopping = {}, {}, None
for name, (p, weight_decay, patience) in CURES.items():
    torch.manual_seed(0)
    model = mlp(256, 2, p)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    callbacks = []
    if patience:
        early_stopping = EarlyStopping(patience=patience)
        callbacks.append(early_stopping)
    histories[name] = fit(model, F.cross_entropy, optimizer, small_loader, val_loader,
                          epochs=EPOCHS_SMALL, callbacks=callbacks)
    test_results[name] = evaluate(model, test_loader, F.cross_entropy)

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
plain = histories["no cure"]
left.plot(plain["epoch"], plain["train_loss"], label="training")
left.plot(plain["epoch"], plain["val_loss"], label="validation")
left.set(xlabel="epoch", ylabel="loss", title=f"no cure: over-fitting {N_SMALL} signals")
for name, history in histories.items():
    line, = right.plot(history["epoch"], history["val_loss"], label=name)
    if CURES[name][2]:   # early stopping: mark the epoch whose weights were kept
        best = min(range(len(history)), key=lambda i: history["val_loss"][i])
        right.plot(history["epoch"][best], history["val_loss"][best], "o", color=line.get_color(),
                   markersize=8, label="early stopping: weights kept")
right.set(xlabel="epoch", ylabel="validation loss", title="validation loss with each cure")
left.legend()
right.legend()
plt.show()
# The test set, once: the model each run ends with (early stopping's: its best epoch's weights).
print(f"{'':18s} {'epochs':>6s} {'train loss':>10s} {'best val loss (epoch)':>21s} "
      f"{'test loss':>9s} {'test accuracy':>13s}")
for name, history in histories.items():
    best = min(range(len(history)), key=lambda i: history["val_loss"][i])
    print(f"{name:18s} {history[-1]['epoch']:6d} {history[-1]['train_loss']:10.3f} "
          f"{history['val_loss'][best]:14.3f} ({history['epoch'][best]:3d}) "
          f"{test_results[name]['loss']:9.3f} {test_results[name]['accuracy']:13.3f}")

# %% [markdown]
# Read the table with care. Every cure lowers the test loss a lot. Early stopping keeps the
# weights of the epoch with the lowest validation loss, yet its test *accuracy* need not beat
# the over-fitted network's: after that epoch the network still gets a few more signals right
# while it grows over-confident on those it gets wrong, which the loss punishes and the accuracy
# does not see. Stop on what you care about (`EarlyStopping(monitor="val_accuracy", mode="max")`
# for the accuracy).
#
# Your `EarlyStopper`, given the validation losses of the run without a cure, should stop where
# `EarlyStopping` stopped the fourth run (same seed, same data, same losses up to there).

# %% nbgrader={"grade": false, "grade_id": "your_early_stopping", "locked": true, "schema_version": 3, "solution": false}
stopper = EarlyStopper(patience=10)
stop_epoch = next((index + 1 for index, loss in enumerate(plain["val_loss"])
                   if stopper.step(loss)), None)
print(f"EarlyStopper: stop after epoch {stop_epoch}, best epoch {stopper.best_epoch + 1}")
stopped = early_stopping.stopped_step
print(f"EarlyStopping in fit: stop after epoch {stopped and stopped // len(small_loader)}, "
      f"best epoch {early_stopping.best_step // len(small_loader)}")

# %% [markdown]
# ## 6. Learning-rate schedules
#
# A large learning rate makes fast progress early; near a minimum it makes the parameters
# rattle around it, and a smaller one lets them settle. A **schedule** lowers the rate as
# training goes: **step decay** multiplies it by γ every so many steps (`StepLR`); **cosine
# annealing** (Loshchilov & Hutter, 2017) follows half a cosine from lr_max down to lr_min over
# the T steps of training:
#
#     lr(t) = lr_min + (lr_max − lr_min) · (1 + cos(π t / T)) / 2,   0 ≤ t ≤ T.
#
# ### Exercise 7: the cosine schedule (2 points)
#
# Write `cosine_lr(step, total_steps, lr_max, lr_min=0.0)`, the
# formula above, returning a float.

# %% nbgrader={"grade": false, "grade_id": "cosine_lr", "locked": false, "schema_version": 3, "solution": true}
def cosine_lr(step, total_steps, lr_max, lr_min=0.0):
    """The cosine-annealed learning rate at step (0 <= step <= total_steps)."""
    ### BEGIN SOLUTION
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * step / total_steps)) / 2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "cosine_lr_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check_close(cosine_lr(0, 100, 0.1), 0.1, "cosine_lr at step 0 (lr_max)")
check_close(cosine_lr(100, 100, 0.1), 0.0, "cosine_lr at the last step (lr_min)", atol=1e-12)
check_close(cosine_lr(50, 100, 0.1), 0.05, "cosine_lr half way")
### BEGIN HIDDEN TESTS
parameter = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([parameter], lr=0.3)
scheduler = CosineAnnealingLR(optimizer, T_max=37, eta_min=0.01)
expected = []
for _ in range(38):
    expected.append(optimizer.param_groups[0]["lr"])
    optimizer.step()
    scheduler.step()
check_close([cosine_lr(t, 37, 0.3, 0.01) for t in range(38)], expected,
            "cosine_lr(t, 37, 0.3, 0.01) against chainrule's CosineAnnealingLR", rtol=1e-6)
check_close(cosine_lr(37, 37, 0.3, 0.01), 0.01, "the last step reaches lr_min")
check_true(isinstance(cosine_lr(3, 10, 1.0), float), "cosine_lr should return a float")
### END HIDDEN TESTS

# %% [markdown]
# Three runs of the paper's MLP with SGD and momentum from a high rate, lr = 0.2: kept
# constant, step decay (×0.1 half way) and cosine annealing to 0. The schedulers step once per
# optimizer step, so their periods are counted in steps. The training loss at the end is measured
# on the whole training set, in evaluation mode.

# %% nbgrader={"grade": false, "grade_id": "schedules", "locked": true, "schema_version": 3, "solution": false}
total_steps = EPOCHS * math.ceil(len(train_set) / 100)
SCHEDULES = {
    "constant": lambda optimizer: None,
    "step decay": lambda optimizer: StepLR(optimizer, step_size=total_steps // 2, gamma=0.1),
    "cosine": lambda optimizer: CosineAnnealingLR(optimizer, T_max=total_steps),
}
schedule_logs = {}
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), layout="constrained")
for name, make_scheduler in SCHEDULES.items():
    torch.manual_seed(0)
    model = MLP(hidden=100)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    log = schedule_logs[name] = StepLog()
    history = fit(model, F.cross_entropy, optimizer,
                  DataLoader(train_set, batch_size=100, shuffle=True), val_loader,
                  steps=total_steps, eval_every=10, scheduler=make_scheduler(optimizer),
                  callbacks=[log])
    axes[0].plot(log.lr, label=name)
    axes[1].plot(history["step"], history["train_loss"], label=name)
    axes[2].plot(history["step"], [100 * a for a in history["val_accuracy"]], label=name)
    final_train = evaluate(model, DataLoader(train_set, batch_size=1000), F.cross_entropy)
    print(f"{name:10s} at the end: training loss {final_train['loss']:.3f}, validation "
          f"accuracy {history[-1]['val_accuracy']:.3f}")
axes[0].set(xlabel="step", ylabel="learning rate", title="the schedule")
axes[1].set(xlabel="step", ylabel="training loss (mean of 10 steps)", title="training loss",
            yscale="log")
axes[2].set(xlabel="step", ylabel="validation accuracy (%)", title="validation accuracy")
for ax in axes:
    ax.legend()
plt.show()

# %% [markdown]
# Your `cosine_lr` against the rates `CosineAnnealingLR` gave the cosine run, step by step:

# %% nbgrader={"grade": false, "grade_id": "your_schedule", "locked": true, "schema_version": 3, "solution": false}
recorded = schedule_logs["cosine"].lr
yours = [cosine_lr(t, total_steps, 0.2) for t in range(len(recorded))]
plt.figure(figsize=(6, 3.5))
plt.plot(recorded, linewidth=4, alpha=0.4, label="CosineAnnealingLR (recorded by fit)")
plt.plot(yours, "--", label="your cosine_lr")
plt.xlabel("step")
plt.ylabel("learning rate")
plt.legend()
plt.show()
print(f"largest difference: {max(abs(a - b) for a, b in zip(recorded, yours)):.2e}")

# %% [markdown]
# ## What to take away
#
# - A training step is five lines; forgetting `zero_grad` adds this step's gradient to the
#   earlier ones, and forgetting `model.train()` leaves dropout off.
# - Momentum and Adam reach a given loss in far fewer steps than plain SGD. Which of them wins
#   depends on the learning rates: compare optimizers each at a rate tuned for it.
# - In a deep ReLU network, the initial weights' scale must keep the activations' variance
#   constant from layer to layer (He: σ = √2 / √fan_in); too small and the signal fades, and
#   training stalls on a plateau; too large and it explodes until the loss is not finite.
# - A big network on a small training set over-fits: watch the validation loss, not the
#   training loss. Weight decay, dropout and early stopping each give up some training fit for a
#   better validation loss.
# - At a high learning rate the parameters cannot settle; lowering the rate late in training
#   (step decay, cosine) reaches a lower training loss, and here a better validation accuracy.
