"""The tutorial "What is torch.nn really?" (Jeremy Howard), its steps kept as functions: logistic
regression by hand, then nn.Module, nn.Linear, optim, Dataset, DataLoader, fit(), and a CNN.
Rewritten small: random 28x28 "digits" stand in for the pickled MNIST download."""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch import optim
from torch.utils.data import DataLoader, TensorDataset

bs = 16  # batch size
lr = 0.5  # learning rate
epochs = 2


def load_data(n_train=64, n_valid=32, seed=0):
    """Stands in for pickle.load(gzip.open('mnist.pkl.gz')): flattened images, int labels."""
    rng = np.random.default_rng(seed)
    def images(n):   # mostly background, as handwriting is
        return (rng.random((n, 784)) * (rng.random((n, 784)) < 0.15)).astype(np.float32)
    x_train, y_train = images(n_train), rng.integers(0, 10, n_train)
    x_valid, y_valid = images(n_valid), rng.integers(0, 10, n_valid)
    return map(torch.tensor, (x_train, y_train, x_valid, y_valid))


# --- from scratch: tensors only -----------------------------------------------------------------

def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


def train_from_scratch(x_train, y_train, n):
    """Xavier-initialised weights, the gradient step written out under no_grad."""
    weights = torch.randn(784, 10) / math.sqrt(784)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)

    def model(xb):
        return log_softmax(xb @ weights + bias)

    loss_func = nll
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)
            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()
    return weights, bias, model


# --- refactored with nn.Module, nn.Linear, optim ------------------------------------------------

class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


class Mnist_Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


def get_model():
    model = Mnist_Linear()
    return model, optim.SGD(model.parameters(), lr=lr)


def get_data(train_ds, valid_ds, bs):
    return (
        DataLoader(train_ds, batch_size=bs, shuffle=True),
        DataLoader(valid_ds, batch_size=bs * 2),
    )


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)

        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        print(epoch, val_loss)
    return val_loss


# --- a CNN, with Lambda layers and a wrapped DataLoader -----------------------------------------

class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def preprocess(x, y):
    return x.view(-1, 1, 28, 28).to(dev), y.to(dev)


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield (self.func(*b))


def get_cnn():
    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        Lambda(lambda x: x.view(x.size(0), -1)),
    )
    model.to(dev)
    return model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def main():
    torch.manual_seed(0)
    x_train, y_train, x_valid, y_valid = load_data()
    n, c = x_train.shape
    print(x_train.shape, y_train.min(), y_train.max())
    weights, bias, model = train_from_scratch(x_train, y_train, n)
    print('from scratch:', nll(model(x_train[:bs]), y_train[:bs]).item(),
          accuracy(model(x_train[:bs]), y_train[:bs]).item())

    loss_func = F.cross_entropy
    train_ds = TensorDataset(x_train, y_train)
    valid_ds = TensorDataset(x_valid, y_valid)
    train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
    model, opt = get_model()
    fit(epochs, model, loss_func, opt, train_dl, valid_dl)

    train_dl = WrappedDataLoader(train_dl, preprocess)
    valid_dl = WrappedDataLoader(valid_dl, preprocess)
    model, opt = get_cnn()
    fit(epochs, model, loss_func, opt, train_dl, valid_dl)


if __name__ == '__main__':
    main()
