"""A PyTorch data-parallel training script, as torch's DDP tutorials write it for CPUs (gloo).
It runs unchanged on both libraries:

    chainrule run -n 2 examples/train_ddp.py                          # chainrule, on MPI
    torchrun --nproc-per-node 2 examples/train_ddp.py                 # PyTorch, on gloo

Each process builds the model, wraps it in DistributedDataParallel and trains on its share of
the two-spirals data (DistributedSampler); rank 0 prints and saves the checkpoint; at the end
every rank checks that its weights are the same as every other rank's.
"""
import math
import os
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def spirals(n, generator, noise=0.2):
    """Two spirals of n points each, labelled 0 and 1 (the same on every rank: one seed)."""
    t = torch.linspace(0.25, 3 * math.pi, n)
    xs, ys = [], []
    for label, sign in ((0, 1.0), (1, -1.0)):
        points = torch.stack([sign * t * torch.cos(t), sign * t * torch.sin(t)], dim=1)
        xs.append(points / (3 * math.pi) + noise * torch.randn(n, 2, generator=generator) / 3)
        ys.append(torch.full((n,), label, dtype=torch.long))
    return torch.cat(xs), torch.cat(ys)


class MLP(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 2)

    def forward(self, x):
        return self.out(F.relu(self.fc2(F.relu(self.fc1(x)))))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def main(epochs=40):
    dist.init_process_group("gloo")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)   # a different start on each rank: DDP copies rank 0's weights
    data = torch.Generator().manual_seed(0)
    x, y = spirals(400, data)
    x_test, y_test = spirals(200, data)
    dataset = TensorDataset(x, y)
    sampler = DistributedSampler(dataset, shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_size=32 // world_size, sampler=sampler)

    model = DDP(MLP())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        model.train()
        total = torch.zeros(2)
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
            total += torch.tensor([loss.item() * len(targets), len(targets)])
        dist.all_reduce(total)   # the epoch's loss over every rank's samples
        if rank == 0 and epoch % 10 == 9:
            print(f"epoch {epoch + 1:3d}  loss {(total[0] / total[1]).item():.4f}  "
                  f"test accuracy {accuracy(model.module, x_test, y_test):.3f}", flush=True)

    weights = torch.cat([p.detach().reshape(-1) for p in model.module.parameters()])
    gathered = [torch.zeros_like(weights) for _ in range(world_size)]
    dist.all_gather(gathered, weights)
    same = all(torch.equal(w, gathered[0]) for w in gathered)
    final = accuracy(model.module, x_test, y_test)
    if rank == 0:
        path = os.path.join(tempfile.mkdtemp(), "ddp_mlp.pt")
        torch.save(model.module.state_dict(), path)
        restored = MLP()
        restored.load_state_dict(torch.load(path))
        print(f"{world_size} processes, the same weights on every rank: {same}; restored from "
              f"{os.path.basename(path)}: test accuracy {accuracy(restored, x_test, y_test):.3f}")
    dist.destroy_process_group()
    return same and final > 0.9


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
