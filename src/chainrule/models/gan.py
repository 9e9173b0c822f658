"""Generative adversarial networks (Goodfellow et al., 2014): an MLP generator and discriminator
for points in the plane, a small DCGAN (Radford et al., 2016) for 8×8 grey images, and the
losses, defined once: the discriminator's, and the generator's minimax and non-saturating."""
from chainrule import creation
from chainrule.nn.activation import LeakyReLU, ReLU, Tanh
from chainrule.nn.container import Sequential
from chainrule.nn.conv import Conv2d, ConvTranspose2d
from chainrule.nn.functional.activation import logsigmoid
from chainrule.nn.linear import Flatten, Linear, Unflatten
from chainrule.nn.module import Module
from chainrule.nn.norm import BatchNorm2d

GENERATOR_LOSSES = ("nonsaturating", "minimax")


# ----- the losses: D(x) = σ(logit), so log D = logsigmoid(logit), log(1 - D) = logsigmoid(-logit)
def discriminator_loss(real_logits, fake_logits):
    """-E[log D(x)] - E[log(1 - D(G(z)))]: the binary cross-entropy of calling real data 1 and
    generated data 0 (Goodfellow et al., 2014, eq. 1, negated to be minimised)."""
    return -logsigmoid(real_logits).mean() - logsigmoid(-fake_logits).mean()


def generator_loss(fake_logits, kind="nonsaturating"):
    """The generator's loss on the discriminator's logits for its samples.

    "minimax": E[log(1 - D(G(z)))], the game's own value (eq. 1). Its gradient vanishes where the
        discriminator rejects the samples confidently (D → 0), which is early in training.
    "nonsaturating": -E[log D(G(z))], the paper's fix (§3): the same fixed point, but a strong
        gradient exactly where the minimax one is weak.
    """
    if kind == "minimax":
        return logsigmoid(-fake_logits).mean()
    if kind == "nonsaturating":
        return -logsigmoid(fake_logits).mean()
    raise ValueError(f"generator_loss: kind must be one of {', '.join(GENERATOR_LOSSES)}, "
                     f"got {kind!r}")


def sample_latent(n, latent_dim, generator=None):
    """z ~ N(0, I): a float32 tensor (n, latent_dim) (generator: a chainrule.Generator or None)."""
    return creation.randn(n, latent_dim, generator=generator)


# ----- an MLP GAN for points -------------------------------------------------------------------
def _mlp(sizes, activation):
    """Linear layers between the given sizes, an activation after each but the last."""
    layers = []
    for i, (inputs, outputs) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(inputs, outputs))
        if i < len(sizes) - 2:
            layers.append(activation())
    return Sequential(*layers)


class MLPGenerator(Module):
    """z → Linear(latent_dim, hidden) → ReLU → ... → Linear(hidden, out_features), linear output
    (the ring's points are not bounded). Metz et al. (2017, appendix A) use latent_dim 256, two
    hidden layers of 128; the defaults are smaller and train as well on the ring.

    Args: latent_dim (16), hidden (128), layers (2 hidden layers), out_features (2).
    Shape: z (B, latent_dim) → x (B, out_features).
    """

    def __init__(self, latent_dim=16, hidden=128, layers=2, out_features=2):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = _mlp([latent_dim] + [hidden] * layers + [out_features], ReLU)

    def forward(self, z):
        return self.net(z)


class MLPDiscriminator(Module):
    """x → Linear(in_features, hidden) → ReLU → ... → Linear(hidden, 1): one logit per point.

    Args: in_features (2), hidden (128), layers (2 hidden layers).
    Shape: x (B, in_features) → logits (B,).
    """

    def __init__(self, in_features=2, hidden=128, layers=2):
        super().__init__()
        self.net = _mlp([in_features] + [hidden] * layers + [1], ReLU)

    def forward(self, x):
        return self.net(x).squeeze(1)


class Packed(Module):
    """PacGAN (Lin et al., 2018): the discriminator judges `pack` samples at once, concatenated,
    so a generator that puts out near-copies is easy to tell from the data: a cure for mode
    collapse that changes nothing but the discriminator's input. Wrap a discriminator built for
    pack · features inputs: e.g. Packed(MLPDiscriminator(2 * pack), pack) for points.

    Shape: x (B, features) → logits (B / pack,), B a multiple of pack; samples i·pack to
    i·pack + pack - 1 form the i-th group.
    """

    def __init__(self, discriminator, pack):
        super().__init__()
        if isinstance(pack, bool) or not isinstance(pack, int) or pack < 1:
            raise ValueError(f"Packed: pack must be a positive int, got {pack!r}")
        self.discriminator, self.pack = discriminator, pack

    def forward(self, x):
        if len(x) % self.pack:
            raise ValueError(f"Packed: a batch of {len(x)} cannot be split into groups of "
                             f"{self.pack}")
        return self.discriminator(x.reshape(len(x) // self.pack, -1))


# ----- a small DCGAN for 8×8 images --------------------------------------------------------------
class DCGenerator(Module):
    """Radford et al. (2016)'s generator scaled to 8×8×1: project and reshape, then transposed
    convolutions that double the side, batch norm and ReLU between them, tanh at the end.

    z (B, latent_dim) → Linear → (B, 2c, 2, 2) → BatchNorm, ReLU
      → ConvTranspose2d(2c, c, 4, stride 2, padding 1) → (B, c, 4, 4) → BatchNorm, ReLU
      → ConvTranspose2d(c, 1, 4, stride 2, padding 1) → (B, 1, 8, 8) → tanh, in [-1, 1]

    Args: latent_dim (32), channels c (32).
    Shape: z (B, latent_dim) → images (B, 1, 8, 8).
    """

    def __init__(self, latent_dim=32, channels=32):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = Sequential(
            Linear(latent_dim, 2 * channels * 2 * 2), Unflatten(1, (2 * channels, 2, 2)),
            BatchNorm2d(2 * channels), ReLU(),
            ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1),
            BatchNorm2d(channels), ReLU(),
            ConvTranspose2d(channels, 1, 4, stride=2, padding=1), Tanh())

    def forward(self, z):
        return self.net(z)


class DCDiscriminator(Module):
    """The mirror image: strided convolutions that halve the side, LeakyReLU(0.2) (Radford et
    al., 2016, §3), batch norm on the inner layer only (not on the input layer, as they advise),
    and a linear layer to one logit.

    x (B, 1, 8, 8) → Conv2d(1, c, 4, stride 2, padding 1) → (B, c, 4, 4) → LeakyReLU
      → Conv2d(c, 2c, 4, stride 2, padding 1) → (B, 2c, 2, 2) → BatchNorm, LeakyReLU
      → Flatten → Linear(8c, 1)

    Args: channels c (32).
    Shape: images (B, 1, 8, 8) → logits (B,).
    """

    def __init__(self, channels=32):
        super().__init__()
        self.net = Sequential(
            Conv2d(1, channels, 4, stride=2, padding=1), LeakyReLU(0.2),
            Conv2d(channels, 2 * channels, 4, stride=2, padding=1),
            BatchNorm2d(2 * channels), LeakyReLU(0.2),
            Flatten(), Linear(2 * channels * 2 * 2, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


class MLPImageGenerator(Module):
    """An MLP generator for 8×8 images: MLPGenerator to 64 values, tanh, reshaped.

    Args: latent_dim (32), hidden (256), layers (2).
    Shape: z (B, latent_dim) → images (B, 1, 8, 8).
    """

    def __init__(self, latent_dim=32, hidden=256, layers=2):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = Sequential(MLPGenerator(latent_dim, hidden, layers, 64), Tanh(),
                              Unflatten(1, (1, 8, 8)))

    def forward(self, z):
        return self.net(z)


class MLPImageDiscriminator(Module):
    """Flatten, then an MLP with LeakyReLU(0.2) to one logit.

    Args: hidden (256), layers (2).
    Shape: images (B, 1, 8, 8) → logits (B,).
    """

    def __init__(self, hidden=256, layers=2):
        super().__init__()
        self.net = Sequential(Flatten(), _mlp([64] + [hidden] * layers + [1],
                                              lambda: LeakyReLU(0.2)))

    def forward(self, x):
        return self.net(x).squeeze(1)


class DigitClassifier(Module):
    """The judge of generated digits, trained on the real ones only (as the Inception network
    judges ImageNet samples in Salimans et al., 2016, scaled down to 8×8):

    x (B, 1, 8, 8) → Conv2d(1, c, 3, padding 1) → ReLU → Conv2d(c, 2c, 3, stride 2, padding 1)
      → (B, 2c, 4, 4) → ReLU → Flatten → Linear(32c, 10)

    Args: channels c (16).
    Shape: images (B, 1, 8, 8) → logits (B, 10).
    """

    def __init__(self, channels=16):
        super().__init__()
        self.net = Sequential(
            Conv2d(1, channels, 3, padding=1), ReLU(),
            Conv2d(channels, 2 * channels, 3, stride=2, padding=1), ReLU(),
            Flatten(), Linear(2 * channels * 4 * 4, 10))

    def forward(self, x):
        return self.net(x)
