"""torch.utils.tensorboard through the porting hook: tensorboardX's SummaryWriter, taking
chainrule Tensors; the events it writes read back with TensorBoard's own reader."""
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import chainrule as cr
from chainrule.utils.tensorboard import SummaryWriter


def test_scalars_and_histograms_of_tensors_are_written(tmp_path):
    writer = SummaryWriter(str(tmp_path))
    for step in range(3):
        writer.add_scalar("loss", cr.tensor(1.0 / (step + 1)), step)
        writer.add_scalars("parts", {"a": cr.tensor(2.0), "b": 3.0}, step)
        writer.add_histogram("weights", cr.randn(50), step)
    writer.close()
    events = EventAccumulator(str(tmp_path), size_guidance={"histograms": 0}).Reload()
    assert [round(e.value, 6) for e in events.Scalars("loss")] == [1.0, 0.5, 0.333333]
    assert len(events.Histograms("weights")) == 3


def test_add_graph_is_refused_with_advice(tmp_path):
    with SummaryWriter(str(tmp_path)) as writer:
        with pytest.raises(NotImplementedError, match="add_graph: chainrule does not trace"):
            writer.add_graph(cr.nn.Linear(2, 2), cr.ones(1, 2))


def test_the_hook_maps_torch_utils_tensorboard(tmp_path):
    import chainrule.porting
    with chainrule.porting.install(force=True):   # the tests import real torch
        from torch.utils.tensorboard import SummaryWriter as Ported   # noqa: PLC0415
    assert Ported is SummaryWriter
