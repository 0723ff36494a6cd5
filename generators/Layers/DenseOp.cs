using System.Collections.Generic;
using GenDsl.Generators.Helpers;

namespace GenDsl.Generators.Layers;

/// <summary>
/// <c>[Dense(width, activation = Relu)]</c>: y = act(x · Wᵀ + b), W stored [out, in] and b [out] as in
/// torch.nn.Linear ("weight", "bias"), initialised U(±1/√fan_in) like it. An image input is read flat
/// (C·H·W values, channel-major), as torch.flatten would give it. Forward: one GEMM with a fused
/// bias + activation epilogue, or for input widths ≤ 4 one CouplingKernels.DenseSmallInput call;
/// backward: activation derivative and bias gradient in one pass, then ∂L/∂W = ∂L/∂yᵀ·x and ∂L/∂x = ∂L/∂y·W.
/// </summary>
internal sealed class DenseOp : Op
{
    /// <summary>Input widths up to this use CouplingKernels.DenseSmallInput instead of a GEMM call (keep ≤ CouplingKernels.MaxSmallInput).</summary>
    public const int UnrollInputWidth = 4;

    private static readonly OpArgument[] s_arguments =
    {
        new("width", false, 0, 1, Limits.MaxSize, "number of units"),
        ActivationArgument(false, 1, "activation"),
    };

    public override string Name => "Dense";
    public override IReadOnlyList<OpArgument> Arguments => s_arguments;
    public override int ActivationOf(OpSpec spec) => spec[1];

    /// <summary>A dense spec made by the generator (implied heads, coupling networks).</summary>
    public static OpSpec Make(int width, int activation) => new("Dense", new[] { width, activation }.ToEquatableArray());

    protected override ShapeResult OutShape(OpSpec spec, Shape input, string member) => ShapeResult.Ok(Shape.Vector(spec[0]));

    public override IEnumerable<TensorDecl> Tensors(OpNode node)
    {
        yield return new TensorDecl("W", "weight", new[] { node.Out.Size, node.In.Size });
        yield return new TensorDecl("B", "bias", new[] { node.Out.Size });
    }

    public override void EmitInit(SourceWriter w, OpNode node)
    {
        if (node.ZeroInit)
        {
            w.Line($"// {node.Tensors[0].Name.Substring(0, node.Tensors[0].Name.Length - ".weight".Length)}: output layer, zero");
            return;
        }
        int fanIn = node.In.Size;
        string bound = Lit.F((float)(1.0 / System.Math.Sqrt(fanIn)));
        w.Line($"rng.FillUniform(p.Slice({node.Const("W")}, {node.Out.Size * fanIn}), -{bound}, {bound}); // {node.Tensors[0].Name}, fan_in {fanIn}");
        w.Line($"rng.FillUniform(p.Slice({node.Const("B")}, {node.Out.Size}), -{bound}, {bound});");
    }

    public override string Describe(OpNode node) =>
        $"{node.OutName} = {Apply(node.Activation, $"{node.InName} · W{node.Index}ᵀ + b{node.Index}")}";

    public override void EmitOnnx(SourceWriter w, OpNode node, OnnxContext context)
    {
        string g = context.Builder, name = context.ValueName, input = context.Input;
        int act = node.Activation;
        w.Line($"// {name}: {node.Describe()}   [batch, {node.In.Size}] → [batch, {node.Out.Size}]");
        if (!node.In.IsVector)
        {
            w.Line($"var {context.Output}_flat = {g}.Flatten({Lit.Str(name + ".flatten")}, {input}); // the {node.In} image read flat, channel-major");
            input = context.Output + "_flat";
        }
        // one builder call: Gemm (+ activation), the weight and bias as initialisers under their checkpoint names
        w.Line($"var {context.Output} = {g}.Dense({Lit.Str(name)}, {input}, _parameters.Span, {Lit.Str(node.Tensors[0].Name)}, {node.Const("W")}, {Lit.Str(node.Tensors[1].Name)}, {node.Const("B")}, {node.Out.Size}, {node.In.Size}, Activation.{ActivationNames[act]});");
    }

    public override void EmitForward(SourceWriter w, OpNode node, ForwardContext context)
    {
        int inW = node.In.Size, outW = node.Out.Size, act = node.Activation;
        string rows = context.Rows;
        string actName = ActivationNames[act];
        w.Line($"// {node.Describe()}   [{rows}, {inW}] → [{rows}, {outW}]");
        if (inW <= UnrollInputWidth)
        {
            string slope = act == 2 ? ", 0.2f" : "";
            w.Line($"// input width {inW}: y_j = act(b_j + Σ_k W_jk·x_k) vectorised across the {outW} outputs instead of a GEMM");
            w.Line($"CouplingKernels.DenseSmallInput(Act({node.InputField}, {rows}, {inW}), _parameters.Span.Slice({node.Const("W")}, {outW * inW}), _parameters.Span.Slice({node.Const("B")}, {outW}), Activation.{actName}, Act({node.OutputField}, {rows}, {outW}){slope});");
        }
        else
        {
            string bias = $"_parameters.Span.Slice({node.Const("B")}, {outW})";
            w.Line($"Gemm.Multiply(Act({node.InputField}, {rows}, {inW}), false, Param({node.Const("W")}, {outW}, {inW}), true, Act({node.OutputField}, {rows}, {outW}), new Epilogue({bias}{ActivationArgs(act)}), pool: _pool);");
        }
    }

    public override void EmitBackward(SourceWriter w, OpNode node, BackwardContext context)
    {
        int inW = node.In.Size, outW = node.Out.Size, act = node.Activation;
        string rows = context.Rows;
        string actName = ActivationNames[act];
        string slope = act == 2 ? "0.2f" : "0f";
        w.Line($"var gy = Act({context.GradOutput}, {rows}, {outW});");
        if (context.ParameterGradients)
        {
            w.Line($"var x = Act({node.InputField}, {rows}, {inW});");
            if (act == 0)
                w.Line($"GemmBackward.ColumnSums(gy, _gradients.Span.Slice({node.Const("B")}, {outW}), accumulate: false, _pool); // ∂L/∂b = Σ_rows ∂L/∂y");
            else
                w.Line($"GemmBackward.ActivationAndBias(gy, Act({node.OutputField}, {rows}, {outW}), Activation.{actName}, {slope}, _gradients.Span.Slice({node.Const("B")}, {outW}), accumulate: false, _pool); // ∂L/∂(pre-activation) = ∂L/∂y ⊙ f′(y); ∂L/∂b = Σ_rows");
            w.Line($"Gemm.Multiply(gy, true, x, false, Grad({node.Const("W")}, {outW}, {inW}), pool: _pool); // ∂L/∂W = ∂L/∂yᵀ · x");
        }
        else if (act != 0)
        {
            w.Line($"GemmBackward.ActivationAndBias(gy, Act({node.OutputField}, {rows}, {outW}), Activation.{actName}, {slope}, Span<float>.Empty, accumulate: false, _pool); // ∂L/∂(pre-activation) = ∂L/∂y ⊙ f′(y)");
        }
        if (context.GradInput is not null)
            w.Line($"Gemm.Multiply(gy, false, Param({node.Const("W")}, {outW}, {inW}), false, Act({context.GradInput}, {rows}, {inW}), pool: _pool); // ∂L/∂x = ∂L/∂y · W");
    }

    // ---- PyTorch export: F.linear on nn.Linear's layout; a coupling's output layer starts at zero.
    protected override string PyTorchInitial(OpNode node, TensorDecl tensor) =>
        node.ZeroInit ? base.PyTorchInitial(node, tensor) : PyUniform(tensor.Shape, node.In.Size);

    public override string? PyTorchForward(OpNode node, string module, string x) =>
        PyActivation(node.Activation, $"F.linear({x}{(node.In.IsVector ? "" : ".flatten(1)")}, {module}.weight, {module}.bias)");
}
