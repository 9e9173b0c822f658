"""nanoGPT's character-level GPT on chainrule: same weights and batches give torch's losses,
the same greedy continuation, and the training script runs through."""
from contextlib import nullcontext

import numpy as np
import pytest

from tests.ports.loading import assert_close, both, copy_weights, load, numpy, tensors

BLOCK, BATCH = 16, 4


def models(T, C):
    config = dict(block_size=BLOCK, vocab_size=T.vocab_size, n_layer=2, n_head=2, n_embd=32)
    T.torch.manual_seed(0)
    torch_model = T.GPT(T.GPTConfig(**config))
    chainrule_model = C.GPT(C.GPTConfig(**config))
    copy_weights(torch_model, chainrule_model)
    return torch_model, chainrule_model


def batches(data, steps, seed=0):
    """get_batch's windows, drawn by NumPy so both libraries see the same ones."""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        ix = rng.integers(0, len(data) - BLOCK, BATCH)
        yield (np.stack([data[i:i + BLOCK] for i in ix]),
               np.stack([data[i + 1:i + 1 + BLOCK] for i in ix]))


@pytest.mark.filterwarnings("ignore:`torch.cuda.amp.GradScaler")   # torch's, on its side
def test_training_steps_agree_with_torch():
    T, C = both("nanogpt_char")
    torch_model, chainrule_model = models(T, C)
    runs = []
    for library, program, model in (("torch", T, torch_model), ("chainrule", C, chainrule_model)):
        optimizer = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99), "cpu")
        scaler = program.torch.cuda.amp.GradScaler(enabled=False)
        losses = []
        for it, (x, y) in enumerate(batches(numpy(T.train_data), 5)):
            lr = program.get_lr(it, 1e-3, 2, 5, 1e-4)
            X, Y = tensors((x, y), library)
            loss = program.train_step(model, optimizer, scaler, nullcontext(), X, Y, lr)
            losses.append(loss.item())
        runs.append(losses)
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-4)
    for (name, p), q in zip(torch_model.named_parameters(), chainrule_model.parameters()):
        assert_close(p, q, rtol=1e-3, atol=1e-5)


def test_logits_and_greedy_generation_agree_with_torch():
    T, C = both("nanogpt_char")
    torch_model, chainrule_model = models(T, C)
    x, _ = next(batches(numpy(T.train_data), 1, seed=1))
    logits_t, _ = torch_model(tensors(x, "torch"))
    logits_c, _ = chainrule_model(tensors(x, "chainrule"))
    assert tuple(logits_c.shape) == (BATCH, 1, T.vocab_size)
    assert_close(logits_t, logits_c, rtol=1e-4, atol=1e-6)
    # top_k=1 leaves one token with probability one: multinomial must pick it
    prompt = x[:1, :4]
    out_t = torch_model.generate(tensors(prompt, "torch"), 20, top_k=1)
    out_c = chainrule_model.generate(tensors(prompt, "chainrule"), 20, top_k=1)
    assert numpy(out_c).tolist() == numpy(out_t).tolist()


def test_sampled_generation_stays_in_the_top_k():
    T, C = both("nanogpt_char")
    _, model = models(T, C)
    out = model.generate(C.torch.zeros((2, 1), dtype=C.torch.long), 30, temperature=0.8, top_k=5)
    assert tuple(out.shape) == (2, 31)
    assert set(numpy(out).ravel()) <= set(range(T.vocab_size))
    assert C.decode(out[0].tolist())   # decodes to text


def test_get_batch_draws_shifted_windows():
    C = load("nanogpt_char", "chainrule")
    x, y = C.get_batch("train", BATCH, BLOCK)
    assert tuple(x.shape) == tuple(y.shape) == (BATCH, BLOCK)
    assert x.dtype == C.torch.long
    np.testing.assert_array_equal(numpy(x)[:, 1:], numpy(y)[:, :-1])


SMALL = ["--batch-size", "4", "--block-size", "16", "--eval-interval", "2"]


@pytest.mark.filterwarnings("ignore:`torch.cuda.amp.GradScaler")
def test_the_training_script_runs_on_chainrule(capsys):
    C = load("nanogpt_char", "chainrule")
    C.main(["--max-iters", "3", "--compile", *SMALL])
    out = capsys.readouterr().out
    assert "step 0: train loss" in out and "iter 3: loss" in out


def test_its_checkpoint_resumes_on_chainrule(tmp_path, capsys):
    """nanoGPT's ckpt.pt: state dicts of the model (with a tied weight) and of AdamW, the
    model's arguments, the step and a 0-d tensor loss, saved, then resumed from."""
    C = load("nanogpt_char", "chainrule")
    C.main(["--max-iters", "4", "--out-dir", str(tmp_path), *SMALL])
    assert "saving checkpoint" in capsys.readouterr().out
    C.main(["--max-iters", "6", "--out-dir", str(tmp_path), "--init-from", "resume", *SMALL])
    steps = [line.split(":")[0] for line in capsys.readouterr().out.splitlines()
             if line.startswith("step ")]
    assert steps[0] in ("step 2", "step 4") and steps[-1] == "step 6"
