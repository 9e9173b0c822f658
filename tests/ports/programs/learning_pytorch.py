"""Three pieces of the PyTorch tutorial "Learning PyTorch with Examples", rewritten with their
loops in functions of a step count: a custom autograd Function (the Legendre polynomial P3 with
its hand-written backward), a polynomial fitted by nn.Linear + nn.Flatten(0, 1) under RMSprop,
and the DynamicNet whose depth is drawn from Python's random at every forward."""
import math
import random

import torch


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = 0.5 * (5x^3 - 3x), with P3'(x) = 1.5 * (5x^2 - 1)."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def sine_data(dtype=torch.float, n=2000):
    x = torch.linspace(-math.pi, math.pi, n, dtype=dtype)
    return x, torch.sin(x)


def fit_legendre(steps, dtype=torch.float, learning_rate=5e-6):
    """y = a + b * P3(c + d x) by plain gradient descent; the losses and the final (a, b, c, d)."""
    device = torch.device("cpu")
    x, y = sine_data(dtype)
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    losses = []
    for t in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    print(f'Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)')
    return losses, [a.item(), b.item(), c.item(), d.item()]


def polynomial_model():
    # Flatten(0, 1) turns the (N, 1) output of the linear layer into the (N,) of y
    return torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))


def fit_polynomial(model, steps, learning_rate=1e-3):
    """The third-order polynomial in x as features of one linear layer, under RMSprop."""
    x, y = sine_data()
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    loss_fn = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
    losses = []
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    linear_layer = model[0]
    print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + '
          f'{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
    return losses


class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))
        self.e = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        """A cubic plus e x^4 and maybe e x^5: the graph's depth is chosen anew on every call,
        and the same parameter e is reused for the extra terms."""
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exp
        return y

    def string(self):
        return (f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + '
                f'{self.d.item()} x^3 + {self.e.item()} x^4 ? + {self.e.item()} x^5 ?')


def fit_dynamic(model, steps):
    x, y = sine_data()
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    losses = []
    for t in range(steps):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f'Result: {model.string()}')
    return losses


def main():
    torch.manual_seed(0)
    random.seed(0)
    fit_legendre(2000)
    fit_polynomial(polynomial_model(), 2000)
    fit_dynamic(DynamicNet(), 3000)


if __name__ == '__main__':
    main()
