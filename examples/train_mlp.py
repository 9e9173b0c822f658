"""A PyTorch-style training script. It runs unchanged on PyTorch: only the imports differ.

    python examples/train_mlp.py            # with chainrule
    CHAINRULE_EXAMPLE_TORCH=1 python ...    # the same file on PyTorch, for comparison

Classifies points of two interleaved spirals with a small MLP: model class, loss, optimizer,
DataLoader, train/eval loop, scheduler and a checkpoint, the way tutorials write them.
"""
import math
import os
import sys
import tempfile

if os.environ.get("CHAINRULE_EXAMPLE_TORCH"):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from safetensors.torch import load_file as load
    from safetensors.torch import save_file as save
    from torch.utils.data import DataLoader, TensorDataset
else:
    import chainrule as torch
    import chainrule.nn as nn
    import chainrule.nn.functional as F
    from chainrule import load, save
    from chainrule.utils.data import DataLoader, TensorDataset


def spirals(n, noise=0.2):
    """Two spirals of n points each, labelled 0 and 1."""
    t = torch.linspace(0.25, 3 * math.pi, n)
    xs, ys = [], []
    for label, sign in ((0, 1.0), (1, -1.0)):
        points = torch.stack([sign * t * torch.cos(t), sign * t * torch.sin(t)], dim=1)
        xs.append(points / (3 * math.pi) + noise * torch.randn(n, 2) / 3)
        ys.append(torch.full((n,), label, dtype=torch.long))
    return torch.cat(xs), torch.cat(ys)


class MLP(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 2)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = self.dropout(F.relu(self.fc2(x)))
        return self.out(x)


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(dim=1) == y).sum().item()
            total += y.size(0)
    return correct / total


def main(epochs=60):
    torch.manual_seed(0)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x, y = spirals(400)
    x_test, y_test = spirals(200)
    train_loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=256)

    model = MLP().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.5)
    for epoch in range(epochs):
        model.train()
        running = 0.0
        for inputs, targets in train_loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            optimizer.step()
            running += loss.item() * inputs.size(0)
        scheduler.step()
        if epoch % 10 == 9:
            print(f"epoch {epoch + 1:3d}  loss {running / len(x):.4f}  "
                  f"test accuracy {evaluate(model, test_loader):.3f}")

    path = os.path.join(tempfile.mkdtemp(), "mlp.safetensors")
    save(model.state_dict(), path)
    restored = MLP()
    restored.load_state_dict(load(path))
    accuracy = evaluate(restored, test_loader)
    print(f"restored from {os.path.basename(path)}: test accuracy {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    sys.exit(0 if main() > 0.9 else 1)
