"""The DQN tutorial on chainrule: from the same weights and the same seeded episodes, the Huber
losses of optimize_model (gather, max(1).values under no_grad, clip_grad_value_, AdamW with
amsgrad) and the softly updated target network follow torch's."""
import random

import numpy as np

from tests.ports.loading import assert_close, both, copy_weights, load


def test_optimize_model_and_soft_updates_agree_with_torch():
    T, C = both("dqn")
    T.torch.manual_seed(0)
    torch_agent, chainrule_agent = T.make_agent(), C.make_agent()
    for torch_net, chainrule_net in zip(torch_agent[:2], chainrule_agent[:2]):
        copy_weights(torch_net, chainrule_net)
    results = []
    for program, (policy_net, target_net, optimizer) in ((T, torch_agent), (C, chainrule_agent)):
        random.seed(5)
        memory = program.ReplayMemory(1000)
        losses = program.run_episodes(policy_net, target_net, optimizer, memory, 3, 10)
        results.append(losses)
    expected, got = results
    assert expected[:program.BATCH_SIZE - 1] == [None] * (program.BATCH_SIZE - 1)
    assert got[:program.BATCH_SIZE - 1] == expected[:program.BATCH_SIZE - 1]
    np.testing.assert_allclose(got[program.BATCH_SIZE - 1:], expected[program.BATCH_SIZE - 1:],
                               rtol=1e-4)
    for torch_net, chainrule_net in zip(torch_agent[:2], chainrule_agent[:2]):
        for key, value in torch_net.state_dict().items():
            assert_close(value, chainrule_net.state_dict()[key], rtol=1e-3, atol=1e-6)


def test_the_training_script_runs_on_chainrule(capsys):
    losses = load("dqn", "chainrule").main(["--episodes", "2", "--episode-length", "10"])
    assert len(losses) == 20 and losses[-1] > 0
    assert "episode 1 loss" in capsys.readouterr().out
