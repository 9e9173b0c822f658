"""WGAN with gradient penalty (Gulrajani et al., 2017) in the manner of the widely copied
PyTorch-GAN implementations/wgan_gp/wgan_gp.py, rewritten small: MNIST is replaced by random
images in [-1, 1] of a small shape, and the loop is split into a critic step and a generator
step so that a test can look at the critic's gradients in between."""
import argparse

import numpy as np
import torch
import torch.autograd as autograd
import torch.nn as nn
from torch.autograd import Variable

cuda = True if torch.cuda.is_available() else False
Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor


class Generator(nn.Module):
    def __init__(self, latent_dim, img_shape):
        super(Generator, self).__init__()
        self.img_shape = img_shape

        def block(in_feat, out_feat, normalize=True):
            layers = [nn.Linear(in_feat, out_feat)]
            if normalize:
                layers.append(nn.BatchNorm1d(out_feat, 0.8))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            return layers

        self.model = nn.Sequential(
            *block(latent_dim, 128, normalize=False),
            *block(128, 256),
            *block(256, 512),
            nn.Linear(512, int(np.prod(img_shape))),
            nn.Tanh()
        )

    def forward(self, z):
        img = self.model(z)
        img = img.view(img.shape[0], *self.img_shape)
        return img


class Discriminator(nn.Module):
    def __init__(self, img_shape):
        super(Discriminator, self).__init__()
        self.model = nn.Sequential(
            nn.Linear(int(np.prod(img_shape)), 512),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(512, 256),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(256, 1),
        )

    def forward(self, img):
        img_flat = img.view(img.shape[0], -1)
        validity = self.model(img_flat)
        return validity


def compute_gradient_penalty(D, real_samples, fake_samples):
    """E[(||grad_x D(x)||_2 - 1)^2] at random points x between real and fake samples."""
    alpha = Tensor(np.random.random((real_samples.size(0), 1, 1, 1)))
    interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
    d_interpolates = D(interpolates)
    fake = Variable(Tensor(real_samples.shape[0], 1).fill_(1.0), requires_grad=False)
    # create_graph so that the penalty itself can be differentiated into D's weights
    gradients = autograd.grad(
        outputs=d_interpolates,
        inputs=interpolates,
        grad_outputs=fake,
        create_graph=True,
        retain_graph=True,
        only_inputs=True,
    )[0]
    gradients = gradients.view(gradients.size(0), -1)
    gradient_penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
    return gradient_penalty


def critic_step(generator, discriminator, optimizer_D, real_imgs, latent_dim, lambda_gp=10,
                step=True):
    """The critic's loss on one batch; its gradients are left in place, and applied if step."""
    optimizer_D.zero_grad()
    z = Variable(Tensor(np.random.normal(0, 1, (real_imgs.shape[0], latent_dim))))
    fake_imgs = generator(z)
    real_validity = discriminator(real_imgs)
    fake_validity = discriminator(fake_imgs)
    gradient_penalty = compute_gradient_penalty(discriminator, real_imgs.data, fake_imgs.data)
    d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) + lambda_gp * gradient_penalty
    d_loss.backward()
    if step:
        optimizer_D.step()
    return z, d_loss.item(), gradient_penalty.item()


def generator_step(generator, discriminator, optimizer_G, z):
    optimizer_G.zero_grad()
    fake_imgs = generator(z)
    fake_validity = discriminator(fake_imgs)
    g_loss = -torch.mean(fake_validity)
    g_loss.backward()
    optimizer_G.step()
    return g_loss.item()


def train(generator, discriminator, optimizer_G, optimizer_D, batches, opt):
    history = []
    for i, real_imgs in enumerate(batches):
        real_imgs = Variable(real_imgs.type(Tensor))
        z, d_loss, gp = critic_step(generator, discriminator, optimizer_D, real_imgs,
                                    opt.latent_dim, opt.lambda_gp)
        g_loss = None
        # the generator learns once every n_critic critic steps
        if i % opt.n_critic == 0:
            g_loss = generator_step(generator, discriminator, optimizer_G, z)
            print("[Batch %d/%d] [D loss: %f] [G loss: %f]" % (i, len(batches), d_loss, g_loss))
        history.append((d_loss, gp, g_loss))
    return history


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=0.0002)
    parser.add_argument("--b1", type=float, default=0.5)
    parser.add_argument("--b2", type=float, default=0.999)
    parser.add_argument("--latent_dim", type=int, default=16)
    parser.add_argument("--img_size", type=int, default=8)
    parser.add_argument("--n_critic", type=int, default=5)
    parser.add_argument("--lambda_gp", type=float, default=10)
    opt = parser.parse_args(argv)
    np.random.seed(0)
    torch.manual_seed(0)
    img_shape = (1, opt.img_size, opt.img_size)
    generator = Generator(opt.latent_dim, img_shape)
    discriminator = Discriminator(img_shape)
    optimizer_G = torch.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
    optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
    batches = [torch.rand(opt.batch_size, *img_shape) * 2 - 1 for _ in range(opt.batches)]
    return train(generator, discriminator, optimizer_G, optimizer_D, batches, opt)


if __name__ == "__main__":
    main()
