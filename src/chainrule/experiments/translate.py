"""Translation with Seq2Seq: a task (the built-in English -> German numbers, or a TSV of sentence
pairs), training by teacher forcing under a step or time budget, evaluation by exact match and
BLEU with greedy and beam decoding, and a run that writes a checkpoint, CSVs and attention maps."""
import dataclasses
import pathlib
import random
import time

import sacrebleu

from chainrule.data.datasets.numbers import HIGH, number_pairs, split_numbers
from chainrule.data.datasets.pairs import PAD, PairBatcher, read_pairs, split_pairs
from chainrule.grad_mode import no_grad
from chainrule.models.seq2seq import Seq2Seq
from chainrule.nn.functional import cross_entropy
from chainrule.nn.utils.clip_grad import clip_grad_norm_
from chainrule.optim.adam import Adam
from chainrule.random import manual_seed
from chainrule.train.checkpoint import save
from chainrule.utils.files import make_writable_folder, write_csv
from chainrule.viz.attention import plot_attention

# Each kind's sizes and learning rate, chosen on the numbers task's validation split.
SETTINGS = {
    "gru": {"embedding_dim": 64, "hidden_size": 128, "lr": 3e-3},
    "transformer": {"embedding_dim": 64, "hidden_size": 256, "num_layers": 2, "num_heads": 4,
                    "lr": 1e-3},
}
BATCH, CLIP, EVAL_EVERY, SEED = 64, 1.0, 100, 0
# A TSV's pairs longer than this (in words split at spaces, either side) are left out, and the
# validation and test sets are cut to TEST_LIMIT pairs, so that a run on a large Tatoeba export
# (or a large numbers task) stays in minutes.
MAX_TOKENS, TEST_LIMIT = 30, 1000


@dataclasses.dataclass
class Task:
    name: str
    train: list              # (source, target) strs
    validation: list
    test: list
    batcher: PairBatcher
    bleu_tokenize: str       # sacrebleu's tokenizer: "char" for German number words, "13a" words
    max_len: int             # the longest translation decoded, in target tokens
    note: str = ""
    numbers: list = None     # the numbers task's test numbers, in the test pairs' order


def numbers_task(seed=SEED, high=HIGH):
    """English number words -> German number words, 0..high-1 split 80/10/10 by number (800/100/
    100 for the default 1000); the target is read character by character (a German number is one
    word), so BLEU is char-level. Over TEST_LIMIT validation or test numbers (high > 10,000),
    every k-th is kept, TEST_LIMIT spread over the range: validating 100,000 numbers every
    EVAL_EVERY steps would take longer than the training."""
    splits = [number_pairs(split, high, seed=seed) for split in ("train", "validation", "test")]
    sizes = "/".join(str(len(s)) for s in splits)
    validation, test = _spread(splits[1]), _spread(splits[2])
    if len(test) < len(splits[2]):
        sizes += f" (validated and tested on {len(validation)}/{len(test)}, spread out)"
    batcher = PairBatcher(splits[0], "words", "characters")
    return Task("numbers", splits[0], validation, test, batcher, "char",
                _longest(splits[0], batcher) + 5,
                f"English -> German number words, 0..{high - 1} split by number {sizes} "
                f"(seed {seed})", _spread(split_numbers("test", high, seed=seed)))


def _spread(items, limit=TEST_LIMIT):
    """At most limit of the items: every k-th, so that sorted numbers keep their whole range."""
    return items[::-(-len(items) // limit)]


def pairs_task(path, seed=SEED):
    """Tab-separated sentence pairs, words on both sides, split 80/10/10 at random (seeded);
    pairs over MAX_TOKENS tokens are left out and the test set is cut to TEST_LIMIT pairs."""
    pairs = read_pairs(path)
    kept = [(s, t) for s, t in pairs if len(s.split()) <= MAX_TOKENS >= len(t.split())]
    if len(kept) < 10:
        raise ValueError(f"{path}: {len(kept)} pairs of at most {MAX_TOKENS} words; at least 10 "
                         "are needed to train, validate and test")
    train, validation, test = split_pairs(kept, seed=seed)
    batcher = PairBatcher(train, "words", "words")
    return Task(pathlib.Path(path).name, train, validation[:TEST_LIMIT], test[:TEST_LIMIT],
                batcher, "13a", _longest(train, batcher) + 5,
                f"{len(pairs)} pairs read, {len(pairs) - len(kept)} over {MAX_TOKENS} words left "
                f"out; train/validation/test {len(train)}/{len(validation)}/{len(test)}")


def _longest(pairs, batcher):
    return max(len(batcher.target_tokens(target)) for _, target in pairs)


def build_model(task, kind, seed=SEED):
    if kind not in SETTINGS:
        raise ValueError(f"unknown model {kind!r}: choose one of {', '.join(SETTINGS)}")
    manual_seed(seed)
    sizes = {key: value for key, value in SETTINGS[kind].items() if key != "lr"}
    if kind == "transformer":
        # positions for the longest source of every split (a test sentence may be longer than
        # any training one) and the longest translation decoded, plus <bos>
        pairs = task.train + task.validation + task.test
        longest = max(task.max_len, max(len(task.batcher.source_tokens(s)) for s, _ in pairs))
        sizes["max_positions"] = longest + 1
    return Seq2Seq(len(task.batcher.source_vocab), len(task.batcher.target_vocab), kind, **sizes)


def train(model, task, steps=None, seconds=None, seed=SEED, log=None, eval_every=EVAL_EVERY):
    """Adam with teacher forcing on random batches of BATCH training pairs, gradient norm clipped
    at CLIP, until `steps` steps or `seconds` of training, whichever comes first; every eval_every
    steps and at the end, the validation exact match (greedy). The model ends with the weights of
    its best validation check (the latest of equals). Returns the history, a list of dicts
    (step, seconds, loss, validation_exact)."""
    if steps is None and seconds is None:
        raise ValueError("train: give steps or seconds (or both), the training budget")
    optimizer = Adam(model.parameters(), lr=SETTINGS[model.kind]["lr"])
    draw = random.Random(seed)
    history, best, best_state, start, step, losses = [], -1.0, None, time.perf_counter(), 0, []
    while True:
        model.train()
        src, tgt_in, tgt_out = task.batcher.batch(draw.sample(task.train, min(BATCH,
                                                                             len(task.train))))
        logits = model(src, tgt_in)
        loss = cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1),
                             ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        step, elapsed = step + 1, time.perf_counter() - start
        losses.append(loss.item())
        over = (steps is not None and step >= steps) or (seconds is not None and
                                                          elapsed >= seconds)
        if step % eval_every == 0 or over:
            exact = evaluate(model, task, task.validation).exact
            history.append({"step": step, "seconds": round(elapsed, 1),
                            "loss": sum(losses) / len(losses), "validation_exact": exact})
            losses = []
            if exact >= best:   # a tie goes to the later check, trained longer
                # a copy: state_dict's tensors share the parameters' memory, which Adam updates
                best, best_state = exact, {name: value.detach().clone()
                                           for name, value in model.state_dict().items()}
            if log:
                log(history[-1])
        if over:
            break
    model.load_state_dict(best_state)
    return history


@dataclasses.dataclass
class Evaluation:
    exact: float             # the share of translations equal to the reference
    bleu: float              # sacrebleu's corpus BLEU, 0..100
    translations: list       # strs
    attention: list          # arrays (target steps, source tokens), or None (transformer)


def translate(model, task, sources, beam=1, batch=256):
    """The model's translations of a list of source strs (greedy for beam 1) and, for the GRU,
    the attention of each; sources are decoded in batches of `batch`."""
    texts, attention = [], []
    with no_grad():
        for start in range(0, len(sources), batch):
            src = task.batcher.sources(sources[start:start + batch])
            if beam == 1:
                tokens, weights = model.greedy(src, task.max_len)
            else:
                tokens, weights = model.beam_search(src, beam, task.max_len)
            texts += [task.batcher.target_text(row) for row in tokens]
            attention += weights if weights is not None else [None] * len(tokens)
    return texts, attention


def evaluate(model, task, pairs, beam=1):
    """Exact match and BLEU of the model's translations of pairs against their targets, both
    taken as the model can write them (PairBatcher.as_written: "Geh!" is "Geh !" in words)."""
    sources = [s for s, _ in pairs]
    references = [task.batcher.as_written(t) for _, t in pairs]
    texts, attention = translate(model, task, sources, beam)
    exact = sum(t == r for t, r in zip(texts, references)) / len(pairs)
    bleu = sacrebleu.corpus_bleu(texts, [references], tokenize=task.bleu_tokenize).score
    return Evaluation(exact, bleu, texts, attention)


@dataclasses.dataclass
class Result:
    task: Task
    kind: str
    parameters: int
    history: list
    greedy: Evaluation       # on the test pairs
    beam: Evaluation
    beam_width: int
    files: list


def run(kind="gru", pairs_path=None, steps=None, seconds=None, beam=5, seed=SEED,
        out="out/translate", log=None, high=HIGH):
    """Train a Seq2Seq of kind on the numbers task (or pairs_path's TSV), evaluate it on the test
    pairs greedily and with a beam, and write into out: model.safetensors (weights, kind and
    vocabularies), history.csv, translations.csv and, for the GRU, attention.png. The split is
    always the task's (seed 0); seed sets the initial weights and the batches; high, the numbers
    task's size (0..high-1)."""
    task = numbers_task(high=high) if pairs_path is None else pairs_task(pairs_path)
    out = pathlib.Path(out)
    make_writable_folder(out)
    model = build_model(task, kind, seed)
    if log:
        log(f"{task.note}; {kind} model, {_count(model):,} parameters")
    history = train(model, task, steps, seconds, seed, log)
    greedy = evaluate(model, task, task.test)
    beamed = evaluate(model, task, task.test, beam)
    save({"model": model.state_dict(), "kind": kind, "settings": SETTINGS[kind],
          "source_vocab": task.batcher.source_vocab.tokens,
          "target_vocab": task.batcher.target_vocab.tokens,
          "source_tokenizer": task.batcher.source_tokenizer,
          "target_tokenizer": task.batcher.target_tokenizer}, out / "model.safetensors")
    write_csv(out / "history.csv", history)
    write_csv(out / "translations.csv", [
        {"source": s, "reference": t, "greedy": g, f"beam{beam}": b}
        for (s, t), g, b in zip(task.test, greedy.translations, beamed.translations)])
    files = [out / name for name in ("model.safetensors", "history.csv", "translations.csv")]
    if kind == "gru":
        title = f"GRU attention on held-out {'numbers' if pairs_path is None else 'pairs'}"
        files.append(plot_attention(_attention_examples(task, greedy), out / "attention.png",
                                    title))
    return Result(task, kind, _count(model), history, greedy, beamed, beam, files)


def _count(model):
    return sum(p.numel() for p in model.parameters())


def _attention_examples(task, evaluation, count=3):
    """Up to count test translations with their attention: for the numbers, ones whose German
    puts the units before the tens (n % 10 != 0 and n % 100 > 20: the alignment crosses), when
    the test set has any (--below 20 has none)."""
    rows = range(len(task.test))
    if task.name == "numbers":
        crossing = [i for i in rows if task.numbers[i] % 10 and task.numbers[i] % 100 > 20]
        rows = crossing[::max(1, len(crossing) // count)] or rows
    examples = []
    for i in list(rows)[:count]:
        source, reference = task.test[i]
        translation = evaluation.translations[i]
        examples.append({"source": task.batcher.source_tokens(source),
                         "target": task.batcher.target_tokens(translation) + ["<eos>"],
                         "weights": evaluation.attention[i],
                         "correct": translation == task.batcher.as_written(reference),
                         "title": f"{source}\n→ {translation}"})
    return examples
