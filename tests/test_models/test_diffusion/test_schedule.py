import math

import pytest
import torch

from diffhand_mm.models.diffusion import (VertexDiffusion, cosine_alpha_bar, ddim_sample_loop,
                                          ddim_step, ddim_timesteps, q_sample)


def test_cosine_alpha_bar_endpoints_monotone_and_closed_form():
    alpha_bar = cosine_alpha_bar(1000)
    assert alpha_bar.dtype == torch.float32 and alpha_bar.shape == (1000,)
    assert alpha_bar[0] > 0.9999
    assert alpha_bar[-1] < 1e-6
    assert torch.all(alpha_bar[1:] < alpha_bar[:-1])
    # Where no beta is clipped, alpha_bar[t] = f(t + 1) / f(0) (telescoping product).
    f = lambda t: math.cos((t / 1000 + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    for t in (0, 250, 500, 900):
        assert alpha_bar[t].item() == pytest.approx(f(t + 1) / f(0), rel=1e-5)


def test_q_sample_statistics():
    torch.manual_seed(0)
    alpha_bar = cosine_alpha_bar(1000)
    x0 = torch.tensor([[1.5, -2.0, 0.25]]).expand(40000, 3)
    t = torch.full((40000,), 300, dtype=torch.long)
    x_t = q_sample(x0, t, torch.randn_like(x0), alpha_bar)
    a = alpha_bar[300]
    torch.testing.assert_close(x_t.mean(0), a.sqrt() * x0[0], atol=0.02, rtol=0)
    torch.testing.assert_close(x_t.var(0), (1 - a).expand(3), atol=0.02, rtol=0)


def test_ddim_timesteps_spacing_and_range():
    pairs = ddim_timesteps(1000, 10)
    assert pairs[0] == (999, 899) and pairs[-1] == (99, -1) and len(pairs) == 10
    assert ddim_timesteps(1000, 1) == [(999, -1)]
    with pytest.raises(ValueError, match='sampling_steps'):
        ddim_timesteps(100, 101)


def test_ddim_step_closed_forms():
    torch.manual_seed(0)
    x0, eps = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
    a_t, a_prev = torch.tensor(0.3), torch.tensor(0.7)
    x_t = a_t.sqrt() * x0 + (1 - a_t).sqrt() * eps
    # eta = 0 with the true x0 moves along the same noise direction.
    expected = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    torch.testing.assert_close(ddim_step(x_t, x0, a_t, a_prev), expected)
    # The last jump (alpha_bar_prev = 1) returns the prediction, even with eta > 0.
    torch.testing.assert_close(ddim_step(x_t, x0, a_t, torch.tensor(1.0), 1.0, eps), x0)


def _denoiser(x_t, t):
    return 0.5 * x_t + 0.001 * t[:, None, None].float()


def test_ddim_sample_one_step_returns_prediction_and_eta0_is_deterministic():
    diffusion = VertexDiffusion(1000)
    x_init = torch.randn(2, 7, 3)
    out = diffusion.ddim_sample(_denoiser, x_init, sampling_steps=1)
    torch.testing.assert_close(out, _denoiser(x_init, torch.full((2,), 999)))
    first = diffusion.ddim_sample(_denoiser, x_init, sampling_steps=10)
    torch.testing.assert_close(diffusion.ddim_sample(_denoiser, x_init, sampling_steps=10), first)
    noisy = [diffusion.ddim_sample(_denoiser, x_init, 10, eta=1.0,
                                   generator=torch.Generator().manual_seed(s)) for s in (1, 2)]
    assert not torch.allclose(noisy[0], noisy[1])


def test_ddim_sample_loop_is_its_steps_in_sequence():
    alpha_bar = cosine_alpha_bar(1000)
    x_init = torch.randn(2, 7, 3, generator=torch.Generator().manual_seed(0))
    pairs = [(999, 600), (600, 200), (200, -1)]
    x = x_init
    for t, t_prev in pairs:
        a_prev = alpha_bar[t_prev] if t_prev >= 0 else torch.tensor(1.0)
        x = ddim_step(x, _denoiser(x, torch.full((2,), t)), alpha_bar[t], a_prev)
    torch.testing.assert_close(ddim_sample_loop(_denoiser, x_init, pairs, alpha_bar), x)
    # the class's sampler is this loop over ddim_timesteps
    diffusion = VertexDiffusion(1000)
    torch.testing.assert_close(diffusion.ddim_sample(_denoiser, x_init, 4),
                               ddim_sample_loop(_denoiser, x_init, ddim_timesteps(1000, 4),
                                                alpha_bar))
    assert diffusion.timesteps(4) == ddim_timesteps(1000, 4)


def test_schedule_is_not_in_state_dict_and_normalisation_round_trips():
    trained = VertexDiffusion(1000, vertex_scale=0.1)
    assert trained.state_dict() == {}
    VertexDiffusion(250).load_state_dict(trained.state_dict(), strict=True)
    vertices = torch.tensor([[[0.05, -0.02, 0.1]]])
    torch.testing.assert_close(trained.normalize(vertices), vertices / 0.1)
    torch.testing.assert_close(trained.denormalize(trained.normalize(vertices)), vertices)


def _ddpm_posterior(x_t, x0, a_t, a_prev):
    """Mean and std of q(x_prev | x_t, x0) (Ho et al. 2020, eqs. 6-7)."""
    alpha = a_t / a_prev
    beta = 1 - alpha
    mean = (a_prev.sqrt() * beta / (1 - a_t)) * x0 + (alpha.sqrt() * (1 - a_prev) / (1 - a_t)) * x_t
    return mean, ((1 - a_prev) / (1 - a_t) * beta).sqrt()


@pytest.mark.parametrize('eta', [1.0, 0.5, 0.2])
def test_ddim_step_noise_scale_is_eta_times_the_ddpm_posterior_std(eta):
    """Catches a wrong sigma for eta > 0: eta = 1 is DDPM's posterior exactly, and the noise
    enters with eta times its standard deviation."""
    torch.manual_seed(0)
    x0, x_t, z = torch.randn(3, 2, 5, 3).unbind(0)
    a_t, a_prev = torch.tensor(0.3), torch.tensor(0.7)
    mean, std = _ddpm_posterior(x_t, x0, a_t, a_prev)
    if eta == 1.0:
        torch.testing.assert_close(ddim_step(x_t, x0, a_t, a_prev, eta, z), mean + std * z)
    # the noise term: half the difference between +z and -z
    plus = ddim_step(x_t, x0, a_t, a_prev, eta, z)
    minus = ddim_step(x_t, x0, a_t, a_prev, eta, -z)
    torch.testing.assert_close((plus - minus) / 2, eta * std * z)


def test_ddim_sample_with_eta_draws_each_step_from_the_ddpm_posterior():
    """The sampler's steps (not just ddim_step) use the right sigma: with a denoiser that always
    answers the same x0, each step's output given its input is distributed as
    q(x_prev | x_t, x0), i.e. N(posterior mean, posterior std^2) for eta = 1."""
    diffusion = VertexDiffusion(1000)
    inputs = []

    def constant(x_t, t):
        inputs.append(x_t.clone())
        return torch.full_like(x_t, 0.5)

    diffusion.ddim_sample(constant, torch.randn(2000, 10, 3), sampling_steps=4, eta=1.0,
                          generator=torch.Generator().manual_seed(0))
    pairs = ddim_timesteps(1000, 4)
    assert len(inputs) == 4
    for (t, t_prev), x_t, x_prev in zip(pairs[:-1], inputs[:-1], inputs[1:]):
        mean, std = _ddpm_posterior(x_t, torch.tensor(0.5), diffusion.alpha_bar[t],
                                    diffusion.alpha_bar[t_prev])
        residual = x_prev - mean
        assert residual.mean().item() == pytest.approx(0.0, abs=0.01), t
        assert residual.std().item() == pytest.approx(std.item(), rel=0.02), t
