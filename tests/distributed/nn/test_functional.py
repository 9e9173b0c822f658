"""distributed.nn.functional.all_reduce, the differentiable one: the sum over the ranks forward,
and backward the sum of what every rank's output sent back (launched on 2 processes), in a world
of one the identity; only SUM and AVG."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.distributed import ReduceOp
from chainrule.distributed.nn.functional import all_reduce
from tests.distributed.launching import chainrule_run, rank_lines

PROGRAM = '''
import json
import chainrule as cr
import chainrule.distributed as dist
from chainrule.distributed.nn.functional import all_reduce
dist.init_process_group("mpi")
rank = dist.get_rank()
x = cr.tensor([1.0, 2.0]) * (rank + 1)
x.requires_grad_()
total = all_reduce(x)
(total * (rank + 1)).sum().backward()   # rank r weighs the sum by r + 1
(again,) = cr.autograd.grad((all_reduce(x * x) * (rank + 1)).sum(), x, create_graph=True)
print(json.dumps({"rank": rank, "total": total.tolist(), "grad": x.grad.tolist(),
                  "again": again.tolist()}))
'''


def test_across_two_ranks_backward_sums_what_every_rank_sent_back(tmp_path):
    program = tmp_path / "all_reduce.py"
    program.write_text(PROGRAM)
    job = chainrule_run(2, program)
    assert job.returncode == 0, job.stderr[-3000:]
    for line in rank_lines(job.stdout, 2):
        x = np.array([1.0, 2.0]) * (line["rank"] + 1)
        assert line["total"] == [3.0, 6.0]
        assert line["grad"] == [3.0, 3.0]                # (1 + 2) from the two ranks' weights
        np.testing.assert_allclose(line["again"], 3 * 2 * x)


def test_in_a_world_of_one_it_is_the_identity_and_refuses_other_ops(world_of_one):
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    total = all_reduce(x, ReduceOp.AVG)
    total.sum().backward()
    assert total.tolist() == [1.0, -2.0] and x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="only ReduceOp.SUM and AVG are differentiable"):
        all_reduce(x, ReduceOp.MAX)
