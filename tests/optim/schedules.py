"""Helpers the scheduler tests share (no tests here): optimisers with two parameter groups
(different learning rates, so a scheduler must treat each group apart), and `scheduled`, which
makes a build function for tests/optim/trajectory.py's runs out of a scheduler's constructor."""


def sgd(L, params):
    return L.optim.SGD([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}], lr=0.1,
                       momentum=0.9)


def adam(L, params):
    return L.optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}], lr=0.01)


def scheduled(make_scheduler, make_optimizer=sgd):
    """A build function for trajectory.run: the optimiser and a scheduler on it."""
    def build(L, params):
        optimizer = make_optimizer(L, params)
        return optimizer, make_scheduler(L.optim.lr_scheduler, optimizer)
    return build


def warmup(step):
    return min(1.0, (step + 1) / 10) * 0.95 ** max(0, step - 10)
