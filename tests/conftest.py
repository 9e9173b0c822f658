"""Shared test set-up: op-case tables expand into one test per case and shape set."""
import torch

# The oracle's thread pool costs far more than the work on the tiny tensors tests use.
torch.set_num_threads(1)


def pytest_generate_tests(metafunc):
    cases = getattr(metafunc.cls, "cases", None)
    if cases is None or "case" not in metafunc.fixturenames:
        return
    params, ids = [], []
    for case in cases:
        for shapes in case.shapes:
            params.append((case, shapes))
            ids.append(f"{case.name}-{'-'.join('x'.join(map(str, s)) or 'scalar' for s in shapes)}")
    metafunc.parametrize("case,shapes", params, ids=ids)
