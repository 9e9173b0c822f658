"""`chainrule train gan`: a GAN on the ring of eight Gaussians (modes covered, over training, for
each generator loss) or on the 8×8 digits (sample grids and a digit classifier's score)."""
import dataclasses
import pathlib
import sys

from chainrule.cli.arguments import output_folder, positive_int, seed_int
from chainrule.experiments import gan
from chainrule.models.gan import GENERATOR_LOSSES

DATA = ("ring", "digits")
MODEL_NAMES = {"dcgan": "a DCGAN", "mlp": "an MLP GAN"}


def add_parser(tasks):
    command = tasks.add_parser(
        "gan", help="a generative adversarial network on a ring of Gaussians or 8x8 digits",
        description="Train a GAN (Adam, betas 0.5 and 0.999). On the ring of eight 2-D Gaussians "
                    "(an MLP GAN) it prints, over training, how many modes the generator covers "
                    "and the share of its samples within 3 sigma of a mode, for each run (by "
                    "default three: the non-saturating loss, the same with PacGAN's packing, "
                    "and the minimax loss); on scikit-learn's 8x8 digits (a DCGAN or an MLP "
                    "GAN) it prints a separately trained digit classifier's verdict on the "
                    "samples beside its verdict on real digits.")
    command.add_argument("--data", default="ring", help="ring (default) or digits")
    command.add_argument("--model", choices=list(gan.IMAGE_MODELS),
                         help="digits only: dcgan (default) or mlp; the ring's is an MLP")
    command.add_argument("--loss", choices=GENERATOR_LOSSES,
                         help="the generator's loss (default on digits: nonsaturating; on the "
                              "ring, without --loss and --pack: three runs, nonsaturating, "
                              "nonsaturating with --pack 2, and minimax)")
    command.add_argument("--pack", type=positive_int,
                         help="ring: samples the discriminator judges together (PacGAN; "
                              "default 1)")
    command.add_argument("--steps", type=positive_int,
                         help=f"ring: optimizer steps per run (default {gan.RING['steps']})")
    command.add_argument("--epochs", type=positive_int,
                         help=f"digits: epochs (default {gan.DIGITS['epochs']})")
    command.add_argument("--seed", type=seed_int,
                         help=f"seed of the weights, data and noise (default {gan.RING_SEED} on "
                              "the ring, of seeds 0 to 9 the one where the non-saturating loss "
                              f"drops the most modes; {gan.SEED} on digits)")
    command.add_argument("--out", help="folder for the figures, histories and checkpoints "
                                       "(default out/gan/DATA)")
    command.set_defaults(run=run)


def run(args):
    try:
        _check(args)
        out = pathlib.Path(f"out/gan/{args.data}" if args.out is None else args.out)
        output_folder(out)
    except ValueError as error:
        return _fail(error)
    try:
        if args.data == "ring":
            return _ring(args, out)
        return _digits(args, out)
    except (ValueError, OSError, RuntimeError, FloatingPointError) as error:
        return _fail(error)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {out}/ holds the files of the runs finished before it",
              file=sys.stderr)
        return 130


def _check(args):
    if args.data not in DATA:
        raise ValueError(f"unknown dataset {args.data!r}; choose ring or digits")
    if args.data == "ring" and args.model not in (None, "mlp"):
        raise ValueError(f"--model {args.model} is for digits; the ring's GAN is an MLP")
    if args.data == "ring" and args.epochs is not None:
        raise ValueError("--epochs is for digits; the ring takes --steps")
    if args.data == "digits" and args.steps is not None:
        raise ValueError("--steps is for the ring; digits take --epochs")
    if args.data == "digits" and args.pack is not None:
        raise ValueError("--pack is for the ring")
    if args.pack is not None and gan.RING["batch"] % args.pack:
        raise ValueError(f"--pack {args.pack}: expected a divisor of the batch of "
                         f"{gan.RING['batch']} points")
    if args.out == "":
        raise ValueError("--out needs a folder name")


def _ring(args, out):
    if args.loss is None and args.pack is None:
        runs = gan.RING_RUNS
    else:
        loss, pack = args.loss or "nonsaturating", args.pack or 1
        runs = {loss + (f"-pack{pack}" if pack > 1 else ""): {"loss": loss, "pack": pack}}
    steps = args.steps or gan.RING["steps"]
    seed = gan.RING_SEED if args.seed is None else args.seed
    print(f"ring of 8 Gaussians (std {gan.STD}): an MLP GAN, {steps} steps of Adam (lr "
          f"{gan.RING['lr']:g}, batch {gan.RING['batch']}) for each of {', '.join(runs)}; "
          f"seed {seed}; writing to {out}/", flush=True)
    every = max(steps // 10, 1)

    def report(name, row):
        if row["step"] % every == 0 or row["step"] == steps:
            print(f"  {name:>19}  step {row['step']:>6}: {row['modes']}/8 modes covered, "
                  f"{100 * row['share']:5.1f}% of samples within 3 sigma of a mode", flush=True)

    results = gan.ring_experiment(out, runs, steps, seed, report)
    print(f"wrote {out}/ring.png, history_NAME.csv and gan_NAME.safetensors")
    for name, result in results.items():
        print(f"{name}: {result.final['modes']}/8 modes covered, "
              f"{100 * result.final['share']:.1f}% within 3 sigma ({result.seconds:.0f} s)")
    return 0


def _digits(args, out):
    model, loss = args.model or "dcgan", args.loss or "nonsaturating"
    epochs = args.epochs or gan.DIGITS["epochs"]
    seed = gan.SEED if args.seed is None else args.seed
    print(f"8x8 digits: a digit classifier on the real images, then {MODEL_NAMES[model]} with the "
          f"{loss} loss, {epochs} epochs, seed {seed}; writing to {out}/", flush=True)
    result, accuracy, reference = gan.digits_experiment(out, model, loss, epochs, seed,
                                                        _digits_report)
    print(f"wrote {out}/samples.png, scores.png, history_{loss}.csv and gan_{loss}.safetensors")
    print(f"classifier test accuracy (real digits): {100 * accuracy:.1f}%")
    print(f"real test digits: {_score(reference)}")
    print(f"generated ({result.seconds:.0f} s): {_score(result.score)}")
    return 0


def _digits_report(what, value):
    if what == "classifier" and value[0] % 5 == 0:
        print(f"  classifier epoch {value[0]:>3}: test accuracy {100 * value[1]:.1f}%", flush=True)
    elif what == "epoch" and "confidence" in value:
        print(f"  epoch {value['epoch']:>3}: {_score(value)}", flush=True)


def _score(values):
    """The score's numbers in a line; values: a DigitScore or a history row holding them."""
    values = values if isinstance(values, dict) else dataclasses.asdict(values)
    return (f"confidence {values['confidence']:.3f}, class entropy {values['class_entropy']:.3f} "
            f"nats (balanced: log 10 = 2.303), inception score {values['inception_score']:.2f}")


def _fail(error):
    print(f"chainrule train gan: {error}", file=sys.stderr)
    return 2
