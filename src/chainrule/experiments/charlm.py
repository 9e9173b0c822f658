"""The character-level language model's training run (`chainrule train charlm`): a text split
into training and validation parts (charlm_corpus.py), a CharLM trained with Adam for a step or
time budget, its validation loss in nats and bits per character beside the unigram and bigram
baselines, samples as it goes; and the files it leaves: history.csv, loss.png, model.safetensors,
samples.txt."""
import dataclasses
import math
import pathlib
import time

from chainrule.data.datasets.text import CharVocab
from chainrule.experiments.charlm_corpus import baselines, split, training_batch, validation_loss
from chainrule.models.charlm import KINDS, CharLM
from chainrule.models.ngram import bits
from chainrule.nn.functional import cross_entropy
from chainrule.nn.utils.clip_grad import clip_grad_norm_
from chainrule.optim.adam import Adam
from chainrule.random import Generator, manual_seed, rng
from chainrule.train.checkpoint import load, save
from chainrule.utils.files import write_atomically, write_csv
from chainrule.viz.charlm import plot_charlm_loss

# makemore's default Transformer on the names list reaches a test loss of about 1.92 nats per
# character (github.com/karpathy/makemore, README; PyTorch, its own 1,000-name test split).
MAKEMORE_NAMES = 1.92

# Per kind: sizes, batch and peak learning rate, chosen by measuring on 2 shared cores with one
# BLAS thread: an LSTM or GRU step on 128 names takes 50-100 ms, so the default 2000 steps fit
# in 2-3 minutes and reach 1.93 (LSTM) or 1.94 (GRU) nats/char on names (batches this large keep
# NumPy in big matrix products; the time goes to the recurrent cells' arithmetic). The
# transformer has makemore's sizes (4 layers, 4 heads, 64 wide) and batch (32), 30-40 ms a step.
SIZES = {
    "rnn": {"embedding_dim": 32, "hidden_size": 256, "batch_size": 128, "lr": 3e-3},
    "lstm": {"embedding_dim": 32, "hidden_size": 256, "batch_size": 128, "lr": 3e-3},
    "gru": {"embedding_dim": 32, "hidden_size": 256, "batch_size": 128, "lr": 3e-3},
    "transformer": {"embedding_dim": 64, "hidden_size": 256, "num_layers": 4, "num_heads": 4,
                    "batch_size": 32, "lr": 1e-3},
}
STEPS = 2000
MAX_NORM = 1.0        # gradient clipping, as char-rnn's (Karpathy 2015) clips to keep RNNs stable
FINAL_LR = 0.1        # the cosine schedule ends at a tenth of the peak learning rate


@dataclasses.dataclass
class Settings:
    """One run. steps and minutes are budgets: training stops at whichever comes first (minutes
    None: the steps alone). block_size is the context length in document mode (lines mode uses
    the longest line + 1)."""
    kind: str = "lstm"
    steps: int = STEPS
    minutes: float = None
    seed: int = 0
    batch_size: int = None      # None: SIZES[kind]'s
    lr: float = None            # None: SIZES[kind]'s
    block_size: int = 64
    val_fraction: float = 0.1
    eval_every: int = 250
    sample_every: int = 1000
    samples: int = 8            # names per sample in lines mode; in document mode, 1 of 300 chars
    temperature: float = 1.0
    top_k: int = None
    prompt: str = ""


@dataclasses.dataclass
class Result:
    kind: str
    parameters: int
    steps: int
    seconds: float
    val_loss: float             # nats per character, at the end
    baselines: dict             # "unigram", "bigram" -> nats per character
    history: list               # one dict per evaluation
    samples: list               # the last samples drawn
    model: object = None


def build_model(kind, vocab, block_size):
    """A CharLM of kind with SIZES[kind] for vocab; block_size, the transformer's context."""
    if kind not in KINDS:
        raise ValueError(f"charlm: unknown model {kind!r}; choose one of {', '.join(KINDS)}")
    sizes = {k: v for k, v in SIZES[kind].items() if k not in ("batch_size", "lr")}
    if kind == "transformer":
        sizes["block_size"] = block_size
    return CharLM(vocab, kind, **sizes)


def draw_samples(model, corpus, settings, generator):
    """Lines mode: settings.samples items, each from the start token (and the prompt) to the end
    token; document mode: one passage of 300 characters after the prompt (default a newline)."""
    boundary = "\n"
    if corpus.lines:
        length = corpus.block_size + 1
        texts = [model.generate(boundary + settings.prompt, length, settings.temperature,
                                settings.top_k, generator) for _ in range(settings.samples)]
        return [text[1:].split(boundary)[0] for text in texts]
    prompt = settings.prompt or (boundary if boundary in corpus.vocab else corpus.vocab.chars[0])
    return [model.generate(prompt, 300, settings.temperature, settings.top_k, generator)]


def check_prompt(prompt, vocab):
    """A prompt's characters must all be in the vocabulary; a ValueError names the others."""
    missing = vocab.unknown(prompt)
    if missing:
        raise ValueError(f"the prompt {prompt!r} has characters outside the text's vocabulary: "
                         f"{''.join(missing)!r}")


def check_settings(settings):
    """Refuse settings that would fail only after training (or divide by zero), naming the field
    and the value: counts must be positive ints, amounts finite numbers > 0."""
    if settings.kind not in KINDS:
        raise ValueError(f"charlm: unknown model {settings.kind!r}; choose one of "
                         f"{', '.join(KINDS)}")
    counts = {"steps": settings.steps, "block_size": settings.block_size,
              "eval_every": settings.eval_every, "sample_every": settings.sample_every,
              "samples": settings.samples, "batch_size": settings.batch_size,
              "top_k": settings.top_k}
    for name, value in counts.items():
        if value is None and name in ("batch_size", "top_k"):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"charlm: {name} must be a positive int, got {value!r}")
    amounts = {"minutes": settings.minutes, "lr": settings.lr,
               "temperature": settings.temperature}
    for name, value in amounts.items():
        if value is None and name != "temperature":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not (value > 0 and math.isfinite(value)):
            raise ValueError(f"charlm: {name} must be a finite number > 0, got {value!r}")


def train(text, lines, settings=None, out=None, report=print, reference=None):
    """Split text (lines mode or document mode), fit the baselines, train a CharLM as settings
    say and return its Result. report(line) receives the progress lines: the baselines, an
    evaluation every settings.eval_every steps, samples every settings.sample_every steps. With
    out (a folder), the run writes history.csv, loss.png, model.safetensors and samples.txt.

    Each step: a random batch, cross-entropy (padding ignored), gradients clipped to norm
    MAX_NORM, an Adam step at a learning rate that follows a cosine from the peak down to
    FINAL_LR of it over the budget (the steps, or the minutes when they end first).
    """
    settings = settings or Settings()
    check_settings(settings)
    corpus = split(text, lines, settings.block_size, settings.val_fraction, settings.seed)
    check_prompt(settings.prompt, corpus.vocab)
    counted = baselines(corpus)
    for name, nats in counted.items():
        report(f"{name:>8} baseline: validation {nats:.3f} nats/char ({bits(nats):.3f} bits)")
    manual_seed(settings.seed)
    model = build_model(settings.kind, corpus.vocab, corpus.block_size)
    parameters = sum(p.numel() for p in model.parameters())
    report(f"{settings.kind}: {parameters:,} parameters; {_budget(settings)}")
    history, samples, seconds = _loop(model, corpus, settings, report)
    result = Result(settings.kind, parameters, history[-1]["step"], seconds,
                    history[-1]["val_loss"], counted, history, samples, model)
    if out is not None:
        write_outputs(pathlib.Path(out), result, corpus, settings, reference)
    return result


def _loop(model, corpus, settings, report):
    """The training steps, evaluations and samples: (history, the last samples, seconds)."""
    peak = settings.lr or SIZES[settings.kind]["lr"]
    batch_size = settings.batch_size or SIZES[settings.kind]["batch_size"]
    optimizer = Adam(model.parameters(), lr=peak)
    draw = rng(Generator().manual_seed(settings.seed), "charlm.train")
    sampler = Generator().manual_seed(settings.seed + 1)
    history, samples, losses = [], [], []
    start, step, done = time.perf_counter(), 0, False
    while not done:
        progress = _progress(step, time.perf_counter() - start, settings)
        lr = peak * (FINAL_LR + (1 - FINAL_LR) * 0.5 * (1 + math.cos(math.pi * progress)))
        for group in optimizer.param_groups:
            group["lr"] = lr
        losses.append(_train_step(model, optimizer, *training_batch(corpus, batch_size, draw),
                                  step))
        step += 1
        elapsed = time.perf_counter() - start
        done = _progress(step, elapsed, settings) >= 1
        if step % settings.eval_every == 0 or done:
            history.append(_evaluate(model, corpus, step, elapsed, lr, losses, report))
            losses = []
        if step % settings.sample_every == 0 or done:
            samples = draw_samples(model, corpus, settings, sampler)
            report(_show(samples, corpus.lines))
    return history, samples, time.perf_counter() - start


def _train_step(model, optimizer, x, y, step):
    """One Adam step on the batch (x, y), its gradients clipped; returns the loss (a float).
    A loss that is not finite stops the run before it is applied."""
    logits = model(x)
    loss = cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    value = loss.item()
    if not math.isfinite(value):
        raise FloatingPointError(f"charlm: the training loss is {value} at step {step + 1}; "
                                 "lower the learning rate (--lr)")
    optimizer.zero_grad()
    loss.backward()
    clip_grad_norm_(model.parameters(), MAX_NORM)
    optimizer.step()
    return value


def _progress(step, elapsed, settings):
    """The fraction of the budget used: of the steps, or of the minutes if that is larger."""
    fraction = step / settings.steps
    if settings.minutes is not None:
        fraction = max(fraction, elapsed / (60 * settings.minutes))
    return min(fraction, 1.0)


def _evaluate(model, corpus, step, elapsed, lr, losses, report):
    val = validation_loss(model, corpus)
    record = {"step": step, "seconds": round(elapsed, 2), "lr": lr,
              "train_loss": sum(losses) / len(losses), "val_loss": val, "val_bits": bits(val)}
    report(f"step {step:>6}  {elapsed:7.1f} s  train {record['train_loss']:.3f}  "
           f"validation {val:.3f} nats/char ({bits(val):.3f} bits)")
    return record


def _show(samples, lines):
    if lines:
        return "samples: " + ", ".join(samples)
    return "sample:\n" + samples[0] + "\n"


def _budget(settings):
    budget = f"{settings.steps} steps"
    if settings.minutes is not None:
        budget += f" or {settings.minutes:g} minutes, whichever ends first"
    return budget


def write_outputs(out, result, corpus, settings, reference=None):
    """history.csv, loss.png (plot_charlm_loss), model.safetensors (load_model reads it back)
    and samples.txt, in the folder out (created if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "history.csv", result.history)
    mode = "lines" if corpus.lines else "document"
    plot_charlm_loss(out / "loss.png", {result.kind: result.history}, result.baselines,
                     reference, title=f"{result.kind} ({result.parameters:,} parameters, {mode} "
                                      f"mode): {result.steps} steps, {result.seconds:.0f} s")
    save({"model": result.model.state_dict(), "vocab": "".join(corpus.vocab.chars),
          "kind": result.kind, "block_size": corpus.block_size,
          "settings": dataclasses.asdict(settings)},
         out / "model.safetensors")
    write_atomically(out / "samples.txt", lambda path: pathlib.Path(path).write_text(
        "\n".join(result.samples) + "\n"))


def load_model(path):
    """The CharLM that write_outputs saved in path (model.safetensors), with its vocabulary."""
    state = load(path)
    model = build_model(state["kind"], CharVocab(state["vocab"]), state["block_size"])
    model.load_state_dict(state["model"])
    return model
