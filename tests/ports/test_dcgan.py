"""pytorch/examples DCGAN on chainrule: from the same weights, real batches and noise, the
discriminator's and generator's losses follow torch's step by step."""
import numpy as np

from tests.ports.loading import assert_close, both, copy_weights, load, numpy, tensors

NZ, NGF, NDF, BATCH = 8, 4, 4, 3


def networks(program):
    program.torch.manual_seed(0)
    netG = program.Generator(1, NZ, NGF, 3)
    netG.apply(program.weights_init)
    netD = program.Discriminator(1, NDF, 3)
    netD.apply(program.weights_init)
    return netG, netD


def run(program, library, netG, netD, steps):
    optim = program.optim
    optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
    criterion = program.nn.BCELoss()
    device = program.torch.device("cpu")
    rng = np.random.default_rng(0)
    results = []
    for _ in range(steps):
        real = tensors(rng.uniform(-1, 1, (BATCH, 3, 64, 64)).astype(np.float32), library)
        noise = tensors(rng.standard_normal((BATCH, NZ, 1, 1)).astype(np.float32), library)
        results.append(program.train_step(netD, netG, optimizerD, optimizerG, criterion, real,
                                          NZ, device, noise=noise))
    return np.array(results)


def test_training_steps_agree_with_torch():
    T, C = both("dcgan")
    torch_nets, chainrule_nets = networks(T), networks(C)
    for torch_net, chainrule_net in zip(torch_nets, chainrule_nets):
        copy_weights(torch_net, chainrule_net)
    expected = run(T, "torch", *torch_nets, steps=3)
    got = run(C, "chainrule", *chainrule_nets, steps=3)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    for torch_net, chainrule_net in zip(torch_nets, chainrule_nets):
        for key, value in torch_net.state_dict().items():
            assert_close(value, chainrule_net.state_dict()[key], rtol=1e-3, atol=1e-5)


def test_weights_init_draws_the_papers_distributions():
    C = load("dcgan", "chainrule")
    netG, netD = networks(C)
    conv = numpy(netD.main[0].weight)
    gains = numpy(netG.main[1].weight)
    assert abs(conv.std() - 0.02) < 0.005 and abs(gains.mean() - 1) < 0.01
    assert (numpy(netG.main[1].bias) == 0).all()


def test_generator_and_discriminator_shapes():
    C = load("dcgan", "chainrule")
    netG, netD = networks(C)
    fake = netG(C.torch.randn(2, NZ, 1, 1))
    assert tuple(fake.shape) == (2, 3, 64, 64)
    assert tuple(netD(fake).shape) == (2,)


def test_the_training_script_runs_on_chainrule(tmp_path, capsys):
    C = load("dcgan", "chainrule")
    C.main(["--batchSize", "2", "--nz", str(NZ), "--ngf", "4", "--ndf", "4", "--dry-run",
            "--manualSeed", "3", "--outf", str(tmp_path)])
    assert "Loss_D:" in capsys.readouterr().out
    weights = C.torch.load(str(tmp_path / "netG_epoch_0.pth"))
    C.Generator(1, NZ, 4, 3).load_state_dict(weights)
