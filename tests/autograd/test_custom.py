"""PyTorch-style custom Functions (forward(ctx, ...) / backward(ctx, ...) staticmethods, .apply):
each Function body is written once, for a library L, and run on torch and on chainrule; their
outputs, gradients and errors are compared."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import Function
from chainrule.autograd.function import FunctionCtx, once_differentiable
from chainrule.ops.elementwise import Mul

VALUES = np.array([-1.5, -0.3, 0.4, 0.9, 2.0, -2.5])


def functions(L):
    """The same Function classes, subclassing L.autograd.Function."""
    from_lib = L.autograd.function.once_differentiable

    class MyReLU(L.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class Legendre3(L.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class ScaleShift(L.autograd.Function):   # non-tensor args, two outputs, a non-tensor output
        @staticmethod
        def forward(ctx, x, y, k, shift=1.0):
            ctx.save_for_backward(x, y)
            ctx.k, ctx.shift = k, shift
            ctx.seen = ctx.needs_input_grad
            return x * k, y + shift * x, "note"

        @staticmethod
        def backward(ctx, ga, gb, gc):
            x, y = ctx.saved_tensors
            assert gc is None
            return ga * ctx.k + gb * ctx.shift, gb, None, None

    class Torch2(L.autograd.Function):       # torch 2: forward without ctx, setup_context
        @staticmethod
        def forward(x, k=3.0):
            return x.exp() * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, k = inputs
            ctx.save_for_backward(output)
            ctx.k = k

        @staticmethod
        def backward(ctx, g):
            out, = ctx.saved_tensors
            return g * out, None

    class Square(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @from_lib
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 2 * x

    return dict(MyReLU=MyReLU, Legendre3=Legendre3, ScaleShift=ScaleShift, Torch2=Torch2,
                Square=Square)


def leaf(L, values=VALUES):
    return L.tensor(values, dtype=L.float64, requires_grad=True)


def both(run):
    """run(L) on both libraries; the results as NumPy arrays (None stays None)."""
    results = []
    for L in (torch, cr):
        out = run(L)
        out = out if isinstance(out, tuple) else (out,)
        results.append([None if o is None else np.asarray(o.detach().numpy()) for o in out])
    for t, c in zip(*results):
        if t is None or c is None:
            assert t is None and c is None
        else:
            np.testing.assert_allclose(c, t, rtol=1e-12, atol=1e-12)
    return results


@pytest.mark.parametrize("name", ["MyReLU", "Legendre3"])
def test_forward_and_gradient_match_torch(name):
    def run(L):
        x = leaf(L)
        y = functions(L)[name].apply(x)
        (y * L.tensor(VALUES + 1)).sum().backward()
        return y, x.grad
    both(run)


def test_grad_fn_is_named_like_torch():
    fn = functions(cr)["MyReLU"]
    y = fn.apply(leaf(cr))
    assert "grad_fn=<MyReLUBackward>" in repr(y)
    assert repr(y.grad_fn) == "<MyReLUBackward>" and y.grad_fn.name() == "MyReLUBackward"
    assert y.grad_fn.name() == functions(torch)["MyReLU"].apply(leaf(torch)).grad_fn.name()


def test_ops_keep_the_array_style_apply():
    assert Mul.apply.__func__ is Function.apply.__func__
    assert functions(cr)["MyReLU"].apply.__func__ is not Function.apply.__func__


def test_several_outputs_non_tensor_args_and_outputs():
    def run(L):
        fn = functions(L)["ScaleShift"]
        x, y = leaf(L), leaf(L, VALUES[::-1].copy())
        a, b, note = fn.apply(x, y, 3.0)
        assert note == "note" and a.requires_grad and b.requires_grad
        assert a.grad_fn.name() == b.grad_fn.name() == "ScaleShiftBackward"
        loss = a.sum() + (b * 10).sum()
        loss.backward(retain_graph=True)
        loss.backward()   # each pass gathers its own gradients: twice the first
        return a, b, x.grad, y.grad
    both(run)


def test_an_output_without_gradient_gets_zeros_or_none():
    for materialize in (True, False):
        got = {}

        def run(L):
            class Two(L.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    ctx.set_materialize_grads(materialize)
                    return x * 2, x * 3

                @staticmethod
                def backward(ctx, g1, g2):
                    got[L.__name__] = g2 if g2 is None else g2.detach().numpy().copy()
                    return g1 * 2 if g2 is None else g1 * 2 + g2 * 3
            x = leaf(L)
            Two.apply(x)[0].sum().backward()
            return x.grad
        both(run)
        if materialize:
            np.testing.assert_array_equal(got["chainrule"], got["torch"])
        else:
            assert got["chainrule"] is None and got["torch"] is None


def test_non_differentiable_and_integer_outputs():
    got = {}

    def run(L):
        class Split(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                mask = x * 0 + 1
                ctx.mark_non_differentiable(mask)
                return x * 2, mask, (x > 0).long()

            @staticmethod
            def backward(ctx, g, g_mask, g_int):
                got[L.__name__] = (g_mask.detach().numpy().copy(), g_int.numpy().copy())
                return g * 2
        x = leaf(L)
        out = Split.apply(x)
        assert [o.requires_grad for o in out] == [True, False, False]
        out[0].sum().backward()
        return out + (x.grad,)
    both(run)
    np.testing.assert_array_equal(got["chainrule"][0], got["torch"][0])
    assert got["chainrule"][1].dtype == got["torch"][1].dtype == np.int64


def test_needs_input_grad_and_attributes():
    seen = {}
    for L in (torch, cr):
        fn = functions(L)["ScaleShift"]
        x, y = leaf(L), L.tensor(VALUES)
        a, b, _ = fn.apply(x, y, 2.0)
        seen[L.__name__] = (a.grad_fn.seen, a.grad_fn.k)
        with L.no_grad():
            a, b, _ = fn.apply(x, y, 2.0)
        assert not a.requires_grad and not b.requires_grad
    assert seen["chainrule"] == seen["torch"] == ((True, False, False), 2.0)


def test_setup_context_style():
    def run(L):
        x = leaf(L)
        y = functions(L)["Torch2"].apply(x)
        z = functions(L)["Torch2"].apply(x, k=0.5)
        (y + z).sum().backward()
        return y, z, x.grad
    both(run)


def test_kwargs_count_as_inputs_in_the_old_style():
    def run(L):
        class Kw(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, k=2.0):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g * 2.0
        x = leaf(L)
        Kw.apply(x).sum().backward()   # fine: one input
        with pytest.raises(RuntimeError, match=r"KwBackward returned an incorrect number of "
                                               r"gradients \(expected 2, got 1\)"):
            Kw.apply(x, k=3.0).sum().backward()
        return x.grad
    both(run)


@pytest.mark.parametrize("returned, pattern", [
    ("few", r"function BadBackward returned an incorrect number of gradients \(expected 2, got 1\)"),
    ("many", r"function BadBackward returned an incorrect number of gradients \(expected 2, got 3\)"),
    ("non_tensor_input", r"function BadBackward returned a gradient different than None at "
                         r"position 2, but the corresponding forward input was not a"),
    ("shape", r"Function BadBackward returned an invalid gradient at index 0 - got \[2\] but "
              r"expected shape compatible with \[6\]"),
    ("float", r"(expected Variable or None \(got float\))|(BadBackward returned a float)"),
])
def test_wrong_gradients_are_refused_naming_the_function(returned, pattern):
    for L in (torch, cr):
        class Bad(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * 2 if returned != "non_tensor_input" else x * y

            @staticmethod
            def backward(ctx, g):
                return {"few": lambda: g, "many": lambda: (g, g, g),
                        "non_tensor_input": lambda: (g, g), "shape": lambda: (g[:2], None),
                        "float": lambda: (2.0, None)}[returned]()
        y = 3.0 if returned == "non_tensor_input" else leaf(L)
        with pytest.raises(RuntimeError, match=pattern):
            Bad.apply(leaf(L), y).sum().backward()


def test_extra_nones_are_allowed_and_broadcast_gradients_are_summed():
    def run(L):
        class Loose(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g.expand(4, 6) * 0.5, None, None
        x = leaf(L)
        Loose.apply(x).sum().backward()
        return x.grad
    both(run)


def test_changing_a_saved_tensor_in_place_is_refused():
    for L in (torch, cr):
        x = leaf(L).clone()
        y = functions(L)["Legendre3"].apply(x)
        with L.no_grad():
            x.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
        y = functions(L)["Torch2"].apply(leaf(L))   # saves its output
        y.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_mark_dirty_in_place_forward():
    def run(L):
        class Double_(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2
        x = leaf(L)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            Double_.apply(x)
        x = leaf(L)
        w = x * 1
        out = Double_.apply(w)
        assert out is w and w.grad_fn.name() == "Double_Backward"
        (w * L.tensor(VALUES)).sum().backward()
        return w, x.grad
    both(run)


def test_an_input_returned_unchanged_is_a_new_tensor():
    for L in (torch, cr):
        class Ident(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g
        x = leaf(L)
        y = Ident.apply(x)
        assert y is not x and x.is_leaf and y.grad_fn.name() == "IdentBackward"


def test_double_backward_through_a_differentiable_backward():
    def run(L):
        x = leaf(L)
        y = functions(L)["Legendre3"].apply(x)
        g, = L.autograd.grad(y.sum(), x, create_graph=True)
        h, = L.autograd.grad((g * g).sum(), x)
        return g, h
    both(run)
    x = leaf(cr)
    assert cr.autograd.gradcheck(functions(cr)["Legendre3"].apply, (x,))
    assert cr.autograd.gradgradcheck(functions(cr)["Legendre3"].apply, (x,))


def test_gradcheck_on_several_outputs():
    fn = functions(cr)["ScaleShift"]
    x, y = leaf(cr), leaf(cr, VALUES * 2)
    assert cr.autograd.gradcheck(lambda a, b: fn.apply(a, b, 3.0, shift=0.5)[:2], (x, y))


def test_once_differentiable():
    def run(L):
        x = leaf(L)
        y = functions(L)["Square"].apply(x)
        g, = L.autograd.grad(y.sum(), x)            # first order: fine
        y = functions(L)["Square"].apply(x)
        g2, = L.autograd.grad((y * y).sum(), x, create_graph=True)
        assert g2.requires_grad
        with pytest.raises(RuntimeError, match="trying to differentiate twice a function that "
                                               "was marked with @once_differentiable"):
            g2.sum().backward()
        return g, g2
    both(run)
    assert once_differentiable is cr.autograd.function.once_differentiable


def test_vjp_alias_and_missing_backward():
    def run(L):
        class ByVjp(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def vjp(ctx, g):
                return g * 2

        class NoBackward(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2
        x = leaf(L)
        ByVjp.apply(x).sum().backward()
        with pytest.raises(NotImplementedError, match="backward or vjp"):
            NoBackward.apply(x).sum().backward()
        return x.grad
    both(run)


def test_hooks_and_retain_grad_on_outputs():
    def run(L):
        x = leaf(L)
        a, b, _ = functions(L)["ScaleShift"].apply(x, x * 1, 2.0)
        a.retain_grad()
        b.register_hook(lambda g: g * 3)
        (a + b).sum().backward()
        return a.grad, x.grad
    both(run)


def test_ctx_names_importable_as_in_torch():
    from chainrule.porting.hook import resolve
    module = resolve("torch.autograd.function")
    assert module.FunctionCtx is FunctionCtx and module.once_differentiable is once_differentiable
    y = functions(cr)["MyReLU"].apply(leaf(cr))
    assert isinstance(y.grad_fn, FunctionCtx)


def test_calling_an_instance_is_refused():
    fn = functions(cr)["MyReLU"]
    with pytest.raises(RuntimeError, match=r"MyReLU.apply"):
        fn()(leaf(cr))
    with pytest.raises(TypeError, match="save_for_backward can only save tensors"):
        class SavesInt(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(5)
                return x
        SavesInt.apply(leaf(cr))


@pytest.mark.parametrize("lib", [cr, torch], ids=["chainrule", "torch"])
def test_a_tensor_the_backward_keeps_is_not_taken_into_grad(lib):
    # the backward returns a tensor it holds on to: .grad gets a copy, so the second backward's
    # accumulation leaves the held tensor as it was (as torch)
    held = lib.tensor([1.0, 2.0, 3.0])

    class Constant(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return held

    x = lib.tensor([0.0, 0.0, 0.0], requires_grad=True)
    Constant.apply(x).sum().backward()
    Constant.apply(x).sum().backward()
    assert held.tolist() == [1.0, 2.0, 3.0] and x.grad.tolist() == [2.0, 4.0, 6.0]
